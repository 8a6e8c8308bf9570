import { Help, type Command } from 'commander';

/** Terms longer than this put their description on the next line, at the same column. */
const TERM_WIDTH = 57;

/** `bgw run <spec.json> [--out <dir>] …`: the name and the usage the command's own --help shows. */
function commandLine(cmd: Command): string {
  const bare = cmd.registeredArguments.length === 0 && cmd.options.length === 0;
  return bare ? `bgw ${cmd.name()}` : `bgw ${cmd.name()} ${cmd.usage()}`;
}

/** The root usage: every command with its usage and what it does, then what all commands share. */
function rootHelp(program: Command, helper: Help): string {
  const line = (term: string, text: string): string =>
    `  ${term}${term.length < TERM_WIDTH ? ' '.repeat(TERM_WIDTH - term.length) : `\n${' '.repeat(TERM_WIDTH + 2)}`}${text}`;
  return [
    'usage: bgw <command> [arguments] [options]',
    "       bgw <command> --help (or bgw help <command>): that command's arguments and options",
    ...program.commands.map((cmd) => line(commandLine(cmd), cmd.summary() || cmd.description())),
    'options (every command takes them):',
    ...helper.visibleOptions(program).map((o) => `  ${helper.optionTerm(o).padEnd(14)}  ${o.description}`),
    "environment: BGW_BACKEND=auto|tensorflow|webgpu|wasm|cpu overrides the spec's backend",
    'exit codes: 0 done, 1 run failed, 2 bad spec, path or flag (one line on stderr), 130 cancelled (Ctrl-C);',
    '            bgw help and bgw --help print this usage on stdout (exit 0), bgw alone on stderr (exit 2)',
    '',
  ].join('\n');
}

/**
 * The root prints its own compact usage (one line per command, as the README lists them); each
 * command keeps commander's layout, with the root's --db shown as a global option.
 * Call before adding commands: they share this configuration.
 */
export function configureHelp(program: Command): void {
  program.configureHelp({
    showGlobalOptions: true,
    formatHelp: (cmd, helper) => (cmd.parent ? Help.prototype.formatHelp.call(helper, cmd, helper) : rootHelp(cmd, helper)),
  });
}

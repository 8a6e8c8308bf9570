import { buildProgram, ParseStop } from './program';
import { commandDatabase } from './options';
import { UsageError } from './usage-error';

/** SQLite found the file damaged mid-command ("database disk image is malformed"): say which file, and what to do. */
function corruptionNamed(err: Error): Error {
  const code = (err as { code?: unknown }).code;
  const corrupt = code === 'SQLITE_CORRUPT' || code === 'SQLITE_NOTADB' || /database disk image is malformed|file is not a database/.test(err.message);
  if (!commandDatabase || !corrupt || err.message.includes(`database ${commandDatabase}`)) return err;
  return new Error(`database ${commandDatabase} is corrupt (${err.message}): move it aside and restore a backup, or use another --db`);
}

/** Run `bgw` with these arguments; the exit code: 0 done, 1 run failed, 2 usage (spec, path, flag), 130 cancelled. */
export async function runCli(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (e) {
    return e instanceof ParseStop ? parseStopCode(e) : failureCode(e);
  }
}

/** Help and version exit 0; `bgw` alone printed the usage on stderr; anything else is one line naming the problem. */
function parseStopCode({ stop, command }: ParseStop): number {
  if (stop.exitCode === 0) return 0;
  if (stop.code === 'commander.help') return 2;
  const where = command.parent ? `; bgw ${command.name()} --help lists its options` : '';
  const message = stop.message.replace(/^error: /, '').replace(/\n/g, ' ').replace(/\.$/, '');
  process.stderr.write(`bgw: error: ${message}${where}\n`);
  // An unknown command: show what there is.
  if (stop.code === 'commander.unknownCommand') command.outputHelp({ error: true });
  return 2;
}

function failureCode(e: unknown): number {
  const err = corruptionNamed(e instanceof Error ? e : new Error(String(e)));
  // The leading newline ends a pending self-overwriting progress line (TTY only); logs get one clean line.
  process.stderr.write(`${process.stderr.isTTY ? '\n' : ''}bgw: ${err.name === 'AbortError' ? 'cancelled' : 'error'}: ${err.message.split('\n')[0]}\n`);
  if (process.env.BGW_DEBUG) process.stderr.write(`${err.stack}\n`);
  return err instanceof UsageError ? 2 : err.name === 'AbortError' ? 130 : 1;
}

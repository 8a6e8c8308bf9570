import { Command, type CommanderError } from 'commander';
import { readFileSync } from 'node:fs';
import { registerBackend } from './commands/backend';
import { registerClusterJob } from './commands/cluster-job';
import { registerSweep } from './commands/sweep';
import { registerEnergy } from './commands/energy';
import { registerExport } from './commands/export';
import { registerImport } from './commands/import';
import { registerLs } from './commands/ls';
import { registerResume } from './commands/resume';
import { registerRun } from './commands/run';
import { registerServe } from './commands/serve';
import { registerShow } from './commands/show';
import { registerValidate } from './commands/validate';
import { configureHelp } from './help';

/** Commander stopped parsing (a bad flag, help or version shown): its verdict, and the command it concerns. */
export class ParseStop extends Error {
  constructor(
    readonly stop: CommanderError,
    readonly command: Command,
  ) {
    super(stop.message);
  }
}

const version = (): string => (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** The `bgw` program: the root's --db, --version and usage, and one module per command (commands/). */
export function buildProgram(): Command {
  const program = new Command('bgw')
    .version(version(), '-V, --version', 'the version')
    .helpOption('-h, --help', 'show this help')
    .option('--db <file>', 'the database file (or BGW_DB; default: <user data dir>/bgw/workbench.db)')
    // Errors are reported by index.ts, as one line; commander only decides.
    .configureOutput({ outputError: () => {} });
  configureHelp(program);
  for (const register of [registerRun, registerLs, registerShow, registerExport, registerResume, registerImport, registerServe, registerEnergy, registerValidate, registerBackend, registerSweep, registerClusterJob]) {
    register(program);
  }
  for (const cmd of [program, ...program.commands]) {
    cmd.exitOverride((e) => {
      throw new ParseStop(e, cmd);
    });
  }
  return program;
}

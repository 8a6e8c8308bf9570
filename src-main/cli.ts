// Entry point of `bgw` (bin/bgw.mjs loads it): cli/index.ts parses and runs the command.
import { runCli } from './cli/index';

process.exitCode = await runCli(process.argv.slice(2));
// The wasm runtime keeps handles open; exit explicitly once output is flushed.
process.exit();

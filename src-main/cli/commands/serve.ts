import type { Command } from 'commander';
import { DEFAULT_IMPORT_FILE_LIMIT } from '../../../contract/api';
import { checkBackendEnv } from '../compute-env';
import { databasePath, fractionValue, integerIn, positiveInt, positiveNumber } from '../options';

interface ServeFlags {
  readonly port: number;
  readonly host: string;
  readonly allowRemote?: boolean;
  readonly workers?: number;
  readonly cores?: number;
  readonly checkpointEvery?: number;
  readonly maxHours?: number;
  readonly memoryFraction?: number;
  readonly maxImportMb?: number;
  readonly slurm?: string;
  readonly maxSweepRuns?: number;
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .usage('[--port N] [--host H --allow-remote] [--workers N] [--cores N]')
    .description('start the API and the UI; prints its URL with the token')
    .option('--port <N>', 'TCP port (0: a free one)', integerIn('--port', 0, 65535), 0)
    .option('--host <H>', 'address to listen on', '127.0.0.1')
    .option('--allow-remote', 'required to bind a --host other than loopback (other machines can then reach the API)')
    .option('--workers <N>', 'concurrent runs (default: one per core, one per GPU on a GPU backend)', positiveInt('--workers', 1024))
    .option('--cores <N>', 'cores the runs share as training threads: a run alone gets them all, several share them (default: every core)', positiveInt('--cores', 4096))
    .option('--checkpoint-every <seconds>', 'seconds between checkpoints of a training run', positiveNumber('--checkpoint-every', 'seconds'))
    .option('--max-hours <h>', 'refuse runs estimated to take longer on one core (default 24)', positiveNumber('--max-hours', 'hours'))
    .option('--memory-fraction <f>', 'share of free memory one run may plan to use (default 0.5)', fractionValue('--memory-fraction'))
    .option('--max-import-mb <N>', `the largest file import:file streams, in MiB (default ${DEFAULT_IMPORT_FILE_LIMIT / (1024 * 1024)})`, positiveInt('--max-import-mb', 1 << 24))
    .option('--slurm <settings.json>', 'enable the Slurm executor with these settings (docs/scale-out.md); or BGW_SLURM')
    .option('--max-sweep-runs <N>', 'the most runs one sweep may expand to (default 256)', positiveInt('--max-sweep-runs', 100_000))
    .action(async (flags: ServeFlags, cmd: Command) => {
      const dbPath = await databasePath(cmd);
      await checkBackendEnv();
      const { serve } = await import('../serve-api');
      await serve({ dbPath, host: flags.host, port: flags.port, allowRemote: flags.allowRemote ?? false, workers: flags.workers, cores: flags.cores, checkpointEverySeconds: flags.checkpointEvery, limits: { ...(flags.maxHours ? { maxHours: flags.maxHours } : {}), ...(flags.memoryFraction ? { memoryFraction: flags.memoryFraction } : {}) }, ...(flags.maxImportMb ? { importMaxBytes: flags.maxImportMb * 1024 * 1024 } : {}), slurm: flags.slurm ?? (process.env.BGW_SLURM || undefined), maxSweepRuns: flags.maxSweepRuns });
    });
}

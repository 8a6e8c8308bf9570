import type { Command } from 'commander';
import { databasePath, positiveInt, seedValue } from '../options';
import { runInForeground } from '../runs/foreground';

interface RunFlags {
  readonly out?: string;
  readonly seed?: number;
  readonly quiet?: boolean;
  readonly cores?: number;
}

export function registerRun(program: Command): void {
  program
    .command('run')
    .usage('<spec.json> [--out <dir>] [--seed N] [--cores N] [--quiet]')
    .description('run a spec (train, sample, reweight); stored in the database')
    .argument('<spec.json>', 'the run spec (docs/run-spec.md)')
    .option('-o, --out <dir>', 'also write the files (samples.csv, flow.bgwf, result.json, …) into this folder')
    .option('--seed <N>', "seed, an integer in [0, 2^31) (default: the spec's, else random)", seedValue)
    .option('--cores <N>', "training threads (default: every core; the spec's cores within it)", positiveInt('--cores', 256))
    .option('-q, --quiet', 'no progress on stderr')
    .action(async (specPath: string, flags: RunFlags, cmd: Command) => {
      const { runSpecFile } = await import('../runs/run-spec-file');
      const dbPath = await databasePath(cmd);
      await runInForeground({ dbPath, quiet: flags.quiet ?? false, verb: 'queued' }, (f) => runSpecFile({ ...f, specPath, outDir: flags.out, seed: flags.seed, cores: flags.cores }));
    });
}

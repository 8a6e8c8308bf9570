import type { Command } from 'commander';
import { databasePath } from '../options';
import { runInForeground } from '../runs/foreground';

export function registerResume(program: Command): void {
  program
    .command('resume')
    .usage('<run> [--out <dir>] [--quiet]')
    .description('continue an interrupted, failed or cancelled run')
    .argument('<run>', 'the run id (bgw ls lists them)')
    .option('-o, --out <dir>', 'also write the files (samples.csv, flow.bgwf, result.json, …) into this folder')
    .option('-q, --quiet', 'no progress on stderr')
    .action(async (runId: string, flags: { quiet?: boolean; out?: string }, cmd: Command) => {
      const { resumeRun } = await import('../runs/resume');
      const dbPath = await databasePath(cmd);
      await runInForeground({ dbPath, quiet: flags.quiet ?? false, verb: 'resuming' }, (f) => resumeRun(runId, { ...f, outDir: flags.out }));
    });
}

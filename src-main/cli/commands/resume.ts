import type { Command } from 'commander';
import { databasePath } from '../options';
import { runInForeground } from '../runs/foreground';

export function registerResume(program: Command): void {
  program
    .command('resume')
    .usage('<run> [--quiet]')
    .description('continue an interrupted, failed or cancelled run')
    .argument('<run>', 'the run id (bgw ls lists them)')
    .option('-q, --quiet', 'no progress on stderr')
    .action(async (runId: string, flags: { quiet?: boolean }, cmd: Command) => {
      const { resumeRun } = await import('../runs/resume');
      const dbPath = await databasePath(cmd);
      await runInForeground({ dbPath, quiet: flags.quiet ?? false, verb: 'resuming' }, (f) => resumeRun(runId, f));
    });
}

import { checkBackendEnv } from '../compute-env';
import type { FollowOptions, RunOutcome } from './follow';
import { createProgressPrinter } from './progress';
import { runSummary } from './summary';

export interface ForegroundOptions {
  readonly dbPath: string;
  readonly quiet: boolean;
  /** The word for the queued line on stderr: "queued" (run) or "resuming" (resume). */
  readonly verb: string;
}

/**
 * What `bgw run` and `bgw resume` share: a valid BGW_BACKEND before any work, Ctrl-C cancels the
 * run (exit 130), progress and warnings on stderr, the summary on stdout.
 */
export async function runInForeground(o: ForegroundOptions, go: (f: FollowOptions) => Promise<RunOutcome>): Promise<void> {
  await checkBackendEnv();
  const ac = new AbortController();
  process.once('SIGINT', () => ac.abort());
  const outcome = await go({
    dbPath: o.dbPath,
    ...(o.quiet ? {} : { onProgress: createProgressPrinter() }),
    onQueued: (r) => process.stderr.write(`bgw: run ${r.id} ${o.verb} (database ${o.dbPath})\n`),
    signal: ac.signal,
  });
  for (const w of outcome.result.warnings) process.stderr.write(`bgw: warning: ${w}\n`);
  process.stdout.write(runSummary(outcome));
}

import { abortError } from '../../../engine/cancel';
import type { RunDto, RunProgress } from '../../../contract/api';
import type { RunResult } from '../../../contract/run-result';
import type { Backend } from '../../backend/backend';

/** How `bgw run` and `bgw resume` watch their run. */
export interface FollowOptions {
  readonly dbPath: string;
  readonly onProgress?: (p: RunProgress) => void;
  /** Told the run's id as soon as it is queued. */
  readonly onQueued?: (run: RunDto) => void;
  /** Aborting cancels the run (Ctrl-C). */
  readonly signal?: AbortSignal;
}

/** What a finished run hands the command: the run, its result and the files written into --out. */
export interface RunOutcome {
  readonly run: RunDto;
  readonly result: RunResult;
  readonly files: string[];
}

/** Wait for a queued run of this process's backend; a cancelled run throws an AbortError, a failed one its error. */
export async function followRun(backend: Backend, run: RunDto, o: FollowOptions): Promise<RunDto> {
  o.onQueued?.(run);
  backend.events.subscribe((m) => {
    if (m.event === 'runs:progress' && m.data.runId === run.id) o.onProgress?.(m.data.progress);
  });
  o.signal?.addEventListener('abort', () => void backend.scheduler.cancel(run.id), { once: true });
  const done = await backend.scheduler.waitFor(run.id);
  if (done.status === 'cancelled') throw abortError();
  if (done.status !== 'completed') throw new Error(done.error ?? `run ${run.id} ${done.status}`);
  return done;
}

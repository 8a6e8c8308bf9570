import { createBackend } from '../../backend/backend';
import { UsageError } from '../usage-error';
import { followRun, type FollowOptions, type RunOutcome } from './follow';

/** `bgw resume <run>`: continue a run from its last checkpoint, in this process's backend. */
export async function resumeRun(runId: string, o: FollowOptions): Promise<RunOutcome> {
  const id = Number(runId);
  if (!Number.isInteger(id) || id < 1) throw new UsageError(`expected a run id (a positive integer), got '${runId}'`);
  const backend = await createBackend({ dbPath: o.dbPath, workers: 1, startQueued: false, owner: 'bgw resume' });
  try {
    const run = await backend.call('runs:resume', { id }).catch((e: Error) => {
      throw new UsageError(e.message);
    });
    const done = await followRun(backend, run, o);
    return { run: done, result: backend.repos.runs.detail(id)!.result!, files: [] };
  } finally {
    await backend.close();
  }
}

import { resolve } from 'node:path';
import { createBackend } from '../../backend/backend';
import { UsageError } from '../usage-error';
import { followRun, type FollowOptions, type RunOutcome } from './follow';
import { OutWriter } from './out-files';

/** `bgw resume <run> [--out DIR]`: continue a run from its last checkpoint, in this process's backend. */
export async function resumeRun(runId: string, o: FollowOptions & { readonly outDir?: string | undefined }): Promise<RunOutcome> {
  const id = Number(runId);
  if (!Number.isInteger(id) || id < 1) throw new UsageError(`expected a run id (a positive integer), got '${runId}'`);
  const out = o.outDir ? await OutWriter.plan(resolve(o.outDir)) : null;
  try {
    const backend = await createBackend({ dbPath: o.dbPath, workers: 1, startQueued: false, owner: 'bgw resume', ...(out ? { onOutput: out.onOutput, partials: [out.out.staging] } : {}) });
    try {
      await out?.create();
      if (out) out.spec = backend.repos.runs.detail(id)?.spec ?? null;
      const run = await backend.call('runs:resume', { id }).catch((e: Error) => {
        throw new UsageError(e.message);
      });
      const done = await followRun(backend, run, o);
      const result = backend.repos.runs.detail(id)!.result!;
      return { run: done, result, files: out ? await out.commit(id, o.dbPath, result, o.signal) : [] };
    } finally {
      await backend.close();
    }
  } finally {
    await out?.close();
  }
}

import { resolve } from 'node:path';
import { ApiError, type RunDto } from '../../../contract/api';
import type { RunSpec } from '../../../contract/run-spec';
import { createBackend, type Backend } from '../../backend/backend';
import { loadSpec } from '../load-spec';
import { UsageError } from '../usage-error';
import { followRun, type FollowOptions, type RunOutcome } from './follow';
import { OutWriter } from './out-files';

export interface StartOptions extends FollowOptions {
  readonly specPath: string;
  readonly outDir?: string;
  readonly seed?: number;
  /** Training threads (default: every core of the machine; the spec's `cores` within it). */
  readonly cores?: number | undefined;
}

/**
 * `bgw run`: validate, then run the spec through the backend (one worker; everything persists to
 * the database as for a run started from the UI). With `--out`, also write the files: samples.csv
 * (one per extra temperature), explored.csv and flow.bgwf for generator runs, windows.csv for
 * umbrella runs, and result.json (out-files.ts says how a failed run leaves the folder alone).
 */
export async function runSpecFile(o: StartOptions): Promise<RunOutcome> {
  const spec = await loadSpec(o.specPath);
  const out = o.outDir ? await OutWriter.plan(resolve(o.outDir)) : null;
  if (out) out.spec = spec;
  try {
    const backend = await createBackend({
      dbPath: o.dbPath,
      workers: 1,
      startQueued: false,
      owner: 'bgw run',
      ...(o.cores ? { cores: o.cores } : {}),
      ...(out ? { onOutput: out.onOutput, partials: [out.out.staging] } : {}),
    });
    try {
      await out?.create();
      const done = await followRun(backend, queue(backend, spec, o), o);
      const result = backend.repos.runs.detail(done.id)!.result!;
      return { run: done, result, files: out ? await out.commit(done.id, o.dbPath, result, o.signal) : [] };
    } finally {
      await backend.close();
    }
  } finally {
    await out?.close();
  }
}

/** The spec is valid; what it names in the database (sets, rows) is checked as it is queued, and a miss is the user's. */
function queue(backend: Backend, spec: RunSpec, o: StartOptions): RunDto {
  try {
    return backend.startRun({ spec, seed: o.seed });
  } catch (e) {
    throw e instanceof ApiError ? new UsageError(`${o.specPath}: ${e.message}`) : e;
  }
}

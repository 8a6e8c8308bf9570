import { rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import { ApiError, type RunDto } from '../../../contract/api';
import type { JobOutput } from '../../../contract/jobs';
import type { RunSpec } from '../../../contract/run-spec';
import { createBackend, type Backend } from '../../backend/backend';
import { loadSpec } from '../load-spec';
import { UsageError } from '../usage-error';
import { followRun, type FollowOptions, type RunOutcome } from './follow';
import { commitOut, prepareOut, stageFiles } from './out-files';

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
  const out = o.outDir ? await prepareOut(resolve(o.outDir)) : null;
  let staged: string[] = [];
  let outputError: Error | null = null;
  // The worker hands over its output before the run is marked completed; a write error is kept
  // for after the run, whose result is stored either way.
  const onOutput = async (_: number, job: JobOutput): Promise<void> => {
    try {
      staged = await stageFiles(spec, job, out!.staging);
    } catch (e) {
      outputError = e as Error;
    }
  };
  const backend = await createBackend({ dbPath: o.dbPath, workers: 1, startQueued: false, owner: 'bgw run', ...(o.cores ? { cores: o.cores } : {}), ...(out ? { onOutput } : {}) });
  try {
    const done = await followRun(backend, queue(backend, spec, o), o);
    const result = backend.repos.runs.detail(done.id)!.result!;
    if (outputError) throw new Error(`run ${done.id} completed and is stored in ${o.dbPath}, but writing --out failed: ${(outputError as Error).message}`);
    return { run: done, result, files: out ? await commitOut(out, staged, result, o.signal) : [] };
  } finally {
    await backend.close();
    if (out) await rm(out.staging, { recursive: true, force: true });
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

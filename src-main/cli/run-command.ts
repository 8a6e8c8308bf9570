import { isMoleculeSystem } from '../../contract/systems';
import { randomInt } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { abortError } from '../../engine/cancel';
import type { JobOutput } from '../../contract/jobs';
import { createBackend } from '../backend/backend';
import type { RunDto, RunProgress } from '../../contract/api';
import type { RunResult } from '../../contract/run-result';
import type { RunSpec } from '../../contract/run-spec';
import { loadSpec } from './load-spec';
import { UsageError } from './usage-error';
import { writeExploredCsv, writeSamplesCsv, writeWindowsCsv } from './write-samples';

export interface RunCommandOptions {
  readonly specPath: string;
  readonly dbPath: string;
  readonly outDir?: string;
  readonly seed?: number;
  readonly onProgress?: (p: RunProgress) => void;
  /** Told the run's id as soon as it is queued. */
  readonly onQueued?: (run: RunDto) => void;
  readonly signal?: AbortSignal;
}

/**
 * `bgw run`: validate, then run the spec through the backend (one worker; everything persists to
 * the database as for a run started from the UI). With `--out`, also write the files: samples.csv
 * (one per extra temperature), explored.csv and flow.bgwf for generator runs, windows.csv for
 * umbrella runs, and result.json. They are written into a hidden folder inside `outDir` first
 * and moved into place only when complete (the old result.json removed first, the new one moved
 * last), so a failed or interrupted run never leaves a result that looks complete.
 */
export async function runCommand(o: RunCommandOptions): Promise<{ run: RunDto; result: RunResult; files: string[] }> {
  const spec = await loadSpec(o.specPath);
  const outDir = o.outDir ? resolve(o.outDir) : null;
  if (outDir) await ensureDir(outDir);
  const seed = o.seed ?? spec.seed ?? randomInt(0, 2 ** 31 - 1);
  // Made before the run, so an unwritable --out fails in a second, not after hours of training.
  const staging = outDir
    ? await mkdtemp(join(outDir, '.bgw-partial-')).catch((e: Error) => {
        throw new UsageError(`cannot write to --out ${outDir}: ${e.message}`);
      })
    : null;
  let files: string[] = [];
  let outputError: Error | null = null;
  const onOutput = async (_: number, out: JobOutput): Promise<void> => {
    try {
      files = await stageFiles(spec, out, staging!);
    } catch (e) {
      outputError = e as Error;
    }
  };
  const backend = await createBackend({ dbPath: o.dbPath, workers: 1, startQueued: false, owner: 'bgw run', ...(staging ? { onOutput } : {}) });
  try {
    const run = await backend.call('runs:start', { spec, seed });
    o.onQueued?.(run);
    backend.events.subscribe((m) => {
      if (m.event === 'runs:progress' && m.data.runId === run.id) o.onProgress?.(m.data.progress);
    });
    o.signal?.addEventListener('abort', () => void backend.scheduler.cancel(run.id), { once: true });
    const done = await backend.scheduler.waitFor(run.id);
    if (done.status === 'cancelled') throw abortError();
    if (done.status !== 'completed') throw new Error(done.error ?? `run ${run.id} ${done.status}`);
    const result = backend.repos.runs.detail(run.id)!.result!;
    if (outputError) throw new Error(`run ${run.id} completed and is stored in ${o.dbPath}, but writing --out failed: ${(outputError as Error).message}`);
    if (!outDir || !staging) return { run: done, result, files: [] };
    await writeFile(join(staging, 'result.json'), `${JSON.stringify(result, null, 2)}\n`);
    files.push('result.json');
    // Commit point: a Ctrl-C that arrived while the files were written must not replace the
    // previous result. Files of an earlier run that this one does not rewrite (other
    // temperatures) are removed, so the folder never mixes two runs.
    await new Promise<void>((r) => setImmediate(r));
    if (o.signal?.aborted) throw abortError();
    await rm(join(outDir, 'result.json'), { force: true });
    for (const old of await readdir(outDir)) {
      if (/^(samples|windows)(-tau.+)?\.csv$|^explored\.csv$|^flow\.bgwf$/.test(old) && !files.includes(old)) await rm(join(outDir, old), { force: true });
    }
    for (const f of files) await rename(join(staging, f), join(outDir, f));
    return { run: done, result, files: files.map((f) => join(outDir, f)) };
  } finally {
    await backend.close();
    if (staging) await rm(staging, { recursive: true, force: true });
  }
}

/** A finished job's data files (not result.json), written into `staging`. */
async function stageFiles(spec: RunSpec, out: JobOutput, staging: string): Promise<string[]> {
  const { createSystem } = await import('../../engine/energies');
  const { MOLECULE_STATES } = await import('../../engine/energies/molecule/system');
  // Only the dimension and the states are needed here; a molecule's are known without its structure.
  const system = isMoleculeSystem(spec.system.name) ? { dim: dimOf(out), states: MOLECULE_STATES } : createSystem(spec.system.name, spec.system.params);
  const files: string[] = [];
  const suffix = (tau: number): string => (tau === out.result.tau ? '' : `-tau${tau}`);
  for (const [i, windows] of (out.windows ?? []).entries()) {
    const tau = out.result.temperatures[i]!.tau;
    await writeWindowsCsv(join(staging, `windows${suffix(tau)}.csv`), windows, tau);
    files.push(`windows${suffix(tau)}.csv`);
  }
  for (const s of out.sets) {
    if (s.kind === 'generated' && s.u && s.logw && s.rc && s.state && s.tau !== null) {
      const name = `samples${suffix(s.tau)}.csv`;
      await writeSamplesCsv(join(staging, name), { tau: s.tau, dim: system.dim, x: s.x, u: s.u, logw: s.logw, rc: s.rc, state: s.state }, system.states);
      files.push(name);
    } else if (s.kind === 'explored' && s.u && s.rc) {
      await writeExploredCsv(join(staging, 'explored.csv'), { x: s.x, u: s.u, rc: s.rc }, system.states);
      files.push('explored.csv');
    }
  }
  if (out.flow) {
    await writeFile(join(staging, 'flow.bgwf'), out.flow);
    files.push('flow.bgwf');
  }
  return files;
}

async function ensureDir(dir: string): Promise<void> {
  const s = await stat(dir).catch(() => null);
  if (s && !s.isDirectory()) throw new UsageError(`--out ${dir} exists and is not a directory`);
  try {
    await mkdir(dir, { recursive: true });
  } catch (e) {
    throw new UsageError(`cannot create --out ${dir}: ${(e as Error).message}`);
  }
}

/** `bgw resume <run>`: continue a run from its last checkpoint, in this process's backend. */
export async function resumeCommand(o: Omit<RunCommandOptions, 'specPath' | 'outDir' | 'seed'> & { runId: string }): Promise<{ run: RunDto; result: RunResult; files: string[] }> {
  const backend = await createBackend({ dbPath: o.dbPath, workers: 1, startQueued: false, owner: 'bgw resume' });
  try {
    const id = Number(o.runId);
    if (!Number.isInteger(id) || id < 1) throw new UsageError(`expected a run id (a positive integer), got '${o.runId}'`);
    const run = await backend.call('runs:resume', { id }).catch((e: Error) => {
      throw new UsageError(e.message);
    });
    o.onQueued?.(run);
    backend.events.subscribe((m) => {
      if (m.event === 'runs:progress' && m.data.runId === id) o.onProgress?.(m.data.progress);
    });
    o.signal?.addEventListener('abort', () => void backend.scheduler.cancel(id), { once: true });
    const done = await backend.scheduler.waitFor(id);
    if (done.status === 'cancelled') throw abortError();
    if (done.status !== 'completed') throw new Error(done.error ?? `run ${id} ${done.status}`);
    return { run: done, result: backend.repos.runs.detail(id)!.result!, files: [] };
  } finally {
    await backend.close();
  }
}

/** Coordinates per row of a job's first set with rows. */
function dimOf(out: JobOutput): number {
  const s = out.sets.find((x) => x.w.length > 0);
  return s ? s.x.length / s.w.length : 0;
}

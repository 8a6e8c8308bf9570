import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { abortError } from '../../../engine/cancel';
import type { JobOutput } from '../../../contract/jobs';
import type { RunResult } from '../../../contract/run-result';
import type { RunSpec } from '../../../contract/run-spec';
import { describeSystem } from '../../../contract/systems';
import { UsageError } from '../usage-error';
import { writeExploredCsv, writeSamplesCsv, writeWindowsCsv } from './write-samples';

/**
 * `--out`: the files are written into a hidden folder inside `dir` first and moved into place
 * only when complete (the old result.json removed first, the new one moved last), so a failed or
 * interrupted run never leaves a result that looks complete.
 */
export interface OutDir {
  readonly dir: string;
  readonly staging: string;
}

/**
 * The folder and the name of its staging folder, before anything is created there: the name goes
 * into the database lock first, so that whoever takes over the lock of a killed run removes it.
 */
export async function planOut(dir: string): Promise<OutDir> {
  const s = await stat(dir).catch(() => null);
  if (s && !s.isDirectory()) throw new UsageError(`--out ${dir} exists and is not a directory`);
  return { dir, staging: join(dir, `.bgw-partial-${process.pid}-${randomBytes(4).toString('hex')}`) };
}

/** Made before the run, so an unwritable --out fails in a second, not after hours of training. */
export async function prepareOut(out: OutDir): Promise<void> {
  try {
    await mkdir(out.dir, { recursive: true });
  } catch (e) {
    throw new UsageError(`cannot create --out ${out.dir}: ${(e as Error).message}`);
  }
  await mkdir(out.staging).catch((e: Error) => {
    throw new UsageError(`cannot write to --out ${out.dir}: ${e.message}`);
  });
}

/** A finished job's data files (not result.json), written into the staging folder; their names. */
export async function stageFiles(spec: RunSpec, out: JobOutput, staging: string): Promise<string[]> {
  // Only the dimension and the states are needed: no tfjs system. An imported molecule's
  // dimension is known once its structure is read, so it comes from the job's rows.
  const system = describeSystem(spec.system.name, spec.system.params);
  const dim = system.dim ?? dimOf(out);
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
      await writeSamplesCsv(join(staging, name), { tau: s.tau, dim, x: s.x, u: s.u, logw: s.logw, rc: s.rc, state: s.state }, system.states);
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

/**
 * Write result.json and move the staged files into place; their paths. Files of an earlier run
 * that this one does not rewrite (other temperatures) are removed, so the folder never mixes two runs.
 */
export async function commitOut(out: OutDir, staged: readonly string[], result: RunResult, signal?: AbortSignal): Promise<string[]> {
  await writeFile(join(out.staging, 'result.json'), `${JSON.stringify(result, null, 2)}\n`);
  const files = [...staged, 'result.json'];
  // Commit point: a Ctrl-C that arrived while the files were written must not replace the previous result.
  await new Promise<void>((r) => setImmediate(r));
  if (signal?.aborted) throw abortError();
  await rm(join(out.dir, 'result.json'), { force: true });
  for (const old of await readdir(out.dir)) {
    if (/^(samples|windows)(-tau.+)?\.csv$|^explored\.csv$|^flow\.bgwf$/.test(old) && !files.includes(old)) await rm(join(out.dir, old), { force: true });
  }
  for (const f of files) await rename(join(out.staging, f), join(out.dir, f));
  return files.map((f) => join(out.dir, f));
}

/** Coordinates per row of a job's first set with rows. */
function dimOf(out: JobOutput): number {
  const s = out.sets.find((x) => x.w.length > 0);
  return s ? s.x.length / s.w.length : 0;
}

/**
 * `--out` around a run (`bgw run`, `bgw resume`): stages the job's files as the worker hands them
 * over, commits them when the run is stored, and never turns a stored run into a lost one: a
 * failed write says the run completed, where it is, what failed and where the staged files are
 * (they are kept), and cleaning up never hides that cause.
 */
export class OutWriter {
  private staged: string[] = [];
  private stageError: Error | null = null;
  private committed = false;
  /** The spec of the run being written (known before its output arrives). */
  spec: RunSpec | null = null;

  private constructor(readonly out: OutDir) {}

  /** Names the staging folder (for the lock); `create` makes it once the lock records it. */
  static async plan(dir: string): Promise<OutWriter> {
    return new OutWriter(await planOut(dir));
  }

  create(): Promise<void> {
    return prepareOut(this.out);
  }

  /** The scheduler's onOutput: stage the files; an error is kept for after the run is stored. */
  readonly onOutput = async (_: number, job: JobOutput): Promise<void> => {
    try {
      if (!this.spec) throw new Error('the run spec is unknown');
      this.staged = await stageFiles(this.spec, job, this.out.staging);
    } catch (e) {
      this.stageError = e as Error;
    }
  };

  /** Move the files into place; any failure names the stored run, the cause and what survives. */
  async commit(runId: number, dbPath: string, result: RunResult, signal?: AbortSignal): Promise<string[]> {
    const stored = `run ${runId} completed and is stored in ${dbPath}`;
    const again = `(\`bgw export ${runId} --format csv -o FILE\` writes its samples again)`;
    if (this.stageError) throw new Error(`${stored}, but writing --out ${this.out.dir} failed: ${this.stageError.message} ${again}`);
    try {
      const files = await commitOut(this.out, this.staged, result, signal);
      this.committed = true;
      return files;
    } catch (e) {
      if ((e as Error).name === 'AbortError') throw e;
      throw new Error(`${stored}, but moving its files into --out ${this.out.dir} failed: ${(e as Error).message}; the written files are kept in ${this.out.staging} ${again}`);
    }
  }

  /** Remove the staging folder unless it holds files a failed commit kept; never throws (the run's own error matters more). */
  async close(): Promise<void> {
    if (!this.committed && this.staged.length > 0) return;
    await rm(this.out.staging, { recursive: true, force: true }).catch(() => {});
  }
}

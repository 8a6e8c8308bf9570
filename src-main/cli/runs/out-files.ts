import { mkdir, mkdtemp, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
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

/** Made before the run, so an unwritable --out fails in a second, not after hours of training. */
export async function prepareOut(dir: string): Promise<OutDir> {
  const s = await stat(dir).catch(() => null);
  if (s && !s.isDirectory()) throw new UsageError(`--out ${dir} exists and is not a directory`);
  try {
    await mkdir(dir, { recursive: true });
  } catch (e) {
    throw new UsageError(`cannot create --out ${dir}: ${(e as Error).message}`);
  }
  const staging = await mkdtemp(join(dir, '.bgw-partial-')).catch((e: Error) => {
    throw new UsageError(`cannot write to --out ${dir}: ${e.message}`);
  });
  return { dir, staging };
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

import { randomInt } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createSystem } from '../../workers/engine/energies/index';
import { runTrainSample } from '../../workers/jobs/train-sample';
import { runUmbrella } from '../../workers/jobs/umbrella';
import { abortError } from '../../workers/engine/cancel';
import type { RunEvent, RunResult } from '../contract/run-result';
import type { RunSpec } from '../contract/run-spec';
import { UsageError } from './usage-error';
import { loadSpec } from './load-spec';
import { writeExploredCsv, writeSamplesCsv, writeWindowsCsv } from './write-samples';

export interface RunCommandOptions {
  readonly specPath: string;
  readonly outDir: string;
  readonly seed?: number;
  readonly onEvent?: (e: RunEvent) => void;
  readonly signal?: AbortSignal;
}

/**
 * `bgw run`: validate, run the spec's method, then write its files: samples.csv (one per extra
 * temperature), explored.csv and flow.bgwf for generator runs, windows.csv for umbrella runs, and
 * result.json. Everything is written into a hidden folder inside `outDir` first and
 * moved into place only when complete (the old result.json is removed first, the new one moved
 * last), so a failed or interrupted run never leaves a result that looks complete; a run that fails
 * before that point leaves an older complete result in `outDir` intact.
 */
export async function runCommand(o: RunCommandOptions): Promise<{ result: RunResult; files: string[] }> {
  const spec = await loadSpec(o.specPath);
  const outDir = resolve(o.outDir);
  await ensureDir(outDir);
  const seed = o.seed ?? spec.seed ?? randomInt(0, 2 ** 31 - 1);
  // Made before the run, so an unwritable --out fails in a second, not after hours of training.
  const staging = await mkdtemp(join(outDir, '.bgw-partial-')).catch((e: Error) => {
    throw new UsageError(`cannot write to --out ${outDir}: ${e.message}`);
  });
  try {
    const jobOptions = { seed, ...(o.onEvent ? { onEvent: o.onEvent } : {}), ...(o.signal ? { signal: o.signal } : {}) };
    const { result, files } = await runAndStage(spec, jobOptions, staging);
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
    return { result, files: files.map((f) => join(outDir, f)) };
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/** Run the spec's method and write its data files (not result.json) into `staging`. */
async function runAndStage(
  spec: RunSpec,
  jobOptions: { seed: number; onEvent?: (e: RunEvent) => void; signal?: AbortSignal },
  staging: string,
): Promise<{ result: RunResult; files: string[] }> {
  const system = createSystem(spec.system.name, spec.system.params);
  const files: string[] = [];
  const suffix = (tau: number, primary: number): string => (tau === primary ? '' : `-tau${tau}`);
  if (spec.method === 'umbrella') {
    const output = await runUmbrella(spec, jobOptions);
    for (const [i, windows] of output.windows.entries()) {
      const tau = output.result.temperatures[i]!.tau;
      const name = `windows${suffix(tau, output.result.tau)}.csv`;
      await writeWindowsCsv(join(staging, name), windows, tau);
      files.push(name);
    }
    return { result: output.result, files };
  }
  const output = await runTrainSample(spec, jobOptions);
  for (const s of output.samples) {
    const name = `samples${suffix(s.tau, output.result.tau)}.csv`;
    await writeSamplesCsv(join(staging, name), s, system.states);
    files.push(name);
  }
  if (output.explored) {
    await writeExploredCsv(join(staging, 'explored.csv'), output.explored, system.states);
    files.push('explored.csv');
  }
  await writeFile(join(staging, 'flow.bgwf'), output.flowBytes);
  files.push('flow.bgwf');
  return { result: output.result, files };
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

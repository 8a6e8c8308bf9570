import { spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunResult } from '../../contract/run-result';

// The end-to-end acceptance test: a CI-sized double-well run through the real CLI must reach
// |ΔF − exact| < 0.3 kT at τ = 1 and report its ESS, and its files must be self-consistent.

const ROOT = resolve(import.meta.dirname, '../..');
const SPEC = 'test/fixtures/double-well-ci.json';
const SEED = 7;
const TOLERANCE_KT = 0.3;

interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  seconds: number;
}

function bgw(args: string[], timeoutMs: number): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const env = { ...process.env };
    delete env.BGW_BACKEND;
    delete env.BGW_DEBUG;
    const t0 = performance.now();
    const child = spawn(process.execPath, ['bin/bgw.mjs', ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`bgw ${args.join(' ')} timed out after ${timeoutMs} ms\nstderr: ${stderr}`));
    }, timeoutMs);
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code, signal, stdout, stderr, seconds: (performance.now() - t0) / 1000 });
    });
  });
}

/** The published double well, in the test's own float64 arithmetic: x⁴ − 6x² + x + ½y². */
const doubleWellEnergy = (x: number, y: number): number => x ** 4 - 6 * x ** 2 + x + 0.5 * y ** 2;

let tmp: string;
let out: string;
let run: CliResult;
let result: RunResult;
let spec: { sampling: { n: number }; analysis: { bins: number }; training: { stages: { iterations: number }[] } };

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'bgw-e2e-'));
  out = join(tmp, 'out');
  spec = JSON.parse(await readFile(join(ROOT, SPEC), 'utf8'));
  run = await bgw(['run', SPEC, '--out', out, '--seed', String(SEED)], 240_000);
  console.info(`double-well e2e: bgw run took ${run.seconds.toFixed(1)} s\n${run.stdout}`);
  if (run.code !== 0) throw new Error(`bgw run exited ${run.code ?? run.signal}\nstderr:\n${run.stderr}`);
  result = JSON.parse(await readFile(join(out, 'result.json'), 'utf8'));
}, 300_000);

afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe('double well end to end via `bgw run`', () => {
  it('reaches |ΔF − exact| < 0.3 kT at τ = 1 and reports the ESS', () => {
    expect(result.tau).toBe(1);
    expect(result.exact).not.toBeNull();
    expect(result.deltaF.value).not.toBeNull();
    expect(result.warnings).toEqual([]);
    const err = result.deltaF.value! - result.exact!.deltaF;
    expect(Math.abs(err), `ΔF ${result.deltaF.value} vs exact ${result.exact!.deltaF}`).toBeLessThan(TOLERANCE_KT);
    expect(result.essFraction).toBeGreaterThan(0);
    expect(result.essFraction).toBeLessThanOrEqual(1);
    // The summary on stdout says the same.
    expect(run.stdout).toMatch(/ΔF\(right − left\) at τ=1: -?\d+\.\d{3} ± \d+\.\d{3} kT {2}\(exact \d+\.\d{3}, error -?\d+\.\d{3}\)/);
    expect(run.stdout).toMatch(/ESS \d+(\.\d)?% of 10000/);
  });

  it('writes result.json with the contract fields', () => {
    expect(result.format).toBe('bgw-result/1');
    expect(result.system).toBe('double-well');
    expect(result.dim).toBe(2);
    expect(['wasm', 'cpu', 'webgpu', 'tensorflow']).toContain(result.backend.name);
    expect(result.backend.detail.length).toBeGreaterThan(0);
    // Why faster backends were passed over is part of the result, not only the terminal.
    if (result.backend.name === 'wasm') {
      expect(result.backend.passedOver.map((p: { name: string }) => p.name).join(' ')).toMatch(/tensorflow/);
    }
    expect(result.seed).toBe(SEED); // --seed overrides the spec's seed
    expect(result.nSamples).toBe(spec.sampling.n);
    expect(Number.isFinite(result.essFraction)).toBe(true);

    const d = result.deltaF;
    expect(d.A).toBe('left');
    expect(d.B).toBe('right');
    expect(Number.isFinite(d.value)).toBe(true);
    expect(d.stderr).toBeGreaterThan(0);
    expect(d.stderr).toBeLessThan(TOLERANCE_KT);
    expect(Number.isFinite(result.exact!.deltaF)).toBe(true);

    const bins = spec.analysis.bins;
    const p = result.profile;
    expect(p.centers).toHaveLength(bins);
    expect(p.F).toHaveLength(bins);
    expect(p.stderr).toHaveLength(bins);
    expect(p.exact).toHaveLength(bins);
    for (let i = 1; i < bins; i++) expect(p.centers[i]!).toBeGreaterThan(p.centers[i - 1]!);

    const t = result.timing;
    expect(t.trainSeconds).toBeGreaterThan(0);
    expect(t.msPerStep).toBeGreaterThan(0);
    expect(t.samplesPerSecond).toBeGreaterThan(0);
    expect(result.training?.steps).toBe(spec.training.stages.reduce((a, s) => a + s.iterations, 0));
  });

  it('writes exactly samples.csv, flow.bgwf and result.json (no staging leftovers)', async () => {
    expect((await readdir(out)).sort()).toEqual(['flow.bgwf', 'result.json', 'samples.csv']);
    expect(existsSync(join(out, 'flow.bgwf'))).toBe(true);
    expect(statSync(join(out, 'flow.bgwf')).size).toBeGreaterThan(0);
    for (const f of ['samples.csv', 'flow.bgwf', 'result.json']) expect(run.stdout).toContain(`wrote ${join(out, f)}`);
  });

  it('writes a samples.csv consistent with the energy, the RC and the weights', async () => {
    const text = await readFile(join(out, 'samples.csv'), 'utf8');
    const rows = text.trimEnd().split('\n');
    expect(rows[0]).toBe('x0,x1,energy,logw,weight,rc,state');
    const data = rows.slice(1);
    expect(data).toHaveLength(result.nSamples);

    let weightSum = 0;
    let maxLogw = -Infinity;
    const logws: number[] = [];
    const weights: number[] = [];
    const counts = { left: 0, right: 0 };
    for (const [k, row] of data.entries()) {
      const cells = row.split(',');
      expect(cells, `row ${k + 1}`).toHaveLength(7);
      const [x0, x1, energy, logw, weight, rc] = cells.slice(0, 6).map(Number) as [number, number, number, number, number, number];
      const state = cells[6];
      for (const v of [x0, x1, energy, logw, weight, rc]) expect(Number.isFinite(v), `row ${k + 1}: ${row}`).toBe(true);

      const e = doubleWellEnergy(x0, x1);
      if (Math.abs(energy - e) > 1e-4 * Math.max(1, Math.abs(e))) {
        throw new Error(`row ${k + 1}: energy ${energy} but x⁴ − 6x² + x + ½y² = ${e} (${row})`);
      }
      // rc is x0: the same float32, printed once with 9 digits and once as its float64 value.
      if (Math.fround(rc) !== Math.fround(x0)) throw new Error(`row ${k + 1}: rc ${rc} ≠ x0 ${x0}`);
      const expected = rc < 0 ? 'left' : 'right';
      if (state !== expected) throw new Error(`row ${k + 1}: state '${state}' but rc = ${rc}`);
      counts[expected] += 1;

      expect(weight).toBeGreaterThanOrEqual(0);
      weightSum += weight;
      maxLogw = Math.max(maxLogw, logw);
      logws.push(logw);
      weights.push(weight);
    }
    expect(Math.abs(weightSum - 1)).toBeLessThan(1e-6);
    // Both wells are populated (the left one far more: ΔF ≈ 3.4 kT).
    expect(counts.left).toBeGreaterThan(counts.right);
    expect(counts.right).toBeGreaterThan(0);
    // weight = exp(logw) / Σ exp(logw).
    let z = 0;
    for (const l of logws) z += Math.exp(l - maxLogw);
    for (let i = 0; i < logws.length; i += 97) {
      const w = Math.exp(logws[i]! - maxLogw) / z;
      expect(Math.abs(weights[i]! - w)).toBeLessThanOrEqual(1e-9 * Math.max(w, 1e-12) + 1e-15);
    }
  });

  it('showed progress on stderr', () => {
    expect(run.stderr).toMatch(/• backend /);
    expect(run.stderr).toMatch(/• Metropolis reference data: /);
    expect(run.stderr).toMatch(/• training RRRR \(64×64\)/);
    expect(run.stderr).toMatch(/step 300\/300 {2}loss /);
    expect(run.stderr).toMatch(/• sampling 10000 per temperature/);
    expect(run.stderr).toMatch(/• reweighting/);
  });
});

import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunResult } from '../../contract/run-result';

// `bgw run` end to end for the two new run kinds: exploration from one configuration, and the
// umbrella-sampling reference. Small budgets; the physics checks live in test/engine.

const ROOT = resolve(import.meta.dirname, '../..');
let tmp: string;

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'bgw-explore-umbrella-'));
});
afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

async function run(name: string, spec: unknown): Promise<{ out: string; result: RunResult; stdout: string; stderr: string }> {
  const specPath = join(tmp, `${name}.json`);
  await writeFile(specPath, JSON.stringify(spec));
  const out = join(tmp, name);
  const env = { ...process.env, BGW_BACKEND: 'wasm' };
  const r = spawnSync(process.execPath, ['bin/bgw.mjs', 'run', specPath, '--out', out], { cwd: ROOT, env, encoding: 'utf8', timeout: 240_000 });
  expect(r.status, r.stderr).toBe(0);
  return { out, result: JSON.parse(await readFile(join(out, 'result.json'), 'utf8')) as RunResult, stdout: r.stdout, stderr: r.stderr };
}

describe('bgw run: exploration from the left minimum of the double well', () => {
  it('finds the right well, writes the buffer, refines, reweights and reports a latent path', async () => {
    const spec = {
      seed: 3,
      system: { name: 'double-well' },
      data: { source: 'configuration', start: 'A', bufferSize: 1000 },
      explore: { iterations: 300, batch: 256, wML: 1, wKL: 1, wRC: 10, step: 0.5 },
      flow: { layers: 'RRRR', hidden: [64, 64] },
      training: { stages: [{ name: 'ML+KL on buffer', iterations: 100, lr: 1e-3, batch: 256, wML: 1, wKL: 1 }] },
      sampling: { n: 5000 },
      analysis: { bins: 20, bootstrap: 10, pathPoints: 11 },
    };
    const { out, result, stderr } = await run('explore', spec);
    expect((await readdir(out)).sort()).toEqual(['explored.csv', 'flow.bgwf', 'result.json', 'samples.csv']);
    expect(stderr).toMatch(/exploring from one configuration \(rc -1\.77/);

    expect(result.method).toBe('generator');
    const ex = result.explore!;
    expect(ex.iterations).toBe(300);
    expect(ex.bufferSize).toBe(1000);
    expect(ex.buffer.stateFractions.B).toBeGreaterThan(0.005);
    expect(ex.buffer.rcMax).toBeGreaterThan(1);
    expect(ex.acceptance).toBeGreaterThan(0);
    expect(result.data).toBeNull();
    expect(result.training?.steps).toBe(100);
    expect(result.deltaF.value).not.toBeNull();
    // The independence-sampler cross-check ran over the same proposals.
    const mcmc = result.temperatures[0]!.mcmc!;
    expect(mcmc.acceptance).toBeGreaterThan(0);
    expect(mcmc.acceptance).toBeLessThanOrEqual(1);

    const csv = (await readFile(join(out, 'explored.csv'), 'utf8')).trim().split('\n');
    expect(csv[0]).toBe('x0,x1,energy,rc,state');
    expect(csv).toHaveLength(1001);
    const states = new Set(csv.slice(1).map((l) => l.split(',')[4]));
    expect([...states].sort()).toEqual(['left', 'right']);

    const path = result.path!;
    expect(path.t).toHaveLength(11);
    expect(path.x[0]![0]).toBeCloseTo(-1.77, 1);
    expect(path.rc[10]).toBeGreaterThan(1.5);
    expect(path.latentDistance).toBeGreaterThan(0);
  });
});

describe('bgw run: umbrella sampling + WHAM reference on the double well', () => {
  it('matches exact quadrature and writes the windows for re-analysis', async () => {
    const spec = {
      seed: 2,
      method: 'umbrella',
      system: { name: 'double-well' },
      umbrella: { range: [-2.5, 2.5], windows: 21, k: 30, stepsPerWindow: 200000, burnIn: 2000, stride: 50 },
      analysis: { bins: 50, rcRange: [-2.6, 2.6], bootstrap: 20 },
    };
    const { out, result, stdout } = await run('umbrella', spec);
    expect((await readdir(out)).sort()).toEqual(['result.json', 'windows.csv']);
    expect(result.method).toBe('umbrella');
    expect(result.essFraction).toBeNull();
    expect(result.umbrella!.windows).toHaveLength(21);
    expect(result.umbrella!.converged).toBe(true);
    const d = result.deltaF;
    expect(Math.abs(d.value! - result.exact!.deltaF)).toBeLessThan(0.15);
    expect(d.stderr).toBeGreaterThan(0);
    expect(stdout).toMatch(/umbrella samples in 21 windows/);
    // The profile has the generator result's shape, with the exact reference next to it.
    expect(result.profile.F).toHaveLength(50);
    expect(result.profile.exact).toHaveLength(50);

    const csv = (await readFile(join(out, 'windows.csv'), 'utf8')).trim().split('\n');
    expect(csv[0]).toBe('window,center,k,tau,rc');
    expect(csv).toHaveLength(1 + 21 * 4000);
    expect(csv[1]!.split(',').slice(0, 4)).toEqual(['0', '-2.5', '30', '1']);
  });
});

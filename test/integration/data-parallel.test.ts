import * as tf from '@tensorflow/tfjs-core';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { selectCompute } from '../../engine/compute/select';
import { createSystem } from '../../engine/energies';
import { buildFlow } from '../../engine/flows/build';
import { deserializeFlow, serializeFlow } from '../../engine/flows/serialize';
import { Rng } from '../../engine/rng';
import type { Stage } from '../../engine/train/schedule';
import { train } from '../../engine/train/trainer';
import type { TrainProgress } from '../../contract/progress';
import { startDataParallel, type DataParallel } from '../../workers/parallel/data-parallel';
import { combineShards, shards } from '../../workers/parallel/shared-step';
import { randomize } from '../helpers/flows';
import { sampleFlow } from '../../engine/sampling';

beforeAll(async () => {
  await selectCompute({ prefer: 'wasm', env: {} });
});

const STAGE: Stage = { iterations: 12, lr: 3e-3, batch: 96, wML: 1, wKL: 1, wRC: 0, highEnergy: 1e3, maxEnergy: 1e10, temperatures: [1, 2], rcLoss: 'barrier' };
const system = createSystem('double-well');
const open: DataParallel[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((p) => p.close()));
});

/** A trained-looking flow as bytes, so every run starts from the same weights. */
function startingFlow(): Uint8Array {
  const rng = new Rng(7);
  const built = buildFlow({ layers: 'RRR', hidden: [32, 32], sScale: 1, whiten: false }, 2, rng);
  randomize(built.flow, rng, 0.2);
  return serializeFlow(built);
}

/** Loss trajectory of `stages` on `cores` threads from the same flow, data and seed. */
async function trajectory(cores: number, stages: Stage[] = [STAGE]): Promise<{ losses: number[]; weights: number[] }> {
  const bytes = startingFlow();
  const { flow } = deserializeFlow(bytes, new Rng(0));
  const dp = await startDataParallel({ cores, flow, flowBytes: bytes, backend: 'wasm', system: { name: 'double-well', params: {}, molecule: null }, maxBatch: 96 });
  open.push(dp);
  const data = new Rng(3).normals(new Float64Array(2 * 500));
  const losses: number[] = [];
  await train({ flow, system, stages, data, dataTau: 1, rng: new Rng(11), clipNorm: 100, step: dp.step, onProgress: (p: TrainProgress) => losses.push(p.loss.total) });
  return { losses, weights: flow.variables().flatMap((v) => Array.from(v.dataSync())) };
}

describe('data-parallel training', () => {
  it('splits a batch into contiguous shards and recombines shard means into the batch mean', () => {
    expect(shards(10, 3)).toEqual([[0, 3], [3, 6], [6, 10]]);
    expect(shards(2, 3)).toEqual([[0, 0], [0, 1], [1, 2]]);
    const rows = [1, 2, 3, 4, 5, 6, 7];
    const mean = (a: number[]): number => a.reduce((s, v) => s + v, 0) / a.length;
    const parts = shards(rows.length, 3).map(([a, b]) => ({ rows: b - a, values: [mean(rows.slice(a, b))] }));
    expect(combineShards(parts, new Float32Array(1))[0]).toBeCloseTo(4, 6);
  });

  it('2 threads follow the 1-thread loss trajectory (ML + KL), and repeat it exactly', async () => {
    const one = await trajectory(1);
    const two = await trajectory(2);
    expect(two.losses).toHaveLength(12);
    two.losses.forEach((l, k) => expect(Math.abs(l - one.losses[k]!)).toBeLessThan(1e-4 * Math.max(1, Math.abs(l))));
    const maxDiff = Math.max(...two.weights.map((w, k) => Math.abs(w - one.weights[k]!)));
    expect(maxDiff).toBeLessThan(1e-4);
    expect(maxDiff).toBeGreaterThan(0); // the threads really did the work: summation order differs
    expect((await trajectory(2)).losses).toEqual(two.losses);
  });

  it('3 threads (two helpers) agree too; an RC stage runs on the leader alone', async () => {
    const rc: Stage = { ...STAGE, iterations: 4, wRC: 1 };
    const one = await trajectory(1, [STAGE, rc]);
    const three = await trajectory(3, [STAGE, rc]);
    three.losses.forEach((l, k) => expect(Math.abs(l - one.losses[k]!)).toBeLessThan(1e-4 * Math.max(1, Math.abs(l))));
  });

  it('samples on 2 threads: the same samples and log-weights as one thread', async () => {
    const bytes = startingFlow();
    const { flow } = deserializeFlow(bytes, new Rng(0));
    const budget = { current: 2 };
    const dp = await startDataParallel({ cores: 2, flow, flowBytes: bytes, backend: 'wasm', system: { name: 'double-well', params: {}, molecule: null }, maxBatch: 96, maxSampleRows: 1000, budget });
    open.push(dp);
    const opts = { n: 2500, tau: 1, chunk: 1000 };
    const one = await sampleFlow(flow, system, { ...opts, rng: new Rng(5) });
    const two = await sampleFlow(flow, system, { ...opts, rng: new Rng(5), forward: dp.forward });
    const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => Math.max(...Array.from(a, (v, k) => Math.abs(v - b[k]!)));
    expect(maxDiff(two.x, one.x)).toBeLessThan(1e-5);
    expect(maxDiff(two.logw, one.logw)).toBeLessThan(1e-3);
    expect(Array.from(two.state)).toEqual(Array.from(one.state));
    // Passes larger than the slots (or a budget cut to one thread by another run) go in pieces, same rows.
    const z = new Rng(9).normals(new Float64Array(2 * 3000));
    const whole = flow.forward(tf.tensor2d(Float32Array.from(z), [3000, 2]));
    const want = whole.x.dataSync() as Float32Array;
    for (const cores of [2, 1]) {
      budget.current = cores;
      const got = dp.forward!(Float32Array.from(z), 3000);
      expect(maxDiff(got.x, want), `${cores} thread(s)`).toBeLessThan(1e-5);
    }
  });
});

import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { selectCompute } from '../../engine/compute/select';
import { buildFlow } from '../../engine/flows/build';
import { mlLoss } from '../../engine/losses';
import { Rng } from '../../engine/rng';
import { BestWeights, evenlySpacedRows, heldOutNll, SEGMENTS, splitHeldOut } from '../../engine/train/held-out';
import { randomize } from '../helpers/flows';

beforeAll(async () => {
  await selectCompute({ prefer: 'wasm', env: {} });
});

/** Rows of two columns: (row index, −row index). */
const indexed = (n: number): Float64Array => Float64Array.from({ length: 2 * n }, (_, i) => (i % 2 ? -1 : 1) * Math.floor(i / 2));

describe('held-out data for early stopping', () => {
  it('holds out the tail of each of the 20 segments: every row once, whole rows, in order', () => {
    const n = 1000;
    const { train, heldOut } = splitHeldOut(indexed(n), 2, 0.1);
    const rows = (x: Float64Array): number[] => Array.from({ length: x.length / 2 }, (_, i) => x[2 * i]!);
    const held = rows(heldOut);
    expect(held).toHaveLength(100);
    expect([...rows(train), ...held].sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
    for (let i = 0; i < heldOut.length / 2; i++) expect(heldOut[2 * i + 1]).toBe(-heldOut[2 * i]!);
    // Segment s (50 rows) holds out its last 5: rows 45–49, 95–99, …
    expect(held.slice(0, 10)).toEqual([45, 46, 47, 48, 49, 95, 96, 97, 98, 99]);
    expect(new Set(held.map((r) => Math.floor(r / (n / SEGMENTS)))).size).toBe(SEGMENTS);
  });

  it('picks whole rows evenly spaced over the set, first row first, and all of them where there are few', () => {
    const x = indexed(10);
    expect(evenlySpacedRows(x, 2, 10)).toBe(x);
    const picked = evenlySpacedRows(indexed(1000), 2, 7);
    expect(Array.from(picked)).toEqual([0, 142, 285, 428, 571, 714, 857].flatMap((r) => [r, -r]));
  });

  it('refuses a fraction outside (0, 1) and a split that leaves one side empty', () => {
    expect(() => splitHeldOut(indexed(100), 2, 0)).toThrow(/not in \(0, 1\)/);
    expect(() => splitHeldOut(indexed(100), 2, 1)).toThrow(/not in \(0, 1\)/);
    expect(() => splitHeldOut(indexed(10), 2, 0.01)).toThrow(/0 to check against/);
  });

  it('scores the mean ML loss of the held-out rows, and restores the best weights exactly', () => {
    const rng = new Rng(1);
    const built = buildFlow({ layers: 'RR', hidden: [8], sScale: 1, whiten: false }, 3, rng);
    randomize(built.flow, rng, 0.3);
    const x = Float64Array.from(rng.normals(new Float64Array(300 * 3)));
    const direct = tf.tidy(() => mlLoss(built.flow, tf.tensor2d(Float32Array.from(x), [300, 3]), 1.5).dataSync()[0]!);
    expect(heldOutNll(built.flow, x, 1.5)).toBeCloseTo(direct, 4);

    const best = new BestWeights();
    expect(best.restore(built.flow)).toBe(false);
    const z = tf.tensor2d(rng.normals(new Float32Array(20 * 3)), [20, 3]);
    const kept = Array.from(built.flow.forward(z).x.dataSync());
    expect(best.offer(built.flow, 10, 5)).toBe(true);
    randomize(built.flow, rng, 0.3);
    expect(best.offer(built.flow, 20, 6)).toBe(false); // worse: not kept
    expect(best.offer(built.flow, 30, Number.NaN)).toBe(false);
    expect(Array.from(built.flow.forward(z).x.dataSync())).not.toEqual(kept);
    expect(best.restore(built.flow)).toBe(true);
    expect(Array.from(built.flow.forward(z).x.dataSync())).toEqual(kept);
    expect([best.step, best.nll]).toEqual([10, 5]);
    // Through a checkpoint's bytes: the same weights, step and NLL; bytes of another size refused.
    const saved = best.save()!;
    const reloaded = new BestWeights();
    reloaded.load(built.flow, saved.step, saved.nll, saved.weights);
    randomize(built.flow, rng, 0.3);
    expect(reloaded.restore(built.flow)).toBe(true);
    expect(Array.from(built.flow.forward(z).x.dataSync())).toEqual(kept);
    expect([reloaded.step, reloaded.nll]).toEqual([10, 5]);
    expect(() => new BestWeights().load(built.flow, 1, 1, saved.weights.subarray(4))).toThrow(/best weights hold .* values, the flow has/);
  });
});

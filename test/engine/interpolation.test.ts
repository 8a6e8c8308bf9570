import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectCompute } from '../../engine/compute/select';
import { createSystem } from '../../engine/energies';
import { buildFlow } from '../../engine/flows/build';
import type { Flow } from '../../engine/flows/types';
import { latentPath } from '../../engine/interpolation';
import { Rng } from '../../engine/rng';

beforeAll(async () => {
  await selectCompute({ prefer: 'cpu', env: {} });
});

const system = createSystem('double-well', {});
const xA = Float64Array.from([-1.7, 0.3]);
const xB = Float64Array.from([1.6, -0.5]);

/** Scale by 2 in x: z = x/2, so the latent path is still the straight segment in x. */
const half: Flow = {
  dim: 2,
  forward: (z) => ({ x: tf.mul(z, 2) as tf.Tensor2D, logDet: tf.fill([z.shape[0]], 2 * Math.log(2)) as tf.Tensor1D }),
  inverse: (x) => ({ z: tf.div(x, 2) as tf.Tensor2D, logDet: tf.fill([x.shape[0]], -2 * Math.log(2)) as tf.Tensor1D }),
  variables: () => [],
  dispose: () => {},
};

describe('latentPath', () => {
  it('is the straight segment in x for a linear flow, with float64 energies and RC per point', () => {
    const p = latentPath(half, system, xA, xB, 5);
    expect(p.t).toEqual([0, 0.25, 0.5, 0.75, 1]);
    p.x.forEach((row, i) => {
      const t = p.t[i]!;
      expect(row[0]).toBeCloseTo((1 - t) * xA[0]! + t * xB[0]!, 5);
      expect(row[1]).toBeCloseTo((1 - t) * xA[1]! + t * xB[1]!, 5);
      expect(p.u[i]).toBeCloseTo(system.energy64(Float64Array.from(row)), 9);
      expect(p.rc[i]).toBe(row[0]);
    });
    // |z_B − z_A| = |x_B − x_A| / 2.
    expect(p.latentDistance).toBeCloseTo(Math.hypot(3.3, 0.8) / 2, 5);
  });

  it('starts and ends at the given configurations through a non-linear flow, and bends in between', () => {
    const rng = new Rng(2);
    const built = buildFlow({ layers: 'RR', hidden: [8], sScale: 1, whiten: false }, 2, rng);
    try {
      // Random weights: the flow starts as the identity otherwise.
      for (const v of built.flow.variables().filter((w) => w.trainable)) {
        tf.tidy(() => v.assign(tf.randomNormal(v.shape, 0, 0.5, 'float32', 7)));
      }
      const p = latentPath(built.flow, system, xA, xB, 11);
      expect(p.x[0]![0]).toBeCloseTo(xA[0]!, 4);
      expect(p.x[10]![1]).toBeCloseTo(xB[1]!, 4);
      const mid = p.x[5]!;
      const offLine = Math.abs(mid[0]! - (xA[0]! + xB[0]!) / 2) + Math.abs(mid[1]! - (xA[1]! + xB[1]!) / 2);
      expect(offLine).toBeGreaterThan(1e-3);
    } finally {
      built.flow.dispose();
    }
  });

  it('rejects ends of the wrong size and fewer than two points', () => {
    expect(() => latentPath(half, system, new Float64Array(3), xB, 5)).toThrow(/2 coordinates/);
    expect(() => latentPath(half, system, xA, xB, 1)).toThrow(/≥ 2/);
  });
});

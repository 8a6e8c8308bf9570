import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { selectCompute } from '../../engine/compute/select';
import { createSystem } from '../../engine/energies';
import { buildFlow } from '../../engine/flows/build';
import { klLoss, linlogcut, mlLoss, rcLoss } from '../../engine/losses';
import { Rng } from '../../engine/rng';

beforeAll(async () => {
  await selectCompute({ prefer: 'cpu', env: {} }); // env: {} so BGW_BACKEND cannot override
  expect(tf.getBackend()).toBe('cpu');
});

/** float64 reference of linlogcut (docs/science.md, "Training by energy"): u below high, high + log(u − high + 1) above, cap at max, non-finite → max. */
function linlogcut64(u: number, high: number, max: number): number {
  if (!Number.isFinite(u)) return max;
  const soft = u <= high ? u : high + Math.log(u - high + 1);
  return Math.min(soft, max);
}

function evalCut(u: number[], high: number, max: number): { value: Float32Array; grad: Float32Array } {
  const ut = tf.tensor1d(u);
  const value = linlogcut(ut, high, max).dataSync() as Float32Array;
  const grad = tf.grad((t: tf.Tensor) => tf.sum(linlogcut(t as tf.Tensor1D, high, max)))(ut).dataSync() as Float32Array;
  return { value, grad };
}

describe('linlogcut', () => {
  const high = 10;
  const max = 50;

  it('is the identity below high and log-linear above it', () => {
    const u = [-1e3, -3, 0, 5, 9.5, 10, 11, 20, 1e3, 1e6];
    const { value } = evalCut(u, high, max);
    u.forEach((v, i) => expect(value[i]!).toBeCloseTo(linlogcut64(v, high, max), 4));
    expect(value[3]!).toBe(5); // exact below high
    expect(value[6]!).toBeCloseTo(10 + Math.log(2), 5);
    expect(value[7]!).toBeCloseTo(10 + Math.log(11), 5);
    expect(value[9]!).toBeCloseTo(10 + Math.log(1e6 - 9), 4);
  });

  it('keeps the `high` offset for u ≫ high (float32 cancellation) and is monotone up to 3e38', () => {
    // Published dimer stages: high 5e4, default cap 1e10; overlapping particles give u ~ 1e12…1e30.
    const u = [5e4, 1e5, 1e8, 1e12, 1e20, 1e30, 3e38];
    const { value } = evalCut(u, 5e4, 1e10);
    u.forEach((v, i) => expect(Math.abs(value[i]! - linlogcut64(v, 5e4, 1e10))).toBeLessThan(0.01));
    const grid = Array.from({ length: 200 }, (_, i) => 10 ** (i / 5) - 1);
    const g = evalCut(grid, 10, 1e10).value;
    for (let i = 1; i < g.length; i++) expect(g[i]!).toBeGreaterThanOrEqual(g[i - 1]!);
  });

  it('is capped at max (also when max < high) and maps NaN/±Infinity to max', () => {
    // log(u − 9) > 40 needs u > 2.4e17: 1e20 is capped, 1e17 is not.
    const { value } = evalCut([1e20, 1e17, NaN, Infinity, -Infinity, 3e38], high, max);
    expect(value[0]!).toBe(max);
    expect(value[1]!).toBeCloseTo(10 + Math.log(1e17), 3);
    expect(value[1]!).toBeLessThan(max);
    expect(value[2]!).toBe(max);
    expect(value[3]!).toBe(max);
    expect(value[4]!).toBe(max);
    expect(value[5]!).toBe(max);
    const low = evalCut([7, 8.5, 9, 100], 10, 8).value;
    expect(Array.from(low)).toEqual([7, 8, 8, 8]);
  });

  it('gradient: 1 below high, 1/(u − high + 1) above, 0 where capped or non-finite; matches finite differences', () => {
    const u = [-4, 0, 3, 9.9, 10.5, 12, 25, 400, 1e20, NaN, Infinity, -Infinity];
    const { grad } = evalCut(u, high, max);
    const expected = u.map((v) => (!Number.isFinite(v) || linlogcut64(v, high, max) >= max ? 0 : v <= high ? 1 : 1 / (v - high + 1)));
    u.forEach((_, i) => expect(grad[i]!).toBeCloseTo(expected[i]!, 5));
    // Finite differences of the tf values (float32) away from the kink at `high`.
    const h = 1e-2;
    u.forEach((v, i) => {
      if (!Number.isFinite(v) || Math.abs(v - high) < 2 * h || Math.abs(v) > 1e6) return;
      const [up, down] = [evalCut([v + h], high, max).value[0]!, evalCut([v - h], high, max).value[0]!];
      expect(Math.abs((up - down) / (2 * h) - grad[i]!)).toBeLessThan(2e-3);
    });
    expect(grad.every(Number.isFinite)).toBe(true);
  });

  it('the gradient flows to the energy only where the value is live', () => {
    // d/dx Σ linlogcut(x²): 2x·slope. x = 4 → u = 16 > high, slope 1/7.
    const x = tf.tensor1d([1, 4, 1e12]);
    const g = tf.grad((t: tf.Tensor) => tf.sum(linlogcut(tf.square(t) as tf.Tensor1D, high, max)))(x).dataSync();
    expect(g[0]!).toBeCloseTo(2, 5);
    expect(g[1]!).toBeCloseTo(8 / 7, 5);
    expect(g[2]!).toBe(0); // u = 1e24 is capped
  });
});

describe('rcLoss', () => {
  const range: [number, number] = [-2.5, 2.5];

  /** −Σ_k log h_k (barrier) or Σ h log h (entropy), straight from docs/science.md ("Reaction-coordinate loss"), in float64. */
  function rcLoss64(rc: number[], [lo, hi]: [number, number], kind: 'barrier' | 'entropy' = 'barrier'): number {
    const K = 11;
    const sigma = (hi - lo) / K;
    const centres = Array.from({ length: K }, (_, k) => lo + ((hi - lo) * k) / (K - 1));
    const h = new Float64Array(K);
    for (const r of rc) {
      const kv = centres.map((c) => Math.exp(-((r - c) ** 2) / (2 * sigma * sigma)) + 1e-6);
      const s = kv.reduce((a, b) => a + b, 0);
      kv.forEach((v, k) => (h[k]! += v / s / rc.length));
    }
    let J = 0;
    for (const v of h) J += kind === 'barrier' ? -Math.log(v) : v * Math.log(v);
    return J;
  }

  const evalRc = (rc: number[], kind: 'barrier' | 'entropy' = 'barrier', r: [number, number] = range): number =>
    rcLoss(tf.tensor1d(rc), r, kind).dataSync()[0]!;

  it('matches the formula exactly for given rc values (both kinds, two ranges)', () => {
    const rng = new Rng(3);
    const sets = [
      Array.from({ length: 40 }, () => 1.2 * rng.normal()),
      Array.from({ length: 7 }, () => 4 * rng.uniform() - 3),
      [0.5],
    ];
    for (const rc of sets) {
      for (const kind of ['barrier', 'entropy'] as const) {
        for (const r of [range, [-0.1, 1.7]] as [number, number][]) {
          const ref = rcLoss64(rc, r, kind);
          expect(Math.abs(evalRc(rc, kind, r) - ref)).toBeLessThan(1e-5 * Math.max(1, Math.abs(ref)));
        }
      }
    }
  });

  it('barrier is large when every sample sits on one kernel centre and near K·log K when spread uniformly', () => {
    const K = 11;
    const centre = range[0] + (range[1] - range[0]) * 0.3; // kernel 3
    const collapsed = evalRc(Array.from({ length: 64 }, () => centre));
    const uniform = Array.from({ length: 1100 }, (_, i) => range[0] + ((range[1] - range[0]) * (i + 0.5)) / 1100);
    const spread = evalRc(uniform);
    expect(Math.abs(collapsed - rcLoss64(Array.from({ length: 64 }, () => centre), range))).toBeLessThan(1e-5 * collapsed);
    expect(Math.abs(spread - rcLoss64(uniform, range))).toBeLessThan(1e-5 * spread);
    // The minimum over all h on the simplex is K·log K (every h_k = 1/K).
    expect(spread).toBeGreaterThanOrEqual(K * Math.log(K) - 1e-4);
    expect(spread).toBeLessThan(K * Math.log(K) + 1);
    expect(collapsed).toBeGreaterThan(spread + 50);
    // Half the samples in one state only: in between.
    const half = evalRc(uniform.filter((r) => r < 0));
    expect(half).toBeGreaterThan(spread + 5);
    expect(half).toBeLessThan(collapsed);
  });

  it('its gradient pushes collapsed samples apart', () => {
    // Two clusters close together: the barrier decreases when they separate.
    const rc = tf.tensor1d([-0.2, -0.2, 0.2, 0.2]);
    const g = tf.grad((t: tf.Tensor) => rcLoss(t as tf.Tensor1D, range))(rc).dataSync();
    expect(g[0]!).toBeGreaterThan(0); // moving the left cluster left lowers the loss
    expect(g[2]!).toBeLessThan(0);
  });
});

describe('mlLoss and klLoss', () => {
  it('mlLoss of the identity flow is mean |x|²/(2τ)', () => {
    const dim = 3;
    const rng = new Rng(12);
    const { flow } = buildFlow({ layers: 'RRS', hidden: [8], sScale: 1, whiten: false }, dim, rng);
    const x = rng.normals(new Float32Array(50 * dim), 1.7);
    for (const tau of [1, 0.4]) {
      let ref = 0;
      for (let i = 0; i < x.length; i++) ref += x[i]! ** 2;
      ref /= 2 * tau * 50;
      const v = mlLoss(flow, tf.tensor2d(x, [50, dim]), tau).dataSync()[0]!;
      expect(Math.abs(v - ref)).toBeLessThan(1e-5 * ref);
    }
  });

  it('mlLoss and klLoss carry the logDet with the right sign (scaling flow x = z·e^s)', () => {
    const dim = 2;
    const rng = new Rng(5);
    const { flow } = buildFlow({ layers: 'S', hidden: [], sScale: 1, whiten: false }, dim, rng);
    const s = [0.3, -0.7];
    (flow.variables()[0] as tf.Variable).assign(tf.tensor1d(s));
    const sumS = s[0]! + s[1]!;
    const n = 40;
    const x = rng.normals(new Float32Array(n * dim));
    // ML: z = x·e^{−s}, log|det J_xz| = −Σs → J = mean |z|²/(2τ) + Σs.
    const tau = 0.8;
    let ml = 0;
    for (let i = 0; i < n; i++) for (let j = 0; j < dim; j++) ml += (x[i * dim + j]! * Math.exp(-s[j]!)) ** 2 / (2 * tau) / n;
    ml += sumS;
    expect(mlLoss(flow, tf.tensor2d(x, [n, dim]), tau).dataSync()[0]!).toBeCloseTo(ml, 4);
    // KL: x = z·e^s, log|det J_zx| = Σs → J = mean u(x)/τ − Σs.
    const dw = createSystem('double-well', {});
    const z = rng.normals(new Float32Array(n * dim));
    const taus = Float32Array.from({ length: n }, (_, i) => (i % 2 ? 1 : 2));
    let kl = 0;
    for (let i = 0; i < n; i++) {
      const xi = Float64Array.from({ length: dim }, (_, j) => Math.fround(z[i * dim + j]! * Math.exp(s[j]!)));
      kl += dw.energy64(xi) / taus[i]! / n;
    }
    kl -= sumS;
    const r = klLoss(flow, dw, { z: tf.tensor2d(z, [n, dim]), tau: tf.tensor1d(taus) }, { high: 1e9, max: 1e10 });
    expect(r.loss.dataSync()[0]!).toBeCloseTo(kl, 3);
    expect(r.x.shape).toEqual([n, dim]);
  });

  it('klLoss of the identity flow on the double well is mean u(z)/τ (u in float64)', () => {
    const dim = 2;
    const rng = new Rng(21);
    const dw = createSystem('double-well', {});
    const { flow } = buildFlow({ layers: 'RRRR', hidden: [16, 16], sScale: 1, whiten: false }, dim, rng);
    const n = 64;
    const z = rng.normals(new Float32Array(n * dim), 1.3);
    const taus = Float32Array.from({ length: n }, (_, i) => [1, 0.5, 2][i % 3]!);
    let ref = 0;
    for (let i = 0; i < n; i++) ref += dw.energy64(Float64Array.from(z.subarray(i * dim, (i + 1) * dim))) / taus[i]! / n;
    const { loss } = klLoss(flow, dw, { z: tf.tensor2d(z, [n, dim]), tau: tf.tensor1d(taus) }, { high: 1e9, max: 1e10 });
    expect(Math.abs(loss.dataSync()[0]! - ref)).toBeLessThan(1e-4 * Math.max(1, Math.abs(ref)));
    // With a low `high`, the cut applies: mean(linlogcut(u)/τ).
    let cutRef = 0;
    for (let i = 0; i < n; i++) {
      const u = dw.energy64(Float64Array.from(z.subarray(i * dim, (i + 1) * dim)));
      cutRef += linlogcut64(u, 2, 6) / taus[i]! / n;
    }
    const cut = klLoss(flow, dw, { z: tf.tensor2d(z, [n, dim]), tau: tf.tensor1d(taus) }, { high: 2, max: 6 }).loss.dataSync()[0]!;
    expect(Math.abs(cut - cutRef)).toBeLessThan(1e-4 * Math.max(1, Math.abs(cutRef)));
    expect(Math.abs(cut - ref)).toBeGreaterThan(0.1);
  });
});

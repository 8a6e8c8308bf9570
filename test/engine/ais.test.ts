import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectCompute } from '../../engine/compute/select';
import { identityFlow } from '../helpers/flows';
import { createSystem } from '../../engine/energies';
import { buildFlow } from '../../engine/flows/build';
import type { Flow } from '../../engine/flows/types';
import { alphaTwoLoss } from '../../engine/losses';
import { Rng } from '../../engine/rng';
import { ais, logMeanExp } from '../../engine/samplers/ais';
import { hmcMove } from '../../engine/samplers/latent-hmc';
import { evaluate } from '../../engine/samplers/latent-path';
import { ReplayBuffer } from '../../engine/train/replay-buffer';
import { flowLogDensity } from '../../engine/flows/density';

beforeAll(async () => {
  await selectCompute({ prefer: 'wasm', env: {} });
});

/** Identity flow: q is the standard normal in x itself. */
const identity = identityFlow(2);

/** exp(−u) = Σ_k a_k·exp(−|x − m_k|²/(2 s_k²)), whose integral is Σ_k a_k·2π s_k² exactly. */
const MODES = [
  { a: 3, m: [-2.5, 0.5], s: 0.45 },
  { a: 1.2, m: [2.5, -0.5], s: 0.7 },
];
const mixture = {
  energy64(x: Float64Array): number {
    let s = 0;
    for (const k of MODES) s += k.a * Math.exp(-((x[0]! - k.m[0]!) ** 2 + (x[1]! - k.m[1]!) ** 2) / (2 * k.s * k.s));
    return -Math.log(s);
  },
};
const LOG_Z = Math.log(MODES.reduce((t, k) => t + k.a * 2 * Math.PI * k.s * k.s, 0));
/** The same mixture in tfjs (for HMC's gradients): u = −log Σ_k a_k·exp(−|x − m_k|²/(2 s_k²)). */
const mixtureTf = {
  ...mixture,
  energy: (x: tf.Tensor2D): tf.Tensor1D =>
    tf.tidy(() => {
      const terms = MODES.map((k) => tf.add(tf.div(tf.sum(tf.square(tf.sub(x, tf.tensor1d(k.m))), 1), -2 * k.s * k.s), Math.log(k.a)));
      return tf.neg(tf.logSumExp(tf.stack(terms, 1), 1)) as tf.Tensor1D;
    }),
};

/** A small RealNVP with random (non-identity) weights. */
function randomFlow(seed: number): Flow {
  const rng = new Rng(seed);
  const { flow } = buildFlow({ layers: 'RR', hidden: [16, 16], sScale: 1, whiten: false }, 2, rng);
  for (const v of flow.variables()) if (v.trainable) tf.tidy(() => v.assign(tf.tensor(rng.normals(new Float32Array(v.size), 0.3), v.shape)));
  return flow;
}

describe('annealed importance sampling', () => {
  it('estimates log Z of a Gaussian mixture with a known normaliser within 3 standard errors', () => {
    const r = ais(identity, mixture, { n: 4000, tau: 1, alpha: 1, intermediate: 24, transitions: 3, steps: new Float64Array(24).fill(0.6), rng: new Rng(11) });
    expect(r.logZ.se).toBeGreaterThan(0);
    expect(r.logZ.se).toBeLessThan(0.1);
    expect(Math.abs(r.logZ.value - LOG_Z)).toBeLessThan(3 * r.logZ.se);
    // α = 1: the partition-function estimate is the path's own.
    expect(r.logZp.value).toBe(r.logZ.value);
    expect(Math.min(...r.acceptance)).toBeGreaterThan(0.05);
  });

  it('with α = 2 estimates log ∫p²/q, and log Z of p from the same chains', () => {
    // q = N(0, I): ∫p²/q in closed form is out of reach, but log Z of p is known, and plain IS agrees with AIS.
    const r = ais(identity, mixture, { n: 4000, tau: 1, alpha: 2, intermediate: 24, transitions: 3, steps: new Float64Array(24).fill(0.6), rng: new Rng(12) });
    expect(Math.abs(r.logZp.value - LOG_Z)).toBeLessThan(3 * r.logZp.se + 0.02);
    expect(r.logZ.value).toBeGreaterThan(LOG_Z); // ∫p²/q ≥ Z² / ∫q... and here ≫ Z: p is narrower than q
  });

  it('with no intermediate levels is plain importance sampling from the flow', () => {
    const flow = randomFlow(3);
    const system = createSystem('double-well', {});
    const r = ais(flow, system, { n: 500, tau: 1.5, alpha: 1, intermediate: 0, transitions: 0, steps: new Float64Array(0), rng: new Rng(5) });
    const logQ = flowLogDensity(flow, r.x);
    for (let i = 0; i < r.n; i++) {
      const direct = -system.energy64(Float64Array.from(r.x.subarray(2 * i, 2 * i + 2))) / 1.5 - logQ[i]!;
      expect(r.logW[i]).toBeCloseTo(direct, 3);
      expect(r.logQ[i]).toBeCloseTo(logQ[i]!, 3);
    }
    expect(r.logZ.value).toBe(logMeanExp(r.logW).value);
    flow.dispose();
  });

  it('adapts each level\'s step size towards the target acceptance', () => {
    const steps = new Float64Array(4).fill(5); // far too large: acceptance near 0
    ais(identity, mixture, { n: 200, tau: 1, alpha: 1, intermediate: 4, transitions: 1, steps, targetAcceptance: 0.5, rng: new Rng(2) });
    for (const s of steps) expect(s).toBeLessThan(5);
  });
});

describe('prioritised replay buffer', () => {
  it('re-weights rows after a flow update exactly as direct recomputation does', () => {
    const system = createSystem('double-well', {});
    const before = randomFlow(7);
    // Samples from q_before (AIS with no levels), towards p²/q: log w = 2 log p − 2 log q_before.
    const r = ais(before, system, { n: 300, tau: 1, alpha: 2, intermediate: 0, transitions: 0, steps: new Float64Array(0), rng: new Rng(8) });
    const buffer = new ReplayBuffer(1000, 2);
    buffer.add(r.x, r.logW, r.logQ, 1);
    const after = randomFlow(9); // "the update": another flow altogether
    const idx = Int32Array.from({ length: 300 }, (_, i) => i);
    buffer.adjust(idx, flowLogDensity(after, r.x), 2);
    // Direct: w = p²/q_after / g with g = q_before the proposal that drew the rows.
    const qBefore = flowLogDensity(before, r.x);
    const qAfter = flowLogDensity(after, r.x);
    for (let i = 0; i < 300; i++) {
      const logP = -system.energy64(Float64Array.from(r.x.subarray(2 * i, 2 * i + 2)));
      expect(buffer.logW[i]).toBeCloseTo(2 * logP - qAfter[i]! - qBefore[i]!, 2);
      expect(buffer.logQ[i]).toBe(qAfter[i]);
    }
    before.dispose();
    after.dispose();
  });

  it('caps how much one update may raise a row\'s weight', () => {
    const b = new ReplayBuffer(2, 1);
    b.add(Float32Array.from([0, 1]), Float64Array.from([0, 0]), Float64Array.from([-1, -1]), 1);
    // α = 2: q fell by 5 nats at row 0 (weight ×e⁵ uncapped) and rose by 1 at row 1 (weight ×e⁻¹, no cap needed).
    b.adjust(Int32Array.from([0, 1]), Float64Array.from([-6, 0]), 2, Math.log(10));
    expect(b.logW[0]).toBeCloseTo(Math.log(10), 12);
    expect(b.logW[1]).toBeCloseTo(-1, 12);
  });

  it('draws rows in proportion to their weights, and keeps the newest rows when full', () => {
    const b = new ReplayBuffer(4, 1);
    b.add(Float32Array.from([0, 1, 2, 3, 4, 5]), Float64Array.from([0, 0, Math.log(2), Math.log(3), Math.log(4), -Infinity]), new Float64Array(6), 1);
    // The ring dropped rows 0 and 1: it holds x = 4, 5, 2, 3 with weights 4, 0, 2, 3.
    expect(Array.from(b.x)).toEqual([4, 5, 2, 3]);
    const counts = [0, 0, 0, 0];
    for (const i of b.sample(90000, new Rng(1))) counts[i]! += 1;
    expect(counts[1]).toBe(0);
    expect(counts[0]! / 90000).toBeCloseTo(4 / 9, 2);
    expect(counts[2]! / 90000).toBeCloseTo(2 / 9, 2);
    expect(counts[3]! / 90000).toBeCloseTo(3 / 9, 2);
  });

  it('round-trips through its checkpoint bytes', () => {
    const b = new ReplayBuffer(5, 2);
    b.add(Float32Array.from([1, 2, 3, 4, 5, 6]), Float64Array.from([0.5, -1, 2]), Float64Array.from([-3, -4, -5]), 2);
    const c = ReplayBuffer.decode(b.encode());
    expect([c.size, c.head, c.capacity]).toEqual([3, 3, 5]);
    expect(Array.from(c.x.subarray(0, 6))).toEqual([1, 2, 3, 4, 5, 6]);
    expect(Array.from(c.logW.subarray(0, 3))).toEqual([0.5, -1, 2]);
    expect(Array.from(c.born.subarray(0, 3))).toEqual([2, 2, 2]);
    expect(() => ReplayBuffer.decode(b.encode().subarray(0, 40))).toThrow(/corrupt/);
  });
});

describe('the α = 2 loss', () => {
  it('has the gradient of log ∫p²/q_θ (its importance-sampled estimate) by finite differences', () => {
    const system = createSystem('double-well', {});
    const flow = randomFlow(21);
    // Fixed samples from g = N(0, 1.5²·I) and weights p²/(q_θ0·g), held fixed in the surrogate.
    const rng = new Rng(4);
    const n = 400;
    const x = rng.normals(new Float32Array(2 * n), 1.5);
    const logG = Float64Array.from({ length: n }, (_, i) => -(x[2 * i]! ** 2 + x[2 * i + 1]! ** 2) / (2 * 2.25) - Math.log(2 * Math.PI * 2.25));
    const logP = Float64Array.from({ length: n }, (_, i) => -system.energy64(Float64Array.from(x.subarray(2 * i, 2 * i + 2))));
    const objective = (): number => {
      const q = flowLogDensity(flow, x);
      return logMeanExp(logP.map((p, i) => 2 * p - q[i]! - logG[i]!)).value;
    };
    const q0 = flowLogDensity(flow, x);
    const logW = logP.map((p, i) => 2 * p - q0[i]! - logG[i]!);
    const vars = flow.variables().filter((v) => v.trainable);
    const { grads } = tf.variableGrads(() => alphaTwoLoss(flow, tf.tensor2d(x, [n, 2]), logW), vars);
    let nonzero = 0;
    for (const v of vars) {
      const g = grads[v.name]!.dataSync();
      const values = v.dataSync().slice();
      for (const j of new Set([0, Math.floor(values.length / 2), values.length - 1])) {
        const h = 1e-2;
        const at = (d: number): number => {
          const w = values.slice();
          w[j]! += d;
          v.assign(tf.tensor(w, v.shape));
          return objective();
        };
        const fd = (at(h) - at(-h)) / (2 * h);
        v.assign(tf.tensor(values, v.shape));
        expect(Math.abs(g[j]! - fd)).toBeLessThan(2e-2 * Math.max(1, Math.abs(fd)));
        if (Math.abs(fd) > 1e-2) nonzero++;
      }
    }
    // Dead ReLUs give some zero entries; most checks must be of a real slope.
    expect(nonzero).toBeGreaterThanOrEqual(6);
    flow.dispose();
  });

});

describe('AIS with HMC moves', () => {
  it('with HMC moves estimates log Z within 3 standard errors, with far fewer levels than random-walk moves need', () => {
    const r = ais(identity, mixtureTf, { n: 2000, tau: 1, alpha: 1, intermediate: 6, transitions: 1, kernel: 'hmc', leapfrog: 5, steps: new Float64Array(6).fill(0.3), rng: new Rng(21) });
    expect(Math.abs(r.logZ.value - LOG_Z)).toBeLessThan(3 * r.logZ.se);
    expect(Math.min(...r.acceptance)).toBeGreaterThan(0.5);
    // The same budget of levels with random-walk moves: weights far more uneven.
    const rw = ais(identity, mixtureTf, { n: 2000, tau: 1, alpha: 1, intermediate: 6, transitions: 1, steps: new Float64Array(6).fill(0.3), rng: new Rng(21) });
    expect(r.essFraction).toBeGreaterThan(rw.essFraction);
  });

  it('an HMC move leaves the level\'s distribution invariant: exact samples of p stay distributed as p', () => {
    // At β = 1 (one level, α = 1, no increments used) chains that start as exact draws of the
    // mixture keep its moments after many moves (detailed balance of the leapfrog + Metropolis test).
    const n = 4000;
    const rng = new Rng(8);
    const x0 = new Float32Array(2 * n);
    const total = MODES.reduce((t, k) => t + k.a * k.s * k.s, 0);
    for (let i = 0; i < n; i++) {
      const k = rng.uniform() < MODES[0]!.a * MODES[0]!.s ** 2 / total ? MODES[0]! : MODES[1]!;
      x0[2 * i] = k.m[0]! + k.s * rng.normal();
      x0[2 * i + 1] = k.m[1]! + k.s * rng.normal();
    }
    const c = evaluate(identity, mixtureTf, x0, { tau: 1 });
    let moved = 0;
    for (let t = 0; t < 20; t++) moved += hmcMove(identity, mixtureTf, c, 1, 0.25, { n, tau: 1, alpha: 1, leapfrog: 5, rng });
    expect(moved / (20 * n)).toBeGreaterThan(0.5);
    const mean = (f: (i: number) => number): number => Array.from({ length: n }, (_, i) => f(i)).reduce((a, b) => a + b, 0) / n;
    const share = mean((i) => (c.z[2 * i]! < 0 ? 1 : 0));
    const expected = MODES[0]!.a * MODES[0]!.s ** 2 / total;
    expect(Math.abs(share - expected)).toBeLessThan(4 * Math.sqrt(expected * (1 - expected) / n));
    const left = Array.from({ length: n }, (_, i) => i).filter((i) => c.z[2 * i]! < 0);
    const varX = left.reduce((t, i) => t + (c.z[2 * i]! - MODES[0]!.m[0]!) ** 2, 0) / left.length;
    expect(varX).toBeGreaterThan(0.9 * MODES[0]!.s ** 2);
    expect(varX).toBeLessThan(1.1 * MODES[0]!.s ** 2);
  });
});

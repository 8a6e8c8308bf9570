import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectCompute } from '../../engine/compute/select';
import { identityFlow } from '../helpers/flows';
import { createSystem } from '../../engine/energies';
import type { ModelSystem } from '../../engine/energies/types';
import type { Flow } from '../../engine/flows/types';
import { buildFlow } from '../../engine/flows/build';
import { quadratureReference } from '../../engine/reference/quadrature';
import { Rng } from '../../engine/rng';
import { adaptStep, explore } from '../../engine/samplers/explore';
import { chainDeltaF, independenceSampler } from '../../engine/samplers/independence';
import { latentLogAcceptance, latentMetropolis, type LogAcceptance } from '../../engine/samplers/latent-mc';

// wasm: the exploration test trains a flow, which the plain-JS cpu backend makes ~10× slower.
beforeAll(async () => {
  await selectCompute({ prefer: 'wasm', env: {} });
});

const system = createSystem('double-well', {});
const BINS = { min: -2.5, max: 2.5, n: 25 };

/** Identity flow: latent MC is then plain Metropolis in x. */
const identity = identityFlow(2);

/**
 * A fixed, non-volume-preserving invertible map with a configuration-dependent Jacobian (two affine
 * couplings with fixed conditioners), so the log|det| terms of the acceptance do not cancel.
 *   x0 = z0·exp(0.4 + 0.8·tanh z1) + 0.2·z1,  x1 = z1·exp(−0.2 + 0.6·tanh x0).
 */
const twisted: Flow = {
  dim: 2,
  forward: (z) =>
    tf.tidy(() => {
      const [z0, z1] = tf.split(z, 2, 1) as [tf.Tensor2D, tf.Tensor2D];
      const s0 = tf.add(0.4, tf.mul(0.8, tf.tanh(z1)));
      const x0 = tf.add(tf.mul(z0, tf.exp(s0)), tf.mul(0.2, z1));
      const s1 = tf.add(-0.2, tf.mul(0.6, tf.tanh(x0)));
      const x1 = tf.mul(z1, tf.exp(s1));
      return { x: tf.concat([x0, x1], 1) as tf.Tensor2D, logDet: tf.reshape(tf.add(s0, s1), [-1]) as tf.Tensor1D };
    }),
  inverse: (x) =>
    tf.tidy(() => {
      const [x0, x1] = tf.split(x, 2, 1) as [tf.Tensor2D, tf.Tensor2D];
      const s1 = tf.add(-0.2, tf.mul(0.6, tf.tanh(x0)));
      const z1 = tf.mul(x1, tf.exp(tf.neg(s1)));
      const s0 = tf.add(0.4, tf.mul(0.8, tf.tanh(z1)));
      const z0 = tf.mul(tf.sub(x0, tf.mul(0.2, z1)), tf.exp(tf.neg(s0)));
      return { z: tf.concat([z0, z1], 1) as tf.Tensor2D, logDet: tf.reshape(tf.neg(tf.add(s0, s1)), [-1]) as tf.Tensor1D };
    }),
  variables: () => [],
  dispose: () => {},
};

/** Independent exact draws: x1 by inverse CDF of exp(−u/τ) on a fine grid, x2 ~ N(0, τ/k). */
function exactDraws(sys: ModelSystem, n: number, tau: number, rng: Rng): Float32Array {
  const m = 20000;
  const lo = -3.5;
  const h = 7 / m;
  const cdf = new Float64Array(m);
  const x = new Float64Array(2);
  let acc = 0;
  for (let i = 0; i < m; i++) {
    x[0] = lo + (i + 0.5) * h;
    acc += Math.exp(-sys.energy64(x) / tau);
    cdf[i] = acc;
  }
  const out = new Float32Array(2 * n);
  for (let k = 0; k < n; k++) {
    const t = rng.uniform() * acc;
    let a = 0;
    let b = m - 1;
    while (a < b) {
      const mid = (a + b) >> 1;
      if (cdf[mid]! < t) a = mid + 1;
      else b = mid;
    }
    out[2 * k] = lo + (a + rng.uniform()) * h;
    out[2 * k + 1] = Math.sqrt(tau) * rng.normal();
  }
  return out;
}

/** Pearson χ² of independent x1 values against the exact bin masses (bins with < 1 expected dropped). */
function chiSquare(x1: ArrayLike<number>, tau: number): number {
  const exact = quadratureReference(system, tau, BINS);
  const p = exact.profile.F.map((f) => (f === null ? 0 : Math.exp(-f)));
  const z = p.reduce((a, b) => a + b, 0);
  const counts = new Float64Array(BINS.n);
  let inRange = 0;
  for (let i = 0; i < x1.length; i++) {
    const b = Math.floor(((x1[i]! - BINS.min) / (BINS.max - BINS.min)) * BINS.n);
    if (b >= 0 && b < BINS.n) {
      counts[b]! += 1;
      inRange++;
    }
  }
  let chi = 0;
  p.forEach((pb, b) => {
    const e = (pb / z) * inRange;
    if (e >= 1) chi += (counts[b]! - e) ** 2 / e;
  });
  return chi;
}

/** Final states of `chains` independent chains started from exact draws (independent, so χ² applies). */
function finalStates(flow: Flow, logAcceptance?: LogAcceptance): { x1: Float32Array; acceptance: number } {
  const rng = new Rng(11);
  const chains = 8000;
  const x0 = exactDraws(system, chains, 1, rng);
  const r = latentMetropolis(flow, system, { x0, nSteps: 200, stride: 200, step: 0.6, tau: 1, rng, ...(logAcceptance ? { logAcceptance } : {}) });
  return { x1: r.samples.filter((_, i) => i % 2 === 0), acceptance: r.acceptance };
}

// χ² with ≤ 24 degrees of freedom: 60 is p ≈ 1e-4.
const CHI_LIMIT = 60;

describe('latent Metropolis', () => {
  it('is plain Metropolis with an identity flow and keeps the exact distribution', () => {
    const r = finalStates(identity);
    expect(r.acceptance).toBeGreaterThan(0.2);
    expect(chiSquare(r.x1, 1)).toBeLessThan(CHI_LIMIT);
  });

  it('keeps the exact distribution through a non-trivial map (log|det| terms matter)', () => {
    const r = finalStates(twisted);
    expect(r.acceptance).toBeGreaterThan(0.2);
    expect(chiSquare(r.x1, 1)).toBeLessThan(CHI_LIMIT);
  });

  it('fails the same check with the slides’ sign of the last term', () => {
    const slides: LogAcceptance = (uNew, ldZX, uOld, ldXZ, tau) => latentLogAcceptance(uNew, ldZX, uOld, -ldXZ, tau);
    expect(chiSquare(finalStates(twisted, slides).x1, 1)).toBeGreaterThan(3 * CHI_LIMIT);
  });

  it('rejects non-finite proposals', () => {
    expect(latentLogAcceptance(NaN, 0, 0, 0, 1)).toBe(-Infinity);
    expect(latentLogAcceptance(Infinity, 0, 0, 0, 1)).toBe(-Infinity);
    expect(latentLogAcceptance(1, 0.5, 3, -0.25, 2)).toBeCloseTo(-0.5 + 0.5 + 1.5 - 0.25, 12);
  });
});

describe('independence sampler', () => {
  it('turns a fixed imperfect generator into an exact sampler (ΔF and histogram against quadrature)', async () => {
    const tau = 1;
    const r = await independenceSampler(twisted, system, { n: 60000, tau, chunk: 8192, rng: new Rng(5) });
    expect(r.acceptance).toBeGreaterThan(0.05);
    expect(r.acceptance).toBeLessThan(0.95);
    const exact = quadratureReference(system, tau, BINS).deltaF;
    let inB = 0;
    for (const s of r.state) if (s === 1) inB++;
    const dF = -Math.log(inB / (r.state.length - inB));
    expect(Math.abs(dF - exact)).toBeLessThan(0.25);
    // Thin the correlated chain to roughly independent draws before χ².
    const thin = Math.ceil(2 / r.acceptance);
    const x1 = r.x.filter((_, i) => i % 2 === 0 && (i / 2) % thin === 0);
    expect(chiSquare(x1, tau)).toBeLessThan(CHI_LIMIT);
  });
});

describe('chainDeltaF (batch means)', () => {
  it('is −ln(n_B/n_A), ignores samples in neither state, and is null when a state is never visited', () => {
    const st = new Int8Array(4000);
    for (let i = 0; i < 4000; i++) st[i] = i % 4 === 0 ? 1 : i % 4 === 1 ? -1 : 0;
    const r = chainDeltaF(st)!;
    expect(r.value).toBeCloseTo(-Math.log(1000 / 2000), 12);
    // A perfectly regular chain has identical block fractions: no spread.
    expect(r.stderr).toBeCloseTo(0, 12);
    expect(chainDeltaF(new Int8Array(100))).toBeNull();
    expect(chainDeltaF(new Int8Array(5).fill(1))).toBeNull();
    // Only one block holds labelled samples: no spread between blocks to measure.
    const one = new Int8Array(2000).fill(-1);
    one.fill(0, 0, 50).fill(1, 50, 100);
    expect(chainDeltaF(one)).toBeNull();
  });

  it('gives a larger error for a sticky chain than for an independent one with the same fractions', () => {
    const rng = new Rng(4);
    const n = 20000;
    const iid = new Int8Array(n).map(() => (rng.uniform() < 0.2 ? 1 : 0));
    const sticky = new Int8Array(n);
    for (let i = 0; i < n; i++) sticky[i] = Math.floor(i / 500) % 5 === 0 ? 1 : 0;
    const a = chainDeltaF(iid)!;
    const b = chainDeltaF(sticky, 16)!;
    expect(Math.abs(a.value - -Math.log(0.25))).toBeLessThan(5 * a.stderr + 0.01);
    expect(b.stderr).toBeGreaterThan(3 * a.stderr);
  });
});

describe('step-size adaptation', () => {
  it('shrinks by 2 % below 2 % acceptance, down to 1e-3', () => {
    expect(adaptStep(0.1, 0.01)).toBeCloseTo(0.098, 12);
    expect(adaptStep(1.01e-3, 0)).toBe(1e-3);
    expect(adaptStep(1e-3, 0)).toBe(1e-3);
  });
  it('grows by 2 % above 20 % acceptance, up to 1', () => {
    expect(adaptStep(0.1, 0.5)).toBeCloseTo(0.102, 12);
    expect(adaptStep(0.99, 0.9)).toBe(1);
    expect(adaptStep(1, 0.9)).toBe(1);
  });
  it('keeps the step between 2 % and 20 % (boundaries included)', () => {
    for (const a of [0.02, 0.1, 0.2]) expect(adaptStep(0.3, a)).toBe(0.3);
  });
});

describe('exploration loop', () => {
  it('started deep in the left well, puts buffer mass in the right well', async () => {
    const rng = new Rng(3);
    const built = buildFlow({ layers: 'RRRR', hidden: [64, 64], sScale: 1, whiten: false }, 2, rng);
    const steps: number[] = [];
    let adaptations = 0;
    try {
      const x0 = system.start(0);
      expect(x0[0]).toBeLessThan(-1.5);
      const r = await explore({
        flow: built.flow,
        system,
        x0,
        bufferSize: 1000,
        noise: 0.01,
        iterations: 300,
        batch: 256,
        stage: { lr: 1e-3, batch: 256, wML: 1, wKL: 1, wRC: 10, highEnergy: 1e3, maxEnergy: 1e10, temperatures: [1], rcLoss: 'barrier' },
        tau: 1,
        step0: 0.5,
        adaptEvery: 50,
        clipNorm: 100,
        rng,
        bins: { min: -3, max: 3, n: 12 },
        onProgress: (p) => {
          steps.push(p.step);
          if (p.buffer) adaptations++;
        },
      });
      // Exact mass of the right well at τ = 1 is e^−3.38/(1 + e^−3.38) ≈ 3.3 %.
      expect(r.stats.stateFractions.B).toBeGreaterThan(0.005);
      expect(r.stats.rcMax).toBeGreaterThan(1);
      expect(adaptations).toBe(6);
      // Acceptance stays above 20 % at this step, so every adaptation grows s by 2 %.
      expect(steps[steps.length - 1]).toBeCloseTo(0.5 * 1.02 ** 5, 6);
      expect(r.buffer.length).toBe(2000);
    } finally {
      built.flow.dispose();
    }
  });

  it('rejects a start configuration of the wrong size', async () => {
    const rng = new Rng(1);
    const built = buildFlow({ layers: 'R', hidden: [8], sScale: 1, whiten: false }, 2, rng);
    const stage = { lr: 1e-3, batch: 8, wML: 1, wKL: 0, wRC: 0, highEnergy: 1e3, maxEnergy: 1e10, temperatures: [1], rcLoss: 'barrier' as const };
    await expect(
      explore({ flow: built.flow, system, x0: new Float64Array(3), bufferSize: 10, noise: 0.01, iterations: 1, batch: 8, stage, tau: 1, step0: 0.1, adaptEvery: 50, clipNorm: 100, rng, bins: BINS }),
    ).rejects.toThrow(/3 coordinates/);
    built.flow.dispose();
  });
});

import { describe, it, expect } from 'vitest';
import { createDoubleWell } from '../../engine/energies/double-well';
import { createDimer } from '../../engine/energies/dimer';
import type { ModelSystem } from '../../engine/energies/types';
import { quadratureReference } from '../../engine/reference/quadrature';
import { metropolis, metropolisStates } from '../../engine/samplers/metropolis';
import { Rng } from '../../engine/rng';

/** 1-D harmonic u = k·x²/2: only energy64 is needed by the sampler. */
function harmonic(k: number): ModelSystem {
  return { dim: 1, energy64: (x: Float64Array) => 0.5 * k * x[0]! ** 2 } as unknown as ModelSystem;
}

/** Mean and batch-means standard error of a series. */
function meanAndError(v: ArrayLike<number>, nBatches = 25): { mean: number; se: number } {
  const size = Math.floor(v.length / nBatches);
  const means = Array.from({ length: nBatches }, (_, b) => {
    let s = 0;
    for (let i = b * size; i < (b + 1) * size; i++) s += v[i]!;
    return s / size;
  });
  const mean = means.reduce((a, b) => a + b) / nBatches;
  const variance = means.reduce((a, m) => a + (m - mean) ** 2, 0) / (nBatches - 1);
  return { mean, se: Math.sqrt(variance / nBatches) };
}

describe('metropolis', () => {
  it('double well at τ = 1: P(x1 > 0) and Var(x2) match quadrature', () => {
    const dw = createDoubleWell();
    const { deltaF } = quadratureReference(dw, 1, { min: -2.5, max: 2.5, n: 10 });
    const pRight = 1 / (1 + Math.exp(deltaF)); // ≈ 0.0329
    // A large step (acceptance ~12 %) hops the ~7 kT barrier often enough for a 3 % estimate.
    const r = metropolis(dw, { x0: dw.start(0), nSteps: 2_000_000, stride: 10, step: 1.5, tau: 1, rng: new Rng(7) });
    const n = r.energies.length;
    expect(n).toBe(200_000);
    const right = Float64Array.from({ length: n }, (_, i) => (r.samples[2 * i]! > 0 ? 1 : 0));
    const { mean, se } = meanAndError(right);
    expect(se).toBeLessThan(0.002);
    expect(Math.abs(mean - pRight)).toBeLessThan(Math.max(4 * se, 0.002));
    const x2sq = Float64Array.from({ length: n }, (_, i) => r.samples[2 * i + 1]! ** 2);
    expect(meanAndError(x2sq).mean).toBeCloseTo(1, 1); // τ/k = 1
  });

  it('1-D harmonic: Var = τ/k and the exact random-walk acceptance (2/π)·atan(2σ/s)', () => {
    const k = 4;
    const tau = 0.5;
    const sigma = Math.sqrt(tau / k);
    const step = sigma; // s = σ → acceptance (2/π)·atan(2) ≈ 0.7048
    const r = metropolis(harmonic(k), { x0: Float64Array.of(0), nSteps: 400_000, stride: 2, step, tau, rng: new Rng(3), burnIn: 100 });
    const sq = r.samples.map((v) => v * v);
    const { mean, se } = meanAndError(sq);
    expect(Math.abs(mean - tau / k)).toBeLessThan(4 * se);
    expect(se / mean).toBeLessThan(0.02);
    expect(r.acceptance).toBeCloseTo((2 / Math.PI) * Math.atan(2), 2);
  });

  it('keeps every stride-th state with its energy and is reproducible from the seed', () => {
    const dw = createDoubleWell({ dim: 3 });
    const run = (): ReturnType<typeof metropolis> =>
      metropolis(dw, { x0: dw.start(1), nSteps: 1005, stride: 10, step: 0.25, tau: 1, rng: new Rng(5), burnIn: 50 });
    const a = run();
    expect(a.samples.length).toBe(100 * 3);
    for (let i = 0; i < 100; i++) expect(a.energies[i]).toBe(dw.energy64(a.samples.subarray(3 * i, 3 * i + 3)));
    expect(a.acceptance).toBeGreaterThan(0.3);
    expect(run().samples).toEqual(a.samples);
    expect(() => metropolis(dw, { x0: new Float64Array(2), nSteps: 10, stride: 1, step: 0.1, tau: 1, rng: new Rng(1) })).toThrow();
  });

  it('metropolisStates: one chain per state, concatenated (dimer training data)', () => {
    const dimer = createDimer();
    const r = metropolisStates(dimer, { perState: 20, tau: 1, rng: new Rng(9), stride: 20, burnIn: 500 });
    expect(r.samples.length).toBe(40 * 76);
    expect(r.energies.length).toBe(40);
    for (let i = 0; i < 40; i++) {
      const x = r.samples.subarray(76 * i, 76 * (i + 1));
      expect(dimer.energy64(x)).toBeCloseTo(r.energies[i]!, 9);
      expect(dimer.rc64(x) < 1.5).toBe(i < 20); // no crossing in a few hundred steps
    }
    expect(r.acceptanceByChain[0]).toBeGreaterThan(0.05);
    expect(r.acceptanceByChain[1]).toBeGreaterThan(0.05);
  });
});

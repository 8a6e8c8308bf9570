import { describe, expect, it } from 'vitest';
import { Rng } from '../../engine/rng';
import {
  essFraction,
  kishEss,
  logSumExp,
  logWeights,
  normalizedWeights,
  systematicResample,
} from '../../engine/reweighting';

const logs = (w: number[]) => w.map((x) => Math.log(x));

describe('logSumExp', () => {
  it('is stable for large positive and negative values', () => {
    expect(logSumExp([1000, 1000])).toBeCloseTo(1000 + Math.LN2, 12);
    expect(logSumExp([-1000, -1000, -1000])).toBeCloseTo(-1000 + Math.log(3), 12);
    expect(logSumExp([1000, -1000])).toBe(1000);
    expect(logSumExp([-1000, -1001])).toBeCloseTo(-1000 + Math.log1p(Math.exp(-1)), 12);
  });

  it('matches the naive sum on moderate values', () => {
    const a = [0.3, -1.2, 2.5, 0];
    const naive = Math.log(a.reduce((s, x) => s + Math.exp(x), 0));
    expect(logSumExp(a)).toBeCloseTo(naive, 12);
    expect(logSumExp(new Float64Array(a))).toBeCloseTo(naive, 12);
  });

  it('handles −Infinity entries, all −Infinity, empty and NaN', () => {
    expect(logSumExp([-Infinity, 2])).toBe(2);
    expect(logSumExp([-Infinity, -Infinity])).toBe(-Infinity);
    expect(logSumExp([])).toBe(-Infinity);
    expect(logSumExp([1, NaN])).toBeNaN();
    expect(logSumExp([-Infinity, NaN])).toBeNaN();
  });
});

describe('normalizedWeights', () => {
  it('sums to 1 and keeps ratios even at offsets of 1e3', () => {
    const w = normalizedWeights([1000 + Math.log(1), 1000 + Math.log(3), -Infinity]);
    // 1000 + ln 3 is itself only good to ~1e-13.
    expect(w[0]).toBeCloseTo(0.25, 12);
    expect(w[1]).toBeCloseTo(0.75, 12);
    expect(w[2]).toBe(0);
  });

  it('is all zeros when no sample has weight', () => {
    expect(Array.from(normalizedWeights([-Infinity, -Infinity]))).toEqual([0, 0]);
  });
});

describe('kishEss', () => {
  it('equals N for equal weights', () => {
    expect(kishEss(new Float64Array(1000).fill(3.7))).toBeCloseTo(1000, 9);
    expect(essFraction(new Float64Array(1000).fill(-800))).toBeCloseTo(1, 12);
  });

  it('equals 1 with a single nonzero weight', () => {
    expect(kishEss([-Infinity, 5, -Infinity, -Infinity])).toBe(1);
    expect(essFraction([-Infinity, 5, -Infinity, -Infinity])).toBe(0.25);
  });

  it('equals 2 for weights [1, 1, 0, 0]', () => {
    expect(kishEss(logs([1, 1, 0, 0]))).toBeCloseTo(2, 12);
  });

  it('equals (Σw)²/Σw² = 36/14 for w = [1, 2, 3], at any log offset', () => {
    expect(kishEss(logs([1, 2, 3]))).toBeCloseTo(36 / 14, 12);
    expect(kishEss(logs([1, 2, 3]).map((l) => l + 1000))).toBeCloseTo(36 / 14, 12);
    expect(kishEss(logs([1, 2, 3]).map((l) => l - 1000))).toBeCloseTo(36 / 14, 12);
    // Same thing via the formula exp(2·LSE(l) − LSE(2l)) (docs/science.md, "Kish effective sample size").
    const l = logs([1, 2, 3]);
    expect(Math.exp(2 * logSumExp(l) - logSumExp(l.map((x) => 2 * x)))).toBeCloseTo(36 / 14, 12);
  });

  it('is 0 when nothing has weight or the array is empty', () => {
    expect(kishEss([-Infinity, -Infinity])).toBe(0);
    expect(kishEss([])).toBe(0);
    expect(essFraction([])).toBe(0);
  });
});

describe('logWeights', () => {
  it('computes −u/τ + |z|²/(2τ) + logDet', () => {
    const lw = logWeights({ u: [2, 0], zNormSq: [4, 1], logDetZX: [0.25, -1], tau: 2 });
    expect(lw[0]).toBeCloseTo(-1 + 1 + 0.25, 14);
    expect(lw[1]).toBeCloseTo(0 + 0.25 - 1, 14);
  });

  it('gives equal weights for u = |x|²/2, identity flow, z = x (perfect generator)', () => {
    const rng = new Rng(7);
    const n = 1000;
    const dim = 3;
    for (const tau of [1, 0.5]) {
      const u = new Float64Array(n);
      const zNormSq = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        let r2 = 0;
        for (let d = 0; d < dim; d++) r2 += (3 * rng.normal()) ** 2;
        u[i] = r2 / 2; // x = z, so u(x) = |z|²/2
        zNormSq[i] = r2;
      }
      const lw = logWeights({ u, zNormSq, logDetZX: new Float64Array(n), tau });
      for (const l of lw) expect(Math.abs(l - lw[0]!)).toBeLessThan(1e-12);
      expect(essFraction(lw)).toBeCloseTo(1, 12);
    }
  });

  it('maps non-finite energies to −Infinity and rejects bad input', () => {
    const lw = logWeights({ u: [NaN, Infinity, -Infinity, 1], zNormSq: [0, 0, 0, 0], logDetZX: [0, 0, 0, 0], tau: 1 });
    expect(Array.from(lw)).toEqual([-Infinity, -Infinity, -Infinity, -1]);
    expect(() => logWeights({ u: [1], zNormSq: [1, 2], logDetZX: [0], tau: 1 })).toThrow(/length/);
    expect(() => logWeights({ u: [1], zNormSq: [1], logDetZX: [0], tau: 0 })).toThrow(/tau/);
  });
});

describe('systematicResample', () => {
  it('draws each index within ±1 of n·w_i, never zero-weight ones', () => {
    const rng = new Rng(11);
    const N = 200;
    const w = Array.from({ length: N }, (_, i) => (i % 7 === 0 || i >= N - 3 ? 0 : rng.uniform() ** 3));
    const total = w.reduce((s, x) => s + x, 0);
    for (const n of [1, 50, 1000, 12345]) {
      const idx = systematicResample(w, n, rng);
      expect(idx.length).toBe(n);
      const counts = new Array<number>(N).fill(0);
      for (const i of idx) counts[i]!++;
      for (let i = 0; i < N; i++) {
        const expected = (n * w[i]!) / total;
        expect(Math.abs(counts[i]! - expected)).toBeLessThan(1 + 1e-9);
        if (w[i] === 0) expect(counts[i]).toBe(0);
      }
      // Indices come out sorted (one sweep of the cumulative sum).
      for (let k = 1; k < n; k++) expect(idx[k]!).toBeGreaterThanOrEqual(idx[k - 1]!);
    }
  });

  it('is deterministic given the seed, and the offset depends on it', () => {
    const w = normalizedWeights(Array.from({ length: 500 }, (_, i) => Math.sin(i)));
    const a = systematicResample(w, 300, new Rng(3));
    expect(Array.from(systematicResample(w, 300, new Rng(3)))).toEqual(Array.from(a));
    // With w = [½, ½] and n = 1 the single draw is index 0 iff the offset is < ½: both must occur.
    const rng = new Rng(5);
    const picks = new Set(Array.from({ length: 40 }, () => systematicResample([1, 1], 1, rng)[0]));
    expect([...picks].sort()).toEqual([0, 1]);
  });

  it('handles a single positive weight and rejects invalid weights', () => {
    expect(Array.from(systematicResample([0, 0, 5, 0], 4, new Rng(1)))).toEqual([2, 2, 2, 2]);
    expect(systematicResample([1, 2], 0, new Rng(1)).length).toBe(0);
    expect(() => systematicResample([0, 0], 3, new Rng(1))).toThrow(/zero/);
    expect(() => systematicResample([1, -1], 3, new Rng(1))).toThrow();
    expect(() => systematicResample([1, NaN], 3, new Rng(1))).toThrow();
  });

  it('handles 1e6 samples: ESS within (1, N) and sorted resampled indices', () => {
    const rng = new Rng(5);
    const n = 1_000_000;
    const u = new Float64Array(n);
    const z2 = new Float64Array(n);
    const ld = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      u[i] = 10 * rng.uniform();
      z2[i] = 10 * rng.uniform();
    }
    const lw = logWeights({ u, zNormSq: z2, logDetZX: ld, tau: 1 });
    const ess = kishEss(lw);
    const idx = systematicResample(normalizedWeights(lw), n, rng);
    expect(ess).toBeGreaterThan(1);
    expect(ess).toBeLessThan(n);
    expect(idx.length).toBe(n);
    for (let i = 1; i < n; i += 997) expect(idx[i]!).toBeGreaterThanOrEqual(idx[i - 1]!);
  });
});

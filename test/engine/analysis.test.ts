import { describe, expect, it } from 'vitest';
import { Rng } from '../../engine/rng';
import {
  bootstrapDeltaF,
  bootstrapProfile,
  deltaF,
  freeEnergyProfile,
  histogram,
} from '../../engine/analysis';

// Tilted double well: minima near x = ±√3, the left one lower (ΔF_AB ≈ 3.4 kT).
const u = (x: number) => x ** 4 - 6 * x ** 2 + x;
const SIGMA = 2; // proposal N(0, σ²)
const logQ = (x: number) => -(x * x) / (2 * SIGMA * SIGMA) - Math.log(SIGMA * Math.sqrt(2 * Math.PI));
const A = { min: -Infinity, max: 0 };
const B = { min: 0, max: Infinity };

/** Trapezoid ∫_a^b exp(−u) on a fine grid. */
function integrate(a: number, b: number, steps = 200_000): number {
  const h = (b - a) / steps;
  let s = 0.5 * (Math.exp(-u(a)) + Math.exp(-u(b)));
  for (let k = 1; k < steps; k++) s += Math.exp(-u(a + k * h));
  return s * h;
}

const exactDeltaF = -Math.log(integrate(0, 6) / integrate(-6, 0));

/** Proposals from N(0, σ²) with log w = −u − log q. */
function sampleDoubleWell(n: number, seed: number) {
  const rng = new Rng(seed);
  const rc = new Float64Array(n);
  const logw = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const x = SIGMA * rng.normal();
    rc[i] = x;
    logw[i] = -u(x) - logQ(x);
  }
  return { rc, logw };
}

describe('deltaF', () => {
  it('counts states on [min, max) with uniform weights', () => {
    const rc = [0, 0.5, 1, 1.5, 2, 2.5, 3];
    const logw = new Float64Array(rc.length);
    // A = [0, 1) holds 2 samples, B = [1, 3) holds 4 (3 is excluded).
    expect(deltaF(logw, rc, [{ min: 0, max: 1 }, { min: 1, max: 3 }])).toBeCloseTo(-Math.log(4 / 2), 12);
  });

  it('uses the weights, stably at large log offsets', () => {
    const rc = [-1, -1, 1];
    const logw = [1000 + Math.log(1), 1000 + Math.log(2), 1000 + Math.log(6)];
    expect(deltaF(logw, rc, [A, B])).toBeCloseTo(-Math.log(6 / 3), 12);
    // A state 900 nats below the other still counts (a global shift would underflow it to 0).
    expect(deltaF([-900, 0], [-1, 1], [A, B])).toBeCloseTo(-900, 9);
  });

  it('propagates empty states as ±Infinity / NaN', () => {
    expect(deltaF([0, 0], [-1, -2], [A, B])).toBe(Infinity);
    expect(deltaF([0, 0], [1, 2], [A, B])).toBe(-Infinity);
    expect(deltaF([0, -Infinity], [5, -1], [{ min: -3, max: 0 }, { min: 0, max: 1 }])).toBeNaN();
  });

  it('reproduces the numerically integrated ΔF of a double well from reweighted Gaussian proposals', () => {
    const { rc, logw } = sampleDoubleWell(200_000, 1);
    const est = deltaF(logw, rc, [A, B]);
    expect(exactDeltaF).toBeGreaterThan(3);
    expect(Math.abs(est - exactDeltaF)).toBeLessThan(0.05);

    const boot = bootstrapDeltaF(logw, rc, [A, B], { resamples: 100, rng: new Rng(2) });
    expect(boot.value).toBe(est);
    expect(boot.stderr).toBeGreaterThan(0.003);
    expect(boot.stderr).toBeLessThan(0.05);
    expect(Math.abs(est - exactDeltaF)).toBeLessThan(4 * boot.stderr);

    // 4× fewer samples → about twice the error bar.
    const small = sampleDoubleWell(50_000, 3);
    const bootSmall = bootstrapDeltaF(small.logw, small.rc, [A, B], { rng: new Rng(4) });
    const ratio = bootSmall.stderr / boot.stderr;
    expect(ratio).toBeGreaterThan(1.5);
    expect(ratio).toBeLessThan(2.7);
    expect(Math.abs(bootSmall.value - exactDeltaF)).toBeLessThan(4 * bootSmall.stderr);
  });

  it('bootstrap stderr matches the spread of independent estimates', () => {
    const n = 20_000;
    const est: number[] = [];
    for (let s = 0; s < 30; s++) {
      const { rc, logw } = sampleDoubleWell(n, 100 + s);
      est.push(deltaF(logw, rc, [A, B]));
    }
    const mean = est.reduce((a, b) => a + b, 0) / est.length;
    const spread = Math.sqrt(est.reduce((a, b) => a + (b - mean) ** 2, 0) / (est.length - 1));
    const { rc, logw } = sampleDoubleWell(n, 99);
    const { stderr } = bootstrapDeltaF(logw, rc, [A, B], { rng: new Rng(1) });
    // 30 replicas pin the spread to about ±15%; allow a wide band around 1.
    expect(stderr / spread).toBeGreaterThan(0.6);
    expect(stderr / spread).toBeLessThan(1.6);
  });

  it('bootstraps deterministically given the seed', () => {
    const { rc, logw } = sampleDoubleWell(100_000, 5);
    const a = bootstrapDeltaF(logw, rc, [A, B], { resamples: 100, rng: new Rng(9) });
    const b = bootstrapDeltaF(logw, rc, [A, B], { resamples: 100, rng: new Rng(9) });
    expect(a).toEqual(b);
  });
});

describe('histogram', () => {
  it('bins on [min, max) with optional weights', () => {
    const bins = { min: 0, max: 2, n: 4 };
    expect(Array.from(histogram([0, 0.49, 0.5, 1.99, 2, -0.1, NaN], bins))).toEqual([2, 1, 0, 1]);
    expect(Array.from(histogram([0, 0.49, 1.6], bins, [1, 2, 0.5]))).toEqual([3, 0, 0, 0.5]);
  });
});

describe('freeEnergyProfile', () => {
  it('gives centres, a zero minimum and null for empty bins', () => {
    const p = freeEnergyProfile([0, 0, 0, Math.log(2), 0], [0.1, 0.2, 0.3, 2.5, 9], { min: 0, max: 3, n: 3 });
    expect(p.centers).toEqual([0.5, 1.5, 2.5]);
    expect(p.F[0]).toBe(0);
    expect(p.F[1]).toBeNull();
    expect(p.F[2]).toBeCloseTo(Math.log(3 / 2), 12);
    expect(JSON.parse(JSON.stringify(p))).toEqual(p);
  });

  it('with uniform weights reproduces −ln of the sampling density up to a constant', () => {
    const rng = new Rng(21);
    const n = 200_000;
    const rc = new Float64Array(n);
    for (let i = 0; i < n; i++) rc[i] = rng.normal();
    const { centers, F } = freeEnergyProfile(new Float64Array(n), rc, { min: -3, max: 3, n: 30 });
    // Compare in well-populated bins (|x| < 2, ≥ ~2000 samples each) after removing the constant.
    const sel = centers.map((c, b) => ({ c, f: F[b]! })).filter(({ c }) => Math.abs(c) < 2);
    const offset = sel.reduce((s, { c, f }) => s + f - (c * c) / 2, 0) / sel.length;
    for (const { c, f } of sel) expect(Math.abs(f - offset - (c * c) / 2)).toBeLessThan(0.06);
  });

  it('reweighted proposals reproduce the bin-integrated double-well profile, with bootstrap errors', () => {
    const { rc, logw } = sampleDoubleWell(200_000, 8);
    const bins = { min: -3, max: 3, n: 24 };
    const width = (bins.max - bins.min) / bins.n;
    const exactRaw = Array.from({ length: bins.n }, (_, b) => -Math.log(integrate(bins.min + b * width, bins.min + (b + 1) * width, 2000)));
    const exactMin = Math.min(...exactRaw);
    const exact = exactRaw.map((f) => f - exactMin);

    const p = bootstrapProfile(logw, rc, bins, { resamples: 100, rng: new Rng(10) });
    expect(p.F).toEqual(freeEnergyProfile(logw, rc, bins).F);
    let checked = 0;
    for (let b = 0; b < bins.n; b++) {
      if (exact[b]! > 8) continue; // barely weighted bins: large errors by design
      checked++;
      expect(Math.abs(p.F[b]! - exact[b]!)).toBeLessThan(0.1);
      // Broad proposal → every compared bin holds thousands of samples: errors of order 0.01 kT.
      expect(p.stderr[b]!).toBeGreaterThan(0.002);
      expect(p.stderr[b]!).toBeLessThan(0.1);
    }
    expect(checked).toBeGreaterThanOrEqual(12);
  });

  it('bootstrap stderr is null where F is null', () => {
    const p = bootstrapProfile([0, 0, 0], [0.1, 0.2, 2.5], { min: 0, max: 3, n: 3 }, { rng: new Rng(1), resamples: 20 });
    expect(p.F[1]).toBeNull();
    expect(p.stderr[1]).toBeNull();
    expect(p.stderr[0]).not.toBeNull();
  });
});

import { describe, it, expect } from 'vitest';
import { bootstrapWham, wham, whamDeltaF, type WhamWindow } from '../../engine/reference/wham';
import { histogram, type Bins, type RcState } from '../../engine/analysis';
import { Rng } from '../../engine/rng';

// Truth: a tilted double well F(ξ) = ξ⁴ − 4ξ² + ξ/2 on [−2.5, 2.5] (barrier ≈ 4–5 kT, ΔF ≈ 1.3; the
// tilt keeps ΔF from being 0 by symmetry). Windows are drawn EXACTLY from the biased density
// exp(−(F + b_i)/τ), piecewise constant on a fine grid (inverse CDF, uniform within a cell), and every
// reference number below is a sum over that same grid: WHAM is the only approximation under test.
const F = (x: number): number => x ** 4 - 4 * x * x + 0.5 * x;
const LO = -2.5;
const HI = 2.5;
const G = 20_000;
const H = (HI - LO) / G;
const cell = (j: number): number => LO + (j + 0.5) * H;
const STATES: [RcState, RcState] = [
  { min: -Infinity, max: 0 },
  { min: 0, max: Infinity },
];
const BINS: Bins = { min: LO, max: HI, n: 50 };

function sampleWindow(c: number, k: number, n: number, tau: number, rng: Rng): Float64Array {
  const cdf = new Float64Array(G + 1);
  const e = Float64Array.from({ length: G }, (_, j) => (F(cell(j)) + 0.5 * k * (cell(j) - c) ** 2) / tau);
  const m = Math.min(...e);
  for (let j = 0; j < G; j++) cdf[j + 1] = cdf[j]! + Math.exp(-(e[j]! - m));
  const out = new Float64Array(n);
  for (let s = 0; s < n; s++) {
    const u = rng.uniform() * cdf[G]!;
    let a = 0;
    let b = G;
    while (b - a > 1) {
      const mid = (a + b) >> 1;
      if (cdf[mid]! <= u) a = mid;
      else b = mid;
    }
    out[s] = LO + (a + (u - cdf[a]!) / (cdf[a + 1]! - cdf[a]!)) * H;
  }
  return out;
}

function makeWindows(o: { k: number; n: number; nw?: number; tau?: number; seed: number }): WhamWindow[] {
  const nw = o.nw ?? 15;
  const rng = new Rng(o.seed);
  return Array.from({ length: nw }, (_, i) => {
    const center = -2.2 + (4.4 * i) / (nw - 1);
    return { center, k: o.k, rc: sampleWindow(center, o.k, o.n, o.tau ?? 1, rng) };
  });
}

/** Exact normalised −ln p per bin, ΔF and window free energies (f[0] = 0) from the grid. */
function exact(tau: number, bins: Bins, windows: WhamWindow[]) {
  const mass = new Float64Array(bins.n);
  let a = 0;
  let b = 0;
  const z = new Float64Array(windows.length);
  for (let j = 0; j < G; j++) {
    const x = cell(j);
    const w = Math.exp(-F(x) / tau);
    const bin = Math.min(bins.n - 1, Math.floor(((x - bins.min) / (bins.max - bins.min)) * bins.n));
    mass[bin] = mass[bin]! + w;
    if (x < 0) a += w;
    else b += w;
    windows.forEach((win, i) => (z[i] = z[i]! + w * Math.exp(-(0.5 * win.k * (x - win.center) ** 2) / tau)));
  }
  const total = a + b;
  return {
    negLogP: Array.from(mass, (m) => -Math.log(m / total)),
    deltaF: -Math.log(b / a),
    f: Array.from(z, (v) => -Math.log(v / z[0]!)),
  };
}

/** Bins whose exact free energy is within `cut` kT of the minimum (the flanks beyond are barely sampled). */
function relevant(negLogP: number[], cut = 8): number[] {
  const m = Math.min(...negLogP);
  return negLogP.flatMap((v, b) => (v - m < cut ? [b] : []));
}

/**
 * Per-bin check of −ln p against the truth: |Δ| < 4·stderr + 0.05. The bias is taken at bin centres;
 * on the steep flanks (|F'| ≈ 15) that costs up to ~0.05 kT per bin at width 0.1 (measured with 40×
 * the samples), hence the additive allowance.
 */
function mismatch(logP: Float64Array, stderr: (number | null)[], truth: number[], bins: number[]) {
  let ss = 0;
  let failing = 0;
  for (const b of bins) {
    const d = -logP[b]! - truth[b]!;
    ss += d * d;
    if (!(Math.abs(d) < 4 * (stderr[b] ?? NaN) + 0.05)) failing++;
  }
  return { rms: Math.sqrt(ss / bins.length), failing };
}

describe('wham', () => {
  const windows = makeWindows({ k: 20, n: 5000, seed: 1 });
  const truth = exact(1, BINS, windows);
  const keep = relevant(truth.negLogP);

  it('recovers the exact profile, ΔF and window free energies', () => {
    const r = bootstrapWham({ windows, tau: 1, bins: BINS, resamples: 40, rng: new Rng(2), states: STATES });
    expect(r.converged).toBe(true);
    expect(keep.length).toBeGreaterThan(35);
    const full = wham({ windows, tau: 1, bins: BINS });
    expect(full.iterations).toBeLessThan(50);
    const m = mismatch(full.logP, r.profile.stderr, truth.negLogP, keep);
    expect(m.failing).toBe(0);
    expect(m.rms).toBeLessThan(0.1);
    expect(Math.min(...full.F.filter((v): v is number => v !== null))).toBe(0);
    const dF = r.deltaF!;
    expect(dF.value).toBeCloseTo(whamDeltaF(full.logP, BINS, STATES), 12);
    expect(dF.stderr).toBeGreaterThan(0.01);
    expect(dF.stderr).toBeLessThan(0.1);
    expect(Math.abs(dF.value - truth.deltaF)).toBeLessThan(4 * dF.stderr + 0.02);
    // f spans the whole RC, so its error is of the order of ΔF's (~0.06): 0.3 is ~5σ.
    expect(full.f[0]).toBe(0);
    full.f.forEach((v, i) => expect(Math.abs(v - truth.f[i]!)).toBeLessThan(0.3));
  });

  it('is sensitive: analysing with k halved fails the same checks', () => {
    const wrongWindows = windows.map((w) => ({ ...w, k: w.k / 2 }));
    const wrong = bootstrapWham({ windows: wrongWindows, tau: 1, bins: BINS, resamples: 40, rng: new Rng(2), states: STATES });
    const full = wham({ windows: wrongWindows, tau: 1, bins: BINS });
    const m = mismatch(full.logP, wrong.profile.stderr, truth.negLogP, keep);
    expect(m.rms).toBeGreaterThan(0.5);
    expect(m.failing).toBeGreaterThan(keep.length / 2);
    const dF = wrong.deltaF!;
    expect(Math.abs(dF.value - truth.deltaF)).toBeGreaterThan(4 * dF.stderr + 0.02);
  });

  it('τ enters as b/τ: windows sampled at τ = 2 give the τ = 2 profile', () => {
    const hot = makeWindows({ k: 20, n: 5000, tau: 2, seed: 3 });
    const t2 = exact(2, BINS, hot);
    const r = wham({ windows: hot, tau: 2, bins: BINS });
    expect(Math.abs(whamDeltaF(r.logP, BINS, STATES) - t2.deltaF)).toBeLessThan(0.15);
    const wrongTau = wham({ windows: hot, tau: 1, bins: BINS });
    expect(Math.abs(whamDeltaF(wrongTau.logP, BINS, STATES) - t2.deltaF)).toBeGreaterThan(0.3);
  });

  it('a single nearly unbiased window reproduces its histogram', () => {
    const rc = sampleWindow(0, 0, 20_000, 1, new Rng(4));
    const bins: Bins = { min: -2, max: 2, n: 40 }; // narrower than the data: out-of-range samples drop
    const r = wham({ windows: [{ center: 1, k: 1e-9, rc }], tau: 1, bins });
    expect(r.converged).toBe(true);
    expect(r.iterations).toBeLessThan(5);
    const h = histogram(rc, bins);
    const inRange = h.reduce((a, b) => a + b, 0);
    expect(inRange).toBeLessThan(rc.length);
    h.forEach((c, b) => {
      if (c === 0) {
        expect(r.logP[b]).toBe(-Infinity);
        expect(r.F[b]).toBeNull();
      } else expect(r.logP[b]).toBeCloseTo(Math.log(c / inRange), 6);
    });
  });

  it('block bootstrap: error bars match the replicate spread and see correlation', () => {
    const reps = Array.from({ length: 12 }, (_, s) => {
      const w = makeWindows({ k: 20, n: 1000, nw: 10, seed: 100 + s });
      return { w, b: bootstrapWham({ windows: w, tau: 1, bins: BINS, resamples: 30, rng: new Rng(s), states: STATES }) };
    });
    const values = reps.map((r) => r.b.deltaF!.value);
    const mean = values.reduce((a, b) => a + b) / values.length;
    const spread = Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / (values.length - 1));
    const meanErr = reps.reduce((s, r) => s + r.b.deltaF!.stderr, 0) / reps.length;
    // 12 replicates pin the spread to ~±20 % (1σ).
    expect(meanErr / spread).toBeGreaterThan(0.55);
    expect(meanErr / spread).toBeLessThan(1.8);

    // Repeating each sample 10× adds no information. The default blocks (n/20 = 500 ≫ 10) see that;
    // blocks of one sample take the repeats as independent, so the error shrinks by ≈ 1/√10.
    const { w, b } = reps[0]!;
    const dup = w.map((win) => ({ ...win, rc: Float64Array.from({ length: win.rc.length * 10 }, (_, s) => win.rc[Math.floor(s / 10)]!) }));
    const blocked = bootstrapWham({ windows: dup, tau: 1, bins: BINS, resamples: 30, rng: new Rng(9), states: STATES });
    const naive = bootstrapWham({ windows: dup, tau: 1, bins: BINS, resamples: 30, rng: new Rng(9), states: STATES, blockSize: 1 });
    expect(blocked.deltaF!.value).toBeCloseTo(b.deltaF!.value, 10);
    expect(blocked.deltaF!.stderr / b.deltaF!.stderr).toBeGreaterThan(0.6);
    expect(naive.deltaF!.stderr / b.deltaF!.stderr).toBeLessThan(0.5);
  });

  it('rejects bad input', () => {
    const rc = new Float64Array([0, 0.1]);
    const ok = { windows: [{ center: 0, k: 1, rc }], tau: 1, bins: BINS };
    expect(() => wham({ ...ok, windows: [] })).toThrow(/at least one window/);
    expect(() => wham({ ...ok, tau: 0 })).toThrow(/tau/);
    expect(() => wham({ ...ok, windows: [{ center: 0, k: -1, rc }] })).toThrow(/k ≥ 0/);
    expect(() => wham({ ...ok, windows: [{ center: NaN, k: 1, rc }] })).toThrow(/finite center/);
    expect(() => wham({ ...ok, bins: { min: 1, max: 0, n: 10 } })).toThrow(/invalid bins/);
    expect(() => wham({ ...ok, bins: { min: 0, max: 1, n: 0 } })).toThrow(/invalid bins/);
    expect(() => wham({ ...ok, windows: [{ center: 0, k: 1, rc: new Float64Array([5, 6]) }] })).toThrow(/no samples/);
    expect(() => bootstrapWham({ ...ok, resamples: -1, rng: new Rng(1) })).toThrow(/resamples/);
    expect(() => bootstrapWham({ ...ok, resamples: 2, rng: new Rng(1), blockSize: 0 })).toThrow(/blockSize/);
    expect(() => whamDeltaF(new Float64Array(3), BINS, STATES)).toThrow(/bins/);
  });
});

import { describe, it, expect } from 'vitest';
import { createSystem } from '../../engine/energies';
import { defaultWindows, umbrellaSampling } from '../../engine/reference/umbrella';
import { bootstrapWham } from '../../engine/reference/wham';
import { quadratureReference } from '../../engine/reference/quadrature';
import { histogram, type Bins } from '../../engine/analysis';
import { Rng } from '../../engine/rng';

describe('umbrella sampling + WHAM', () => {
  it('reproduces the exact double-well profile and ΔF', async () => {
    const dw = createSystem('double-well', {});
    const bins: Bins = { min: -2.5, max: 2.5, n: 50 };
    const exact = quadratureReference(dw, 1, bins);
    const centers = defaultWindows([-2.5, 2.5], 21);
    const seen: number[] = [];
    // k = 30 > 12 = −u''(0): every biased window is unimodal, and the 0.25 spacing is ~1–2 window
    // widths (1/√(k + u'')), so neighbours overlap. ~1 s of CPU here.
    const u = await umbrellaSampling(dw, {
      centers: [...centers].reverse(), // returned sorted regardless
      k: 30,
      tau: 1,
      stepsPerWindow: 200_000,
      burnIn: 2000,
      stride: 10,
      rng: new Rng(3),
      onWindow: (i, n, acc) => {
        expect(n).toBe(21);
        expect(acc).toBeGreaterThan(0.3);
        seen.push(i);
      },
    });
    expect(seen).toEqual([...Array(21).keys()]);
    expect(u.windows.map((w) => w.center)).toEqual(centers);
    for (const w of u.windows) {
      expect(w.rc).toHaveLength(20_000);
      // The restraint holds each window near its centre; the end windows sit on the steep walls
      // (|u'| ≈ 30 at ±2.5), which push them ≈ u'/(k + u'') ≈ 0.4 inward.
      expect(Math.abs(w.meanRc - w.center)).toBeLessThan(0.5);
    }

    const r = bootstrapWham({ windows: u.windows, tau: 1, bins, resamples: 50, rng: new Rng(4), states: dw.states });
    expect(r.converged).toBe(true);
    // Seeds 1–11 gave stderr 0.026–0.039 and |error| ≤ 0.08: 0.15 kT is ~4σ.
    expect(r.deltaF!.stderr).toBeLessThan(0.05);
    expect(Math.abs(r.deltaF!.value - exact.deltaF)).toBeLessThan(0.15);

    // Profile over bins with ≥ 100 samples, compared up to the free constant (mean offset removed):
    // seeds 1–11 gave RMS 0.027–0.048; analysing with k halved gives RMS 1.6 and a ΔF 1.7 kT off.
    const counts = new Float64Array(bins.n);
    for (const w of u.windows) histogram(w.rc, bins).forEach((c, b) => (counts[b] = counts[b]! + c));
    const good = exact.profile.F.flatMap((f, b) => (f !== null && r.profile.F[b] !== null && counts[b]! >= 100 ? [b] : []));
    expect(good.length).toBeGreaterThan(45);
    const diff = good.map((b) => r.profile.F[b]! - exact.profile.F[b]!);
    const off = diff.reduce((a, d) => a + d, 0) / diff.length;
    const rms = Math.sqrt(diff.reduce((a, d) => a + (d - off) ** 2, 0) / diff.length);
    expect(rms).toBeLessThan(0.15);
  });

  it('is reproducible from a seed', async () => {
    const dw = createSystem('double-well', {});
    const o = { centers: [-1, 0, 1], k: 30, tau: 1, stepsPerWindow: 1000, burnIn: 100, stride: 10 };
    const a = await umbrellaSampling(dw, { ...o, rng: new Rng(5) });
    const b = await umbrellaSampling(dw, { ...o, rng: new Rng(5) });
    expect(a.windows.map((w) => Array.from(w.rc))).toEqual(b.windows.map((w) => Array.from(w.rc)));
  });

  it('cancels with an AbortError', async () => {
    const dw = createSystem('double-well', {});
    const o = { centers: [-1, 1], k: 30, tau: 1, stepsPerWindow: 1e9, burnIn: 0, stride: 10, rng: new Rng(1) };
    await expect(umbrellaSampling(dw, { ...o, signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError' });
    // Mid-run: the loop yields to the event loop, so a timer can fire and abort it.
    const ctl = new AbortController();
    setTimeout(() => ctl.abort(), 100);
    const t0 = performance.now();
    await expect(umbrellaSampling(dw, { ...o, signal: ctl.signal })).rejects.toMatchObject({ name: 'AbortError' });
    expect(performance.now() - t0).toBeLessThan(5000);
  });

  it('rejects bad input', async () => {
    const dw = createSystem('double-well', {});
    const o = { centers: [-1, 1], k: 30, tau: 1, stepsPerWindow: 100, burnIn: 0, stride: 10, rng: new Rng(1) };
    await expect(umbrellaSampling(dw, { ...o, centers: [0] })).rejects.toThrow(/at least 2/);
    await expect(umbrellaSampling(dw, { ...o, centers: [0, NaN] })).rejects.toThrow(/finite/);
    await expect(umbrellaSampling(dw, { ...o, k: 0 })).rejects.toThrow(/k must/);
    await expect(umbrellaSampling(dw, { ...o, tau: -1 })).rejects.toThrow(/tau must/);
    await expect(umbrellaSampling(dw, { ...o, step: 0 })).rejects.toThrow(/step must/);
    await expect(umbrellaSampling(dw, { ...o, stride: 0 })).rejects.toThrow(/stride/);
    await expect(umbrellaSampling(dw, { ...o, stepsPerWindow: 5 })).rejects.toThrow(/stepsPerWindow/);
    await expect(umbrellaSampling(dw, { ...o, burnIn: -1 })).rejects.toThrow(/burnIn/);
    await expect(umbrellaSampling(dw, { ...o, x0: new Float64Array(3) })).rejects.toThrow(/x0 has length 3/);
    await expect(umbrellaSampling(dw, { ...o, x0: new Float64Array([Infinity, 0]) })).rejects.toThrow(/start energy/);
    expect(defaultWindows([0.7, 2.3], 5)).toEqual([0.7, 1.1, 1.5, 1.9, 2.3].map((c, i) => (i === 4 ? 2.3 : expect.closeTo(c, 12))));
    expect(() => defaultWindows([1, 0], 3)).toThrow(/range/);
    expect(() => defaultWindows([0, 1], 1)).toThrow(/n must/);
  });
});

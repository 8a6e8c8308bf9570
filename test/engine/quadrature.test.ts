import { describe, it, expect } from 'vitest';
import { createDoubleWell } from '../../engine/energies/double-well';
import { createMuellerBrown } from '../../engine/energies/mueller-brown';
import { createDimer } from '../../engine/energies/dimer';
import { quadratureReference } from '../../engine/reference/quadrature';

/** Independent 1-D trapezoid of exp(−(x⁴ − 6x² + x)/τ) over [a, b] (the DW x1 marginal, unnormalised). */
function trapezoid(a: number, b: number, tau: number, n = 200_000): number {
  const f = (x: number): number => Math.exp(-(x ** 4 - 6 * x ** 2 + x) / tau);
  const h = (b - a) / n;
  let s = 0.5 * (f(a) + f(b));
  for (let i = 1; i < n; i++) s += f(a + i * h);
  return s * h;
}

describe('quadrature reference', () => {
  it('double well ΔF matches an independent 1-D integral of the x1 marginal', () => {
    const dw = createDoubleWell();
    for (const tau of [1, 2]) {
      const exact = -Math.log(trapezoid(0, 5, tau) / trapezoid(-5, 0, tau));
      const q = quadratureReference(dw, tau, { min: -2.5, max: 2.5, n: 50 });
      expect(q.deltaF).toBeCloseTo(exact, 5);
    }
    // The harmonic x2..x4 are separable: extra dimensions do not change ΔF.
    const q4 = quadratureReference(createDoubleWell({ dim: 4 }), 1, { min: -2.5, max: 2.5, n: 10 });
    expect(q4.deltaF).toBeCloseTo(quadratureReference(dw, 1, { min: -2.5, max: 2.5, n: 10 }).deltaF, 10);
  });

  it('double well profile is the 1-D free energy, shifted to min 0', () => {
    const { profile } = quadratureReference(createDoubleWell(), 1, { min: -2.5, max: 2.5, n: 25 });
    expect(profile.centers).toHaveLength(25);
    expect(profile.centers[0]).toBeCloseTo(-2.4, 12);
    const finite = profile.F.filter((f): f is number => f !== null);
    expect(finite).toHaveLength(25);
    expect(Math.min(...finite)).toBe(0);
    const exact = profile.centers.map((c) => -Math.log(trapezoid(c - 0.1, c + 0.1, 1, 2000)));
    const e0 = Math.min(...exact);
    // Midpoint-rule accuracy per bin: O(h²·u'²), largest on the steep flanks.
    profile.F.forEach((f, i) => {
      const want = exact[i]! - e0;
      expect(Math.abs(f! - want)).toBeLessThan(want < 5 ? 3e-3 : 1e-2);
    });
  });

  it('bins without mass are null (JSON-safe)', () => {
    const { profile } = quadratureReference(createDoubleWell(), 1, { min: -5, max: 5, n: 10 });
    expect(profile.F[0]).toBeNull(); // [−5, −4] lies outside the grid
    expect(profile.F[9]).toBeNull();
    expect(JSON.parse(JSON.stringify(profile)).F[0]).toBeNull();
  });

  it('Mueller–Brown: converged in the grid, consistent across τ', () => {
    const mb = createMuellerBrown();
    const bins = { min: -0.1, max: 1.7, n: 36 };
    const q = quadratureReference(mb, 1, bins);
    // A much finer grid gives the same ΔF.
    const fine = { ...mb, quadrature: { ...mb.quadrature!, n: 900 } };
    expect(q.deltaF).toBeCloseTo(quadratureReference(fine, 1, bins).deltaF, 5);
    expect(q.deltaF).toBeCloseTo(3.6367, 3);
    expect(Math.min(...q.profile.F.filter((f): f is number => f !== null))).toBe(0);
    // The split lies at the barrier: F there is a local maximum between the upper and lower basins.
    const at = (y: number): number => q.profile.F[Math.floor((y - bins.min) / 0.05)]!;
    expect(at(0.72)).toBeGreaterThan(at(0.47));
    expect(at(0.72)).toBeGreaterThan(at(1.02));
    // Higher τ flattens the landscape.
    expect(Math.abs(quadratureReference(mb, 2, bins).deltaF)).toBeLessThan(Math.abs(q.deltaF));
  });

  it('refuses systems without a grid', () => {
    expect(() => quadratureReference(createDimer({ nSolvent: 1 }), 1, { min: 0.5, max: 2.5, n: 10 })).toThrow(/quadrature/);
  });
});

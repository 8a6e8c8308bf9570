import type { ModelSystem } from '../energies/types';

export interface RcBins {
  min: number;
  max: number;
  n: number;
}

export interface QuadratureResult {
  /** F(B) − F(A) = −ln(P_B / P_A), dimensionless (in units of the sampling temperature's kT). */
  deltaF: number;
  /**
   * F(bin) = −ln(mass in bin), shifted so that the minimum is 0. Bins with zero mass (or outside the
   * grid) are `null`, not Infinity, so the result survives JSON.
   */
  profile: { centers: number[]; F: (number | null)[] };
}

/**
 * Exact reference: integrate exp(−u/τ) by the midpoint rule on `system.quadrature`, over the first
 * two coordinates with every other coordinate at 0. For the shipped 2-D-reducible systems the extra
 * coordinates are separable harmonic terms, so they multiply every state's mass by the same constant,
 * which cancels in ΔF and in the shifted profile.
 */
export function quadratureReference(system: ModelSystem, tau: number, bins: RcBins): QuadratureResult {
  const grid = system.quadrature;
  if (!grid) throw new Error(`quadratureReference: system '${system.name}' has no quadrature grid`);
  if (!(tau > 0)) throw new Error(`quadratureReference: tau must be > 0, got ${tau}`);
  if (!(bins.n >= 1 && bins.max > bins.min)) throw new Error('quadratureReference: bad bins');

  const { n } = grid;
  const [x0, x1] = grid.xRange;
  const [y0, y1] = grid.yRange;
  const hx = (x1 - x0) / n;
  const hy = (y1 - y0) / n;
  const m = n * n;
  const u = new Float64Array(m);
  const lo = new Float64Array(m);
  const hi = new Float64Array(m);
  const x = new Float64Array(system.dim);
  const rcAt = (px: number, py: number): number => {
    x[0] = px;
    x[1] = py;
    return system.rc64(x);
  };
  let umin = Infinity;
  for (let i = 0; i < n; i++) {
    const px = x0 + (i + 0.5) * hx;
    for (let j = 0; j < n; j++) {
      const py = y0 + (j + 0.5) * hy;
      const p = i * n + j;
      // The cell's RC extent (exact when the RC is a grid coordinate). Spreading the cell's mass
      // uniformly over it, instead of dropping it at the centre, removes the aliasing between grid
      // rows and RC bins (a ±0.3 kT sawtooth at n = 400 otherwise). What remains is the midpoint
      // rule's per-bin error, O(h²·u'²/24): < 1e-2 kT on the steep DW flanks (F ≈ 10) at n = 400,
      // ~1e-7 in ΔF.
      const half =
        0.5 *
        (Math.abs(rcAt(px + 0.5 * hx, py) - rcAt(px - 0.5 * hx, py)) +
          Math.abs(rcAt(px, py + 0.5 * hy) - rcAt(px, py - 0.5 * hy)));
      const r = rcAt(px, py);
      lo[p] = r - half;
      hi[p] = r + half;
      const e = system.energy64(x);
      u[p] = e;
      if (e < umin) umin = e;
    }
  }

  // Weights exp(−(u − umin)/τ) (log-sum-exp shift): the largest is 1, so no sum can overflow.
  const [A, B] = system.states;
  const bw = (bins.max - bins.min) / bins.n;
  const mass = new Float64Array(bins.n);
  let pA = 0;
  let pB = 0;
  for (let p = 0; p < m; p++) {
    const w = Math.exp(-(u[p]! - umin) / tau);
    const a = lo[p]!;
    const b = hi[p]!;
    pA += w * overlap(a, b, A.min, A.max);
    pB += w * overlap(a, b, B.min, B.max);
    const first = Math.max(0, Math.floor((a - bins.min) / bw));
    const last = Math.min(bins.n - 1, Math.floor((b - bins.min) / bw));
    for (let k = first; k <= last; k++) {
      mass[k] = mass[k]! + w * overlap(a, b, bins.min + k * bw, bins.min + (k + 1) * bw);
    }
  }

  const logMass = Array.from(mass, (v) => (v > 0 ? -Math.log(v) : Infinity));
  const fmin = Math.min(...logMass);
  return {
    deltaF: -Math.log(pB / pA),
    profile: {
      centers: Array.from({ length: bins.n }, (_, i) => bins.min + (i + 0.5) * bw),
      F: logMass.map((f) => (Number.isFinite(f) ? f - fmin : null)),
    },
  };
}

/** Fraction of [a, b] inside [lo, hi) (a point interval counts as inside or not). */
function overlap(a: number, b: number, lo: number, hi: number): number {
  if (b <= a) return a >= lo && a < hi ? 1 : 0;
  return Math.max(0, Math.min(b, hi) - Math.max(a, lo)) / (b - a);
}


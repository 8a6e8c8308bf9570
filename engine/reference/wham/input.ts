import type { Bins } from '../../analysis';

// WHAM's input: the windows and bins, their checks, the bias matrix and the binned sample counts.

/** One umbrella window: its restraint and the RC time series it produced. */
export interface WhamWindow {
  center: number;
  k: number;
  rc: Float64Array;
}

export interface WhamInput {
  windows: readonly WhamWindow[];
  tau: number;
  /**
   * Histogram bins; the bias is evaluated at bin centres. Samples outside [min, max) are dropped,
   * so callers should choose a range that covers every window.
   */
  bins: Bins;
  /** Convergence threshold on max_i |Δf_i| between iterations (default 1e-7). */
  tol?: number;
  /** Default 100000. */
  maxIterations?: number;
}

/** Counts WHAM needs: per-bin totals over windows and per-window in-range sample numbers. */
export interface Counts {
  nBin: Float64Array;
  nWin: Float64Array;
}

export function checkInput(input: WhamInput): void {
  const { windows, tau, bins } = input;
  if (windows.length < 1) throw new Error('wham: need at least one window');
  if (!(tau > 0 && Number.isFinite(tau))) throw new Error(`wham: tau must be a finite number > 0, got ${tau}`);
  if (!(Number.isInteger(bins.n) && bins.n > 0 && bins.max > bins.min && Number.isFinite(bins.max - bins.min)))
    throw new Error(`wham: invalid bins ${JSON.stringify(bins)}`);
  windows.forEach((w, i) => {
    // k = 0 is allowed: an unbiased run is a valid WHAM window.
    if (!(Number.isFinite(w.center) && Number.isFinite(w.k) && w.k >= 0))
      throw new Error(`wham: window ${i} needs a finite center and a finite k ≥ 0, got center ${w.center}, k ${w.k}`);
  });
  const tol = input.tol ?? 1e-7;
  const maxIt = input.maxIterations ?? 100_000;
  if (!(tol > 0)) throw new Error(`wham: tol must be > 0, got ${tol}`);
  if (!(Number.isInteger(maxIt) && maxIt >= 1)) throw new Error(`wham: maxIterations must be an integer ≥ 1, got ${maxIt}`);
}

export function binCenters(bins: Bins): number[] {
  const h = (bins.max - bins.min) / bins.n;
  return Array.from({ length: bins.n }, (_, b) => bins.min + (b + 0.5) * h);
}

/** Bin index of each sample, −1 outside [min, max) or NaN. */
export function binIndices(rc: Float64Array, bins: Bins): Int32Array {
  const out = new Int32Array(rc.length);
  const scale = bins.n / (bins.max - bins.min);
  for (let s = 0; s < rc.length; s++) {
    const x = rc[s]!;
    // min() guards the rounding of x just below max into bin n.
    out[s] = x >= bins.min && x < bins.max ? Math.min(Math.floor((x - bins.min) * scale), bins.n - 1) : -1;
  }
  return out;
}

/** bias[i·nb + b] = b_i(centre_b)/τ. */
export function biasMatrix(windows: readonly WhamWindow[], centers: number[], tau: number): Float64Array {
  const nb = centers.length;
  const bias = new Float64Array(windows.length * nb);
  windows.forEach((w, i) => {
    for (let b = 0; b < nb; b++) bias[i * nb + b] = (0.5 * w.k * (centers[b]! - w.center) ** 2) / tau;
  });
  return bias;
}

export function countsOf(idx: Int32Array[], nb: number): Counts {
  const nBin = new Float64Array(nb);
  const nWin = new Float64Array(idx.length);
  idx.forEach((ix, i) => {
    for (const b of ix) if (b >= 0) { nBin[b]!++; nWin[i]!++; }
  });
  return { nBin, nWin };
}

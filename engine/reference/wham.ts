import { finiteStd, type Bins, type RcState } from '../analysis';
import type { Rng } from '../rng';

// Binned WHAM (Kumar et al. 1992) for harmonic umbrella windows on a 1-D reaction coordinate.
// Everything is in reduced units: bias b_i(ξ) = ½·k_i·(ξ − c_i)² in kT at the reference temperature,
// entering as b/τ exactly as the energy enters as u/τ. Pure float64, no tfjs.

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

export interface WhamResult {
  centers: number[];
  /** −ln p per bin shifted to min 0; null for bins without samples. */
  F: (number | null)[];
  /** Normalised ln p per bin; −Infinity for empty bins. */
  logP: Float64Array;
  /** Window free energies f_i = −ln Σ_b p_b e^{−b_i/τ}, shifted so f[0] = 0. */
  f: Float64Array;
  iterations: number;
  converged: boolean;
}

/** Counts WHAM needs: per-bin totals over windows and per-window in-range sample numbers. */
interface Counts {
  nBin: Float64Array;
  nWin: Float64Array;
}

function checkInput(input: WhamInput): void {
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

function binCenters(bins: Bins): number[] {
  const h = (bins.max - bins.min) / bins.n;
  return Array.from({ length: bins.n }, (_, b) => bins.min + (b + 0.5) * h);
}

/** Bin index of each sample, −1 outside [min, max) or NaN. */
function binIndices(rc: Float64Array, bins: Bins): Int32Array {
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
function biasMatrix(windows: readonly WhamWindow[], centers: number[], tau: number): Float64Array {
  const nb = centers.length;
  const bias = new Float64Array(windows.length * nb);
  windows.forEach((w, i) => {
    for (let b = 0; b < nb; b++) bias[i * nb + b] = (0.5 * w.k * (centers[b]! - w.center) ** 2) / tau;
  });
  return bias;
}

function countsOf(idx: Int32Array[], nb: number): Counts {
  const nBin = new Float64Array(nb);
  const nWin = new Float64Array(idx.length);
  idx.forEach((ix, i) => {
    for (const b of ix) if (b >= 0) { nBin[b]!++; nWin[i]!++; }
  });
  return { nBin, nWin };
}

/**
 * The WHAM equations in log space,
 *   ln p_b = ln n_b − ln Σ_i N_i e^{f_i − bias_ib},   f_i = −ln Σ_b p_b e^{−bias_ib},
 * are the stationarity conditions of the convex negative log-likelihood (Zhu & Hummer 2012)
 *   A(f) = Σ_b n_b ln Σ_i N_i e^{f_i − bias_ib} − Σ_i N_i f_i.
 * Every sum is a log-sum-exp, so strong restraints (bias of hundreds of kT) cannot underflow to 0/0.
 */
class Solver {
  readonly nw: number;
  readonly nb: number;
  private readonly logN: Float64Array;
  private readonly logn: Float64Array;
  /** Windows with samples: only their f enters A. */
  private readonly active: number[];
  /** w[i·nb + b]: share of bin b's samples attributed to window i at the last `evaluate`. */
  private readonly w: Float64Array;
  readonly logP: Float64Array;
  private readonly term: Float64Array;

  constructor(private readonly c: Counts, private readonly bias: Float64Array) {
    this.nw = c.nWin.length;
    this.nb = c.nBin.length;
    if (!c.nBin.some((n) => n > 0)) throw new Error('wham: no samples inside the bin range');
    this.logN = Float64Array.from(c.nWin, Math.log);
    this.logn = Float64Array.from(c.nBin, Math.log);
    this.active = [...c.nWin.keys()].filter((i) => c.nWin[i]! > 0);
    this.w = new Float64Array(this.nw * this.nb);
    this.logP = new Float64Array(this.nb);
    this.term = new Float64Array(Math.max(this.nw, this.nb));
  }

  /** A(f); fills logP (unnormalised) and, if `weights`, w. */
  evaluate(f: Float64Array, weights = false): number {
    const { nb, active, bias, term, logP, w } = this;
    let A = 0;
    for (const i of active) A -= this.c.nWin[i]! * f[i]!;
    for (let b = 0; b < nb; b++) {
      if (this.logn[b] === -Infinity) { logP[b] = -Infinity; continue; }
      let m = -Infinity;
      for (const i of active) {
        const t = this.logN[i]! + f[i]! - bias[i * nb + b]!;
        term[i] = t;
        if (t > m) m = t;
      }
      let s = 0;
      for (const i of active) s += Math.exp(term[i]! - m);
      const logD = m + Math.log(s);
      logP[b] = this.logn[b]! - logD;
      A += this.c.nBin[b]! * logD;
      if (weights) for (const i of active) w[i * nb + b] = Math.exp(term[i]! - logD);
    }
    return A;
  }

  /** The direct (self-consistent) update f_i = −ln Σ_b p_b e^{−bias_ib} from logP, pinned to out[0] = 0. */
  direct(out: Float64Array): void {
    const { nw, nb, bias, term, logP } = this;
    for (let i = 0; i < nw; i++) {
      let m = -Infinity;
      for (let b = 0; b < nb; b++) {
        const t = logP[b]! - bias[i * nb + b]!;
        term[b] = t;
        if (t > m) m = t;
      }
      let s = 0;
      for (let b = 0; b < nb; b++) s += Math.exp(term[b]! - m);
      out[i] = -(m + Math.log(s));
    }
    const f0 = out[0]!;
    for (let i = 0; i < nw; i++) out[i] = out[i]! - f0;
  }

  /**
   * Newton step on A over the active windows but the first (A is invariant to a common shift of f),
   * from the weights of the last `evaluate(f, true)`. False if the Hessian is not positive definite
   * (e.g. windows that share no bins).
   */
  newton(f: Float64Array, out: Float64Array): boolean {
    const { nb, w } = this;
    const idx = this.active.slice(1);
    const m = idx.length;
    out.set(f);
    if (m === 0) return true;
    // H_jk = Σ_b n_b (δ_jk w_jb − w_jb w_kb), g_j = Σ_b n_b w_jb − N_j.
    const H = new Float64Array(m * m);
    const g = new Float64Array(m);
    for (let b = 0; b < nb; b++) {
      const n = this.c.nBin[b]!;
      if (n === 0) continue;
      for (let j = 0; j < m; j++) {
        const wj = w[idx[j]! * nb + b]!;
        if (wj === 0) continue;
        g[j] = g[j]! + n * wj;
        H[j * m + j] = H[j * m + j]! + n * wj;
        for (let k = 0; k <= j; k++) H[j * m + k] = H[j * m + k]! - n * wj * w[idx[k]! * nb + b]!;
      }
    }
    for (let j = 0; j < m; j++) g[j] = g[j]! - this.c.nWin[idx[j]!]!;
    // Cholesky (lower triangle), then solve H δ = −g.
    for (let j = 0; j < m; j++) {
      for (let k = 0; k <= j; k++) {
        let s = H[j * m + k]!;
        for (let l = 0; l < k; l++) s -= H[j * m + l]! * H[k * m + l]!;
        if (j === k) {
          if (!(s > 1e-12 * (1 + Math.abs(H[j * m + j]!)))) return false;
          H[j * m + j] = Math.sqrt(s);
        } else H[j * m + k] = s / H[k * m + k]!;
      }
    }
    for (let j = 0; j < m; j++) {
      let s = -g[j]!;
      for (let l = 0; l < j; l++) s -= H[j * m + l]! * g[l]!;
      g[j] = s / H[j * m + j]!;
    }
    for (let j = m - 1; j >= 0; j--) {
      let s = g[j]!;
      for (let l = j + 1; l < m; l++) s -= H[l * m + j]! * g[l]!;
      g[j] = s / H[j * m + j]!;
    }
    for (let j = 0; j < m; j++) out[idx[j]!] = f[idx[j]!]! + g[j]!;
    return g.every(Number.isFinite);
  }
}

/**
 * Solve from `f` (updated in place). Each iteration computes the direct update (an EM step: it never
 * raises A) and a Newton step, and keeps the Newton step when it lowers A at least as much. Plain
 * direct iteration needs thousands of sweeps once windows are many and stiff, and its tiny steps
 * can pass a max |Δf| test far from the solution; the Newton steps converge quadratically.
 */
function solve(
  c: Counts,
  bias: Float64Array,
  f: Float64Array,
  tol: number,
  maxIt: number,
): { logP: Float64Array; iterations: number; converged: boolean } {
  const s = new Solver(c, bias);
  const fEM = new Float64Array(s.nw);
  const fN = new Float64Array(s.nw);
  let iterations = 0;
  let converged = false;
  let A = s.evaluate(f, true);
  while (iterations < maxIt && !converged) {
    iterations++;
    const newtonOk = s.newton(f, fN);
    s.direct(fEM); // uses logP of evaluate(f)
    const aEM = s.evaluate(fEM);
    const aN = newtonOk ? s.evaluate(fN) : NaN;
    // Near the solution both A agree to rounding: the slack lets Newton finish the job.
    const next = aN <= aEM + 1e-12 * (1 + Math.abs(A)) ? fN : fEM;
    let delta = 0;
    const pin = next[0]!;
    for (let i = 0; i < s.nw; i++) {
      const v = next[i]! - pin;
      delta = Math.max(delta, Math.abs(v - f[i]!));
      f[i] = v;
    }
    converged = delta < tol;
    A = s.evaluate(f, true);
  }
  // Consistent output: logP from the final f, and f of every window (empty ones too) from that logP.
  s.direct(f);
  const logP = Float64Array.from(s.logP);
  normaliseLog(logP);
  return { logP, iterations, converged };
}

/** Shift ln p so that Σ p = 1. */
function normaliseLog(logP: Float64Array): void {
  let m = -Infinity;
  for (const v of logP) if (v > m) m = v;
  let s = 0;
  for (const v of logP) s += Math.exp(v - m);
  const logZ = m + Math.log(s);
  for (let b = 0; b < logP.length; b++) logP[b] = logP[b]! - logZ;
}

function profileOf(logP: Float64Array): (number | null)[] {
  let max = -Infinity;
  for (const v of logP) if (v > max) max = v;
  return Array.from(logP, (v) => (Number.isFinite(v) ? max - v : null));
}

/** Binned self-consistent WHAM; see `WhamInput` for units and the dropping of out-of-range samples. */
export function wham(input: WhamInput): WhamResult {
  checkInput(input);
  const { windows, tau, bins } = input;
  const centers = binCenters(bins);
  const bias = biasMatrix(windows, centers, tau);
  const counts = countsOf(windows.map((w) => binIndices(w.rc, bins)), bins.n);
  const f = new Float64Array(windows.length);
  const r = solve(counts, bias, f, input.tol ?? 1e-7, input.maxIterations ?? 100_000);
  return { centers, F: profileOf(r.logP), logP: r.logP, f, iterations: r.iterations, converged: r.converged };
}

/** ΔF = −ln(P_B / P_A), summing the bins whose centres lie in each state's [min, max). */
export function whamDeltaF(logP: Float64Array, bins: Bins, states: readonly [RcState, RcState]): number {
  if (logP.length !== bins.n) throw new Error(`whamDeltaF: logP has ${logP.length} bins, bins.n is ${bins.n}`);
  const centers = binCenters(bins);
  const logMass = (s: RcState): number => {
    let m = -Infinity;
    centers.forEach((c, b) => { if (c >= s.min && c < s.max && logP[b]! > m) m = logP[b]!; });
    if (m === -Infinity) return -Infinity;
    let sum = 0;
    centers.forEach((c, b) => { if (c >= s.min && c < s.max) sum += Math.exp(logP[b]! - m); });
    return m + Math.log(sum);
  };
  return logMass(states[0]) - logMass(states[1]);
}

export interface BootstrapWhamInput extends WhamInput {
  resamples: number;
  rng: Rng;
  /**
   * Block length of the circular block bootstrap (default ceil(n/20) per window: 20 blocks, long
   * enough to hold an MC series' correlation as long as it decorrelates within 5 % of the window).
   */
  blockSize?: number;
  states?: readonly [RcState, RcState];
}

export interface BootstrapWhamResult {
  profile: { centers: number[]; F: (number | null)[]; stderr: (number | null)[] };
  deltaF: { value: number; stderr: number } | null;
  f: Float64Array;
  /** Iterations of the full-sample solve. */
  iterations: number;
  /** True when the full-sample solve and every resample converged. */
  converged: boolean;
}

/**
 * WHAM with block-bootstrap error bars. Umbrella samples are correlated MC time series, so each
 * window is resampled as contiguous blocks (circular: start uniform, wrapping at the end, so every
 * sample is equally likely) and WHAM is re-solved per resample from the full solution's f.
 * Profile stderr follows analysis.ts `bootstrapProfile`: per-bin std over resamples of the
 * normalised −ln p (not the min-shifted F), null where fewer than two resamples give the bin weight.
 */
export function bootstrapWham(input: BootstrapWhamInput): BootstrapWhamResult {
  const full = wham(input);
  const { windows, bins, tau, resamples, rng, states } = input;
  if (!(Number.isInteger(resamples) && resamples >= 0)) throw new Error(`bootstrapWham: resamples must be an integer ≥ 0, got ${resamples}`);
  if (input.blockSize !== undefined && !(Number.isInteger(input.blockSize) && input.blockSize >= 1))
    throw new Error(`bootstrapWham: blockSize must be an integer ≥ 1, got ${input.blockSize}`);
  const nb = bins.n;
  const bias = biasMatrix(windows, full.centers, tau);
  const idx = windows.map((w) => binIndices(w.rc, bins));
  const counts: Counts = { nBin: new Float64Array(nb), nWin: new Float64Array(windows.length) };
  const reps = new Float64Array(resamples * nb); // reps[b·resamples + r] = −ln p_b
  const dReps = new Float64Array(resamples);
  const f = new Float64Array(windows.length);
  let converged = full.converged;
  for (let r = 0; r < resamples; r++) {
    counts.nBin.fill(0);
    counts.nWin.fill(0);
    idx.forEach((ix, i) => {
      const n = ix.length;
      if (n === 0) return;
      const L = Math.min(input.blockSize ?? Math.ceil(n / 20), n);
      for (let drawn = 0; drawn < n; ) {
        const start = rng.int(n);
        for (let j = 0; j < L && drawn < n; j++, drawn++) {
          const b = ix[(start + j) % n]!;
          if (b >= 0) { counts.nBin[b]!++; counts.nWin[i]!++; }
        }
      }
    });
    f.set(full.f);
    let logP: Float64Array;
    try {
      const s = solve(counts, bias, f, input.tol ?? 1e-7, input.maxIterations ?? 100_000);
      converged &&= s.converged;
      logP = s.logP;
    } catch {
      // A resample with nothing in range has no profile: it counts as non-finite.
      logP = new Float64Array(nb).fill(-Infinity);
    }
    for (let b = 0; b < nb; b++) reps[b * resamples + r] = -logP[b]!;
    dReps[r] = states ? whamDeltaF(logP, bins, states) : NaN;
  }
  const stderr = full.F.map((F, b) => {
    if (F === null) return null;
    const s = finiteStd(reps.subarray(b * resamples, (b + 1) * resamples));
    return Number.isFinite(s) ? s : null;
  });
  return {
    profile: { centers: full.centers, F: full.F, stderr },
    deltaF: states ? { value: whamDeltaF(full.logP, bins, states), stderr: finiteStd(dReps) } : null,
    f: full.f,
    iterations: full.iterations,
    converged,
  };
}

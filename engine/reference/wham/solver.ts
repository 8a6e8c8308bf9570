// The WHAM iteration: the negative log-likelihood, its direct (EM) and Newton updates, and the solve loop.

import type { Counts } from './input';

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
export function solve(
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

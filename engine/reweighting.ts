import type { Rng } from './rng';

// Pure float64 reweighting helpers (docs/science.md, "Reweighting and estimates"). Everything works in
// log space and shifts by the maximum before exponentiating, so 1e6 weights spanning hundreds of
// nats neither overflow nor underflow to an all-zero vector.

/** Log importance weights −u/τ + |z|²/(2τ) + log|det J_zx|; non-finite u (or a NaN result) → −Infinity. */
export function logWeights(args: {
  u: ArrayLike<number>;
  zNormSq: ArrayLike<number>;
  logDetZX: ArrayLike<number>;
  tau: number;
}): Float64Array {
  const { u, zNormSq, logDetZX, tau } = args;
  const n = u.length;
  if (zNormSq.length !== n || logDetZX.length !== n) {
    throw new Error(`logWeights: length mismatch (u ${n}, zNormSq ${zNormSq.length}, logDetZX ${logDetZX.length})`);
  }
  if (!(tau > 0) || !Number.isFinite(tau)) throw new Error(`logWeights: tau must be finite and > 0, got ${tau}`);
  const out = new Float64Array(n);
  const inv = 1 / tau;
  for (let i = 0; i < n; i++) {
    const ui = u[i] as number;
    // A sample whose energy blew up (overlap, NaN from the flow) carries no weight rather than poisoning sums.
    const lw = Number.isFinite(ui) ? -ui * inv + 0.5 * (zNormSq[i] as number) * inv + (logDetZX[i] as number) : -Infinity;
    out[i] = Number.isNaN(lw) ? -Infinity : lw;
  }
  return out;
}

/** Maximum of `a` ignoring NaN; −Infinity when empty. */
function maxOf(a: ArrayLike<number>): number {
  let m = -Infinity;
  for (let i = 0; i < a.length; i++) {
    const v = a[i] as number;
    if (v > m) m = v;
  }
  return m;
}

/** Stable log Σ exp(a_i); −Infinity when empty or all −Infinity, NaN if any entry is NaN. */
export function logSumExp(a: ArrayLike<number>): number {
  const m = maxOf(a);
  if (m === -Infinity || m === Infinity) {
    for (let i = 0; i < a.length; i++) if (Number.isNaN(a[i] as number)) return NaN;
    return m;
  }
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.exp((a[i] as number) - m);
  return m + Math.log(s);
}

/** Weights exp(logw − LSE(logw)) summing to 1; all zeros when every log weight is −Infinity. */
export function normalizedWeights(logw: ArrayLike<number>): Float64Array {
  const n = logw.length;
  const out = new Float64Array(n);
  const lse = logSumExp(logw);
  if (!Number.isFinite(lse)) return out;
  for (let i = 0; i < n; i++) out[i] = Math.exp((logw[i] as number) - lse);
  return out;
}

/** Kish effective sample size exp(2·LSE(logw) − LSE(2·logw)); 0 when no sample has weight. */
export function kishEss(logw: ArrayLike<number>): number {
  // With m = max: ESS = (Σ e^{l−m})² / Σ e^{2(l−m)}, one pass and no temporary 2·logw array.
  const m = maxOf(logw);
  if (m === -Infinity) return 0;
  if (m === Infinity) return NaN;
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < logw.length; i++) {
    const e = Math.exp((logw[i] as number) - m);
    s1 += e;
    s2 += e * e;
  }
  return (s1 * s1) / s2;
}

/** Kish ESS divided by the number of samples (0 for an empty array). */
export function essFraction(logw: ArrayLike<number>): number {
  return logw.length === 0 ? 0 : kishEss(logw) / logw.length;
}

/**
 * Systematic resampling: `n` indices drawn with one uniform offset, so index i appears
 * ⌊n·w_i⌋ or ⌈n·w_i⌉ times (w normalised). Weights need not sum to 1 but must be finite, ≥ 0, not all 0.
 */
export function systematicResample(weights: ArrayLike<number>, n: number, rng: Rng): Uint32Array {
  const N = weights.length;
  let total = 0;
  let lastPositive = -1;
  for (let i = 0; i < N; i++) {
    const w = weights[i] as number;
    if (!(w >= 0) || !Number.isFinite(w)) throw new Error(`systematicResample: weight ${i} is ${w}`);
    total += w;
    if (w > 0) lastPositive = i;
  }
  if (!(Number.isInteger(n) && n >= 0)) throw new Error(`systematicResample: n must be a non-negative integer, got ${n}`);
  const out = new Uint32Array(n);
  if (n === 0) return out;
  if (!(total > 0)) throw new Error('systematicResample: all weights are zero');
  const step = total / n;
  const u0 = rng.uniform();
  let j = 0;
  let cum = weights[0] as number;
  for (let k = 0; k < n; k++) {
    const pos = (u0 + k) * step;
    // Bounded by lastPositive so rounding in `cum` can never land on a trailing zero-weight index.
    while (pos >= cum && j < lastPositive) cum += weights[++j] as number;
    out[k] = j;
  }
  return out;
}

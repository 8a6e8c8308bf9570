/**
 * Bennett's acceptance ratio (Bennett 1976; the variance of Shirts, Bair, Hooker & Pande 2003):
 * log(Z1/Z0) of two unnormalised densities p̃0, p̃1 from Δ = log p̃1 − log p̃0 evaluated on samples
 * of p0 (`forward`) and of p1 (`reverse`). It is the minimum-variance estimator that uses both
 * directions: where the flow (p0) misses part of p1, one-sided importance weights rest on a few
 * samples and underestimate Z1, while the p1 samples cover that part. Δ = −∞ (a sample p1 gives no
 * weight) is allowed in either set; it counts as a sample that never crosses.
 */
export function bar(forward: ArrayLike<number>, reverse: ArrayLike<number>): { value: number; se: number } {
  const nF = forward.length, nR = reverse.length;
  if (nF === 0 || nR === 0) return { value: Number.NaN, se: Number.NaN };
  const M = Math.log(nF / nR);
  // Fermi weights of each set at a trial log(Z1/Z0) = c; their sums balance at the estimate.
  const imbalance = (c: number): number => sumFermi(forward, (d) => M - d + c) - sumFermi(reverse, (d) => d - c - M);
  const finite = [...Array.from(forward), ...Array.from(reverse)].filter((d) => Number.isFinite(d));
  if (finite.length === 0) return { value: Number.NaN, se: Number.NaN };
  // imbalance falls as c rises; the root lies within the range of Δ, widened by |M| and a margin.
  let lo = finite.reduce((a, b) => Math.min(a, b)) - Math.abs(M) - 50;
  let hi = finite.reduce((a, b) => Math.max(a, b)) + Math.abs(M) + 50;
  if (!(imbalance(lo) >= 0 && imbalance(hi) <= 0)) return { value: Number.NaN, se: Number.NaN };
  for (let it = 0; it < 200 && hi - lo > 1e-12; it++) {
    const mid = 0.5 * (lo + hi);
    if (imbalance(mid) > 0) lo = mid;
    else hi = mid;
  }
  const c = 0.5 * (lo + hi);
  const se = Math.sqrt(relVar(forward, (d) => M - d + c) / nF + relVar(reverse, (d) => d - c - M) / nR);
  return { value: c, se };
}

/** Σ 1/(1 + e^{arg(d)}) over the set, stable for large |arg| (−∞ Δ gives arg +∞ or −∞ as it should). */
function sumFermi(ds: ArrayLike<number>, arg: (d: number) => number): number {
  let s = 0;
  for (let i = 0; i < ds.length; i++) s += fermi(arg(ds[i]!));
  return s;
}

function fermi(x: number): number {
  if (x === Infinity) return 0;
  if (x === -Infinity) return 1;
  return x > 0 ? Math.exp(-x) / (1 + Math.exp(-x)) : 1 / (1 + Math.exp(x));
}

/** ⟨f²⟩/⟨f⟩² − 1 over the set: each direction's share of the asymptotic variance, times its size. */
function relVar(ds: ArrayLike<number>, arg: (d: number) => number): number {
  let s1 = 0, s2 = 0;
  for (let i = 0; i < ds.length; i++) {
    const f = fermi(arg(ds[i]!));
    s1 += f;
    s2 += f * f;
  }
  const m1 = s1 / ds.length, m2 = s2 / ds.length;
  return m1 > 0 ? m2 / (m1 * m1) - 1 : Number.POSITIVE_INFINITY;
}

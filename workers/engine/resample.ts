/**
 * Systematic resampling with the offset passed in (pure: the caller draws u0 from its own Rng
 * stream, so a resampled export is reproducible and tests can sweep u0).
 *
 * Positions (k + u0)/n, k = 0..n−1, are read off the cumulative weights: index i is picked
 * ⌊n·w_i⌋ or ⌈n·w_i⌉ times (w normalised), the lowest-variance unbiased scheme for one offset.
 * The returned indices are non-decreasing, so rows can be read back in one sequential pass.
 * (`reweighting.ts` has an Rng-taking twin; this is the same algorithm with an explicit u0.)
 */
export function systematicResample(weights: ArrayLike<number>, n: number, u0: number): Uint32Array {
  if (!(Number.isInteger(n) && n >= 1)) throw new Error(`systematicResample: n must be an integer ≥ 1, got ${n}`);
  if (!(u0 >= 0 && u0 < 1)) throw new Error(`systematicResample: u0 must lie in [0, 1), got ${u0}`);
  let total = 0;
  let lastPositive = -1;
  for (let i = 0; i < weights.length; i++) {
    const w = weights[i]!;
    if (!(w >= 0 && Number.isFinite(w))) throw new Error(`systematicResample: weight ${i} is ${w} (weights must be finite and ≥ 0)`);
    total += w;
    if (w > 0) lastPositive = i;
  }
  if (!(total > 0 && Number.isFinite(total)))
    throw new Error(`systematicResample: weights sum to ${total}; need a finite positive sum (${weights.length} weights)`);
  // Weights are used unnormalised and the positions scaled by the total: one pass, no copy.
  const step = total / n;
  const out = new Uint32Array(n);
  let j = 0;
  let cum = weights[0]!;
  for (let k = 0; k < n; k++) {
    const pos = (k + u0) * step;
    // Bounded by lastPositive so rounding in `cum` never lands on a trailing zero-weight index.
    while (pos >= cum && j < lastPositive) cum += weights[++j]!;
    out[k] = j;
  }
  return out;
}

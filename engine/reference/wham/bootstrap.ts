// WHAM error bars by the circular block bootstrap over each window's time series.

import { finiteStd, type RcState } from '../../analysis';
import type { Rng } from '../../rng';
import { biasMatrix, binIndices, type Counts, type WhamInput } from './input';
import { wham, whamDeltaF } from './profile';
import { solve } from './solver';

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

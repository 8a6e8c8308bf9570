// The WHAM solution as a free-energy profile, and ΔF between two states on the reaction coordinate.

import type { Bins, RcState } from '../../analysis';
import { biasMatrix, binCenters, binIndices, checkInput, countsOf, type WhamInput } from './input';
import { solve } from './solver';

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

import { stateIndices, type StateRange } from '../contract/states';
import type { Rng } from './rng';

// Free-energy estimates from log importance weights along a reaction coordinate (docs/science.md,
// "Reweighting and estimates"). Sums run per group (state or bin), each shifted by that group's own
// maximum log weight, so a rarely visited state is not rounded to zero by the dominant one.

/** A state on the reaction coordinate: rc in [min, max). */
export type RcState = StateRange;

/** Uniform bins over [min, max). */
export interface Bins {
  min: number;
  max: number;
  n: number;
}

/** Bootstrap settings; `resamples` defaults to 100. */
export interface BootstrapOptions {
  resamples?: number;
  rng: Rng;
}

function checkLengths(logw: ArrayLike<number>, rc: ArrayLike<number>, fn: string): void {
  if (logw.length !== rc.length) throw new Error(`${fn}: logw has ${logw.length} entries, rc ${rc.length}`);
}

function checkBins(bins: Bins): void {
  if (!(Number.isInteger(bins.n) && bins.n > 0) || !(bins.max > bins.min)) {
    throw new Error(`invalid bins ${JSON.stringify(bins)}`);
  }
}

/** Bin index of each value in [min, max), −1 outside (or NaN). */
function binIndices(values: ArrayLike<number>, bins: Bins): Int32Array {
  checkBins(bins);
  const out = new Int32Array(values.length);
  const scale = bins.n / (bins.max - bins.min);
  for (let i = 0; i < values.length; i++) {
    const x = values[i] as number;
    if (x >= bins.min && x < bins.max) {
      // Rounding can give n for x just below max; that x belongs in the last bin.
      out[i] = Math.min(Math.floor((x - bins.min) * scale), bins.n - 1);
    } else out[i] = -1;
  }
  return out;
}

/**
 * Per-group log-sum-exp shift and each sample's weight exp(logw − shift[group]) (0 outside every group).
 * Precomputed once so that bootstrap resamples only add numbers.
 */
function groupWeights(logw: ArrayLike<number>, group: ArrayLike<number>, nGroups: number) {
  const shift = new Float64Array(nGroups).fill(-Infinity);
  for (let i = 0; i < group.length; i++) {
    const g = group[i] as number;
    const l = logw[i] as number;
    if (g >= 0 && l > (shift[g] as number)) shift[g] = l;
  }
  const w = new Float64Array(group.length);
  for (let i = 0; i < group.length; i++) {
    const g = group[i] as number;
    if (g < 0) continue;
    const m = shift[g] as number;
    w[i] = m === -Infinity ? 0 : Math.exp((logw[i] as number) - m);
  }
  return { shift, w };
}

/** sums[g] ← Σ w_i over samples of group g (optionally drawn by index). */
function accumulate(sums: Float64Array, group: ArrayLike<number>, w: Float64Array, idx?: Uint32Array): void {
  sums.fill(0);
  const n = group.length;
  for (let k = 0; k < n; k++) {
    const i = idx ? (idx[k] as number) : k;
    const g = group[i] as number;
    if (g >= 0) sums[g] = (sums[g] as number) + (w[i] as number);
  }
}

/** log Σ_group w from the shifted sums; −Infinity for a group with no weight. */
function logSum(shift: Float64Array, sums: Float64Array, g: number): number {
  const s = sums[g] as number;
  return s > 0 ? (shift[g] as number) + Math.log(s) : -Infinity;
}

/** Sample standard deviation of the finite entries of `xs`; NaN with fewer than two. */
export function finiteStd(xs: ArrayLike<number>): number {
  let n = 0;
  let mean = 0;
  let m2 = 0;
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i] as number;
    if (!Number.isFinite(x)) continue;
    n++;
    const d = x - mean;
    mean += d / n;
    m2 += d * (x - mean);
  }
  return n >= 2 ? Math.sqrt(m2 / (n - 1)) : NaN;
}

/** Fill `idx` with indices drawn uniformly with replacement from [0, idx.length). */
function drawIndices(idx: Uint32Array, rng: Rng): void {
  const n = idx.length;
  for (let k = 0; k < n; k++) idx[k] = rng.int(n);
}

/** Weighted histogram over [min, max) (unit weights when omitted); out-of-range values are dropped. */
export function histogram(values: ArrayLike<number>, bins: Bins, weights?: ArrayLike<number>): Float64Array {
  if (weights && weights.length !== values.length) throw new Error('histogram: weights length differs from values');
  const idx = binIndices(values, bins);
  const out = new Float64Array(bins.n);
  for (let i = 0; i < idx.length; i++) {
    const b = idx[i] as number;
    if (b >= 0) out[b] = (out[b] as number) + (weights ? (weights[i] as number) : 1);
  }
  return out;
}

/**
 * ΔF_AB/kT = −ln(Σ_B w / Σ_A w). Non-finite results are returned as is: +Infinity when B has no weight,
 * −Infinity when A has none, NaN when neither has.
 */
export function deltaF(logw: ArrayLike<number>, rc: ArrayLike<number>, states: readonly [RcState, RcState]): number {
  checkLengths(logw, rc, 'deltaF');
  const group = stateIndices(rc, states);
  const { shift, w } = groupWeights(logw, group, 2);
  const sums = new Float64Array(2);
  accumulate(sums, group, w);
  return logSum(shift, sums, 0) - logSum(shift, sums, 1);
}

/** Bin centres of `bins`. */
function binCenters(bins: Bins): number[] {
  const width = (bins.max - bins.min) / bins.n;
  return Array.from({ length: bins.n }, (_, b) => bins.min + (b + 0.5) * width);
}

/** −ln Σ_bin w per bin into `out`; bins without weight get +Infinity. */
function rawProfile(shift: Float64Array, sums: Float64Array, out: Float64Array): void {
  for (let b = 0; b < out.length; b++) out[b] = -logSum(shift, sums, b);
}

/** F(bin) = −ln Σ_bin w, shifted so that min F = 0; bins without weight are null (JSON-friendly). */
export function freeEnergyProfile(
  logw: ArrayLike<number>,
  rc: ArrayLike<number>,
  bins: Bins,
): { centers: number[]; F: (number | null)[] } {
  checkLengths(logw, rc, 'freeEnergyProfile');
  const group = binIndices(rc, bins);
  const { shift, w } = groupWeights(logw, group, bins.n);
  const sums = new Float64Array(bins.n);
  accumulate(sums, group, w);
  const raw = new Float64Array(bins.n);
  rawProfile(shift, sums, raw);
  return { centers: binCenters(bins), F: shiftToMin(raw) };
}

/** Shift finite entries so the smallest is 0; non-finite → null. */
function shiftToMin(raw: Float64Array): (number | null)[] {
  let min = Infinity;
  for (const f of raw) if (f < min) min = f;
  return Array.from(raw, (f) => (Number.isFinite(f) ? f - min : null));
}

/**
 * ΔF with a bootstrap error: `value` from the full sample, `stderr` = standard deviation over
 * resamples (with replacement) of the finite resampled ΔF values (NaN if fewer than two are finite).
 */
export function bootstrapDeltaF(
  logw: ArrayLike<number>,
  rc: ArrayLike<number>,
  states: readonly [RcState, RcState],
  opts: BootstrapOptions,
): { value: number; stderr: number } {
  checkLengths(logw, rc, 'bootstrapDeltaF');
  const resamples = opts.resamples ?? 100;
  const group = stateIndices(rc, states);
  const { shift, w } = groupWeights(logw, group, 2);
  const sums = new Float64Array(2);
  accumulate(sums, group, w);
  const value = logSum(shift, sums, 0) - logSum(shift, sums, 1);
  const idx = new Uint32Array(group.length);
  const reps = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    drawIndices(idx, opts.rng);
    accumulate(sums, group, w, idx);
    reps[r] = logSum(shift, sums, 0) - logSum(shift, sums, 1);
  }
  return { value, stderr: finiteStd(reps) };
}

/**
 * Profile with bootstrap errors. Each resample's F is normalised by its own total in-range weight
 * (F_b = −ln p_b) rather than shifted to its own minimum, so stderr measures each bin's uncertainty
 * instead of mixing in the noise of whichever bin is lowest. stderr is null where F is null or fewer
 * than two resamples give the bin weight.
 */
export function bootstrapProfile(
  logw: ArrayLike<number>,
  rc: ArrayLike<number>,
  bins: Bins,
  opts: BootstrapOptions,
): { centers: number[]; F: (number | null)[]; stderr: (number | null)[] } {
  checkLengths(logw, rc, 'bootstrapProfile');
  const resamples = opts.resamples ?? 100;
  const nb = bins.n;
  const group = binIndices(rc, bins);
  const { shift, w } = groupWeights(logw, group, nb);
  const sums = new Float64Array(nb);
  const raw = new Float64Array(nb);
  accumulate(sums, group, w);
  rawProfile(shift, sums, raw);
  const F = shiftToMin(raw);

  const idx = new Uint32Array(group.length);
  const reps = new Float64Array(resamples * nb); // reps[b * resamples + r]
  for (let r = 0; r < resamples; r++) {
    drawIndices(idx, opts.rng);
    accumulate(sums, group, w, idx);
    rawProfile(shift, sums, raw);
    // Normalise: F_b + log Σ_b' e^{−F_b'} = −ln p_b.
    let m = Infinity;
    for (const f of raw) if (f < m) m = f;
    let z = 0;
    for (const f of raw) z += Math.exp(m - f);
    const logZ = -m + Math.log(z);
    for (let b = 0; b < nb; b++) reps[b * resamples + r] = (raw[b] as number) + logZ;
  }
  const stderr = F.map((f, b) => {
    if (f === null) return null;
    const s = finiteStd(reps.subarray(b * resamples, (b + 1) * resamples));
    return Number.isFinite(s) ? s : null;
  });
  return { centers: binCenters(bins), F, stderr };
}

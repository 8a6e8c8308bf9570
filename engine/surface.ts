import type { BasinPopulation, SurfaceResult } from '../contract/surface';
import type { SurfaceDef } from './energies/types';
import { finiteStd } from './analysis';
import { normalizedWeights } from './reweighting';
import type { Rng } from './rng';

/** Points of one sample set projected on the surface's two variables: [a0, b0, a1, b1, …]. */
export function project(def: SurfaceDef, x: ArrayLike<number>, dim: number): Float64Array {
  const n = x.length / dim, out = new Float64Array(2 * n), row = new Float64Array(dim);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < dim; j++) row[j] = x[i * dim + j]!;
    const [a, b] = def.value64(row);
    out[2 * i] = a;
    out[2 * i + 1] = b;
  }
  return out;
}

export interface SurfaceOptions {
  readonly bins: number;
  readonly bootstrap: number;
  readonly rng: Rng;
  /** Blocks for the reference's block-average error (contiguous; e.g. whole MD chains or parts of them). */
  readonly referenceBlocks: number;
  /** Scatter points kept (the first ones: generated samples are independent draws). */
  readonly points?: number;
}

/**
 * The reweighted 2-D free-energy surface and basin populations of generated samples (importance
 * weights from `logw`), against unweighted reference data (MD). Error bars: the generator's by
 * bootstrap over samples (each resample renormalises its weights); the reference's by block
 * averaging over `referenceBlocks` contiguous blocks (MD frames are correlated, so a plain bootstrap
 * over frames would understate it).
 */
export function surfaceEstimate(def: SurfaceDef, ab: Float64Array, logw: ArrayLike<number>, reference: Float64Array | null, o: SurfaceOptions): SurfaceResult {
  const n = ab.length / 2;
  const w = normalizedWeights(logw);
  const inBasin = def.basins.map((b) => Uint8Array.from({ length: n }, (_, i) => Number(b.contains(ab[2 * i]!, ab[2 * i + 1]!))));
  const refStats = reference ? referencePopulations(def, reference, o.referenceBlocks) : null;
  const boot = bootstrapPopulations(w, inBasin, o.bootstrap, o.rng);
  const basins: BasinPopulation[] = def.basins.map((b, k) => {
    const m = inBasin[k]!;
    let p = 0, raw = 0;
    for (let i = 0; i < n; i++) if (m[i]) ((p += w[i]!), raw++);
    return {
      name: b.name,
      population: p,
      stderr: finiteStd(boot[k]!),
      rawFraction: n ? raw / n : 0,
      reference: refStats ? refStats[k]!.mean : null,
      referenceStderr: refStats ? refStats[k]!.stderr : null,
    };
  });
  const keep = Math.min(n, o.points ?? 4000);
  const wSum = w.subarray(0, keep).reduce((s, v) => s + v, 0);
  return {
    labels: def.labels,
    unit: 'deg',
    range: def.range,
    periodic: def.periodic,
    bins: o.bins,
    free: freeGrid(def, ab, w, o.bins),
    reference: reference ? freeGrid(def, reference, null, o.bins) : null,
    basins,
    points: {
      a: Array.from({ length: keep }, (_, i) => ab[2 * i]!),
      b: Array.from({ length: keep }, (_, i) => ab[2 * i + 1]!),
      w: Array.from(w.subarray(0, keep), (v) => (wSum > 0 ? v / wSum : 0)),
    },
    path: null,
  };
}

/**
 * Each basin's population in `resamples` bootstrap resamples (each renormalises its weights). One
 * pass per resample serves every basin: pooled draws make n large (60 000 and more).
 */
function bootstrapPopulations(w: Float64Array, inBasin: readonly Uint8Array[], resamples: number, rng: Rng): Float64Array[] {
  const n = w.length, K = inBasin.length;
  const out = inBasin.map(() => new Float64Array(resamples));
  const num = new Float64Array(K);
  for (let r = 0; r < resamples; r++) {
    let den = 0;
    num.fill(0);
    for (let i = 0; i < n; i++) {
      const j = rng.int(n), wj = w[j]!;
      den += wj;
      for (let k = 0; k < K; k++) if (inBasin[k]![j]) num[k]! += wj;
    }
    for (let k = 0; k < K; k++) out[k]![r] = den > 0 ? num[k]! / den : Number.NaN;
  }
  return out;
}

/** −ln p per bin (weights, or counts where `w` is null), shifted to a minimum of 0; null where empty. */
export function freeGrid(def: SurfaceDef, ab: Float64Array, w: Float64Array | null, bins: number): (number | null)[] {
  const [[a0, a1], [b0, b1]] = def.range;
  const h = new Float64Array(bins * bins);
  for (let i = 0; i < ab.length / 2; i++) {
    const ia = Math.floor(((ab[2 * i]! - a0) / (a1 - a0)) * bins), ib = Math.floor(((ab[2 * i + 1]! - b0) / (b1 - b0)) * bins);
    // The closed upper edge (φ = 180° from atan2) belongs to the last bin.
    const ca = Math.min(ia, bins - 1), cb = Math.min(ib, bins - 1);
    if (ca >= 0 && cb >= 0 && Number.isFinite(ab[2 * i]!) && Number.isFinite(ab[2 * i + 1]!)) h[ca * bins + cb]! += w ? w[i]! : 1;
  }
  const max = h.reduce((m, v) => Math.max(m, v), 0);
  // 0 − ln(1) is −0; + 0 makes it +0, which JSON and charts print plainly.
  return Array.from(h, (v) => (v > 0 && max > 0 ? -Math.log(v / max) + 0 : null));
}

/** Fraction of the reference points in each basin, with its block-average standard error. */
function referencePopulations(def: SurfaceDef, ab: Float64Array, blocks: number): { mean: number; stderr: number | null }[] {
  const n = ab.length / 2, nb = Math.max(1, Math.min(blocks, n));
  return def.basins.map((b) => {
    const means: number[] = [];
    for (let k = 0; k < nb; k++) {
      const lo = Math.floor((k * n) / nb), hi = Math.floor(((k + 1) * n) / nb);
      let c = 0;
      for (let i = lo; i < hi; i++) if (b.contains(ab[2 * i]!, ab[2 * i + 1]!)) c++;
      means.push(hi > lo ? c / (hi - lo) : 0);
    }
    const mean = means.reduce((s, v) => s + v, 0) / nb;
    const sd = nb > 1 ? Math.sqrt(means.reduce((s, v) => s + (v - mean) ** 2, 0) / (nb - 1)) : Number.NaN;
    return { mean, stderr: nb > 1 ? sd / Math.sqrt(nb) : null };
  });
}

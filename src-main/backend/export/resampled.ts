import { systematicResample } from '../../../engine/reweighting';
import type { Rng } from '../../../engine/rng';
import type { SampleRow } from '../../../contract/sample-row';

/**
 * Indices (positions in the set's storage order) of an unweighted resample of size `n`: systematic
 * resampling with one offset drawn from `rng`. Sorted ascending, so the rows are read in a single
 * sequential pass (see `resampledRows`); an index repeats as often as it was picked.
 */
export function resampleIndices(weights: ArrayLike<number>, n: number, rng: Rng): Uint32Array {
  // Systematic resampling yields its indices in ascending order: no sort needed.
  return systematicResample(weights, n, rng);
}

/**
 * Walk `rows` (the whole set, in the order the weights were given) once and yield each row as
 * many times as `indices` (sorted ascending) names its position. A resampled row keeps its `id`
 * (to trace it back), energy, RC and state, and gets w = 1/n and logw = null: the importance
 * weight is spent by resampling, so the copies are an unweighted sample and must not be reweighted.
 */
export function* resampledRows(rows: Iterable<SampleRow>, indices: Uint32Array): Generator<SampleRow> {
  const n = indices.length;
  let k = 0;
  let pos = 0;
  for (const row of rows) {
    if (k === n) return;
    while (k < n && indices[k] === pos) {
      yield { ...row, w: 1 / n, logw: null };
      k++;
    }
    pos++;
  }
  if (k < n) throw new Error(`resampledRows: index ${indices[k]} is past the end of the set (${pos} rows)`);
}

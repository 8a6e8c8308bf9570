/**
 * One stored sample as the exporters consume it. The database layer yields `Iterable<SampleRow>`
 * in storage order, so an export streams a set of any size without holding it in memory.
 */
export interface SampleRow {
  id: number;
  /** Coordinates (float32, as generated). */
  x: Float32Array;
  /** Reduced energy u(x) (float64); null where not computed. */
  u: number | null;
  /** Log importance weight; null where not defined (e.g. resampled rows). */
  logw: number | null;
  /** Normalised importance weight. */
  w: number;
  /** Reaction coordinate value. */
  rc: number | null;
  /** State name; null outside both states. */
  state: string | null;
}

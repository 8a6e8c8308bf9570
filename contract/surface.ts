/**
 * A 2-D free-energy surface on two collective variables (for molecules: the Ramachandran angles
 * φ, ψ in degrees), computed by the worker at the primary temperature and shipped in the result.
 * Grids are row-major with index `i * bins + j`, i along `labels[0]` (φ) and j along `labels[1]` (ψ).
 */
export interface SurfaceResult {
  readonly labels: readonly [string, string];
  readonly unit: 'deg';
  readonly range: readonly [readonly [number, number], readonly [number, number]];
  /** Both axes are periodic with period `range[k][1] − range[k][0]`. */
  readonly periodic: boolean;
  readonly bins: number;
  /** Reweighted generator free energy −ln p (kT at the temperature), shifted to min 0; null where no weight. */
  readonly free: readonly (number | null)[];
  /** The same from the reference data (e.g. the MD trajectory), unweighted; null without reference data. */
  readonly reference: readonly (number | null)[] | null;
  /** Named basins: reweighted population with its bootstrap standard error, against the reference data. */
  readonly basins: readonly BasinPopulation[];
  /**
   * Independent draws of `sampling.n` the surface and basins pool (the stored samples and every
   * fresh draw, `sampling.draws`); absent in results from before draws were pooled (one draw).
   */
  readonly draws?: number;
  /** A subsample of the generated points for a scatter plot, weights normalised over the subsample. */
  readonly points: { readonly a: readonly number[]; readonly b: readonly number[]; readonly w: readonly number[] };
  /** The latent interpolation path (`RunResult.path`) projected on the two variables; null without a path. */
  readonly path: { readonly a: readonly number[]; readonly b: readonly number[] } | null;
}

export interface BasinPopulation {
  readonly name: string;
  /** Reweighted population (weights of the generated samples in the basin / all weights). */
  readonly population: number;
  readonly stderr: number;
  /** Unweighted fraction of the generated samples in the basin (mode-dropping check). */
  readonly rawFraction: number;
  /** Fraction of the reference data in the basin, with a block-average standard error. */
  readonly reference: number | null;
  readonly referenceStderr: number | null;
}

import type * as tf from '@tensorflow/tfjs-core';
import type { StateDef } from '../../contract/states';

/**
 * A reduced energy u(x) in units of kT at the reference temperature (after bgflow's `Energy`).
 * The temperature τ enters only in the losses and the reweighting, as u/τ.
 */
export interface Energy {
  readonly dim: number;
  /** Batched and differentiable: x is [batch, dim], the result is [batch]. */
  energy(x: tf.Tensor2D): tf.Tensor1D;
}

export type { StateDef } from '../../contract/states';

/** A 2-D grid on which exp(−u/τ) is integrated exactly (for systems with an exact reference). */
export interface QuadratureGrid {
  readonly xRange: readonly [number, number];
  readonly yRange: readonly [number, number];
  readonly n: number;
}

/**
 * A 2-D projection on which free-energy surfaces and basin populations are reported (molecules:
 * the Ramachandran angles φ, ψ in degrees).
 */
export interface SurfaceDef {
  readonly labels: readonly [string, string];
  readonly range: readonly [readonly [number, number], readonly [number, number]];
  readonly periodic: boolean;
  value64(x: Float64Array): [number, number];
  /** Named regions of the plane (they need not cover it), for populations with error bars. */
  readonly basins: readonly { readonly name: string; contains(a: number, b: number): boolean }[];
}

/** Interchangeable particles: `count` of them from particle `first`, `spatialDim` coordinates each. */
export interface IdenticalParticles {
  readonly first: number;
  readonly count: number;
  readonly spatialDim: number;
}

/** A system restricted to one labelling of its identical particles (engine/symmetry/permutations.ts). */
export interface PermutationReduction {
  /** Relabel each row (row-major, `dim` columns) into the domain, in place; returns `rows`. */
  canonicalizeRows(rows: Float64Array, dim: number): Float64Array;
  contains(x: Float64Array): boolean;
  /** The same system on the whole space (smooth `energy64`): what data are generated on. */
  readonly unreduced: ModelSystem;
}

/**
 * A model system: its tfjs energy, an independent float64 energy for reference sampling and
 * exact checks, its reaction coordinate (RC) and the states defined on that RC.
 */
export interface ModelSystem extends Energy {
  readonly name: string;
  /** float64 reduced energy of one configuration. */
  energy64(x: Float64Array): number;
  /** float64 gradient of `energy64` (analytic), written into `out`. */
  gradient64(x: Float64Array, out: Float64Array): Float64Array;
  /** Reaction coordinate of one configuration. */
  rc64(x: Float64Array): number;
  /** Batched differentiable RC, used by the RC loss. */
  rc(x: tf.Tensor2D): tf.Tensor1D;
  /** The RC range over which profiles and the RC loss are computed. */
  readonly rcRange: readonly [number, number];
  /** States ordered [A, B]: ΔF is reported as F(B) − F(A). */
  readonly states: readonly [StateDef, StateDef];
  /** A starting configuration in state `states[i]` (default: state A). */
  start(state?: 0 | 1): Float64Array;
  /** Metropolis step size (per coordinate) that suits the system at τ = 1. */
  readonly mcStep: number;
  /** Present only where the configuration space is effectively 2-D and exact quadrature applies. */
  readonly quadrature?: QuadratureGrid;
  /** Present where a 2-D surface is reported (molecules). */
  readonly surface?: SurfaceDef;
  /** Present where some particles are identical (the dimer's solvent). */
  readonly identical?: IdenticalParticles;
  /** Present where the run reduced those particles' permutations (`system.permutationReduction`). */
  readonly reduction?: PermutationReduction;
  /** Frees tensors the system holds (molecules: the force field's constant matrices); it stays usable. */
  dispose?(): void;
}

import type { ExploreSummary, RunEvent, RunResult, TemperatureEstimate } from '../../contract/run-result';
import type { GeneratorSpec } from '../../contract/run-spec';
import type { ModelSystem } from '../../engine/energies/types';
import type { BuiltFlow, MixedTopology } from '../../engine/flows/build';
import type { Rng } from '../../engine/rng';
import type { GeneratedSamples } from '../../engine/sampling';
import type { TrainingData } from './assemble-result';

export type MdSpec = Extract<NonNullable<GeneratorSpec['data']>, { source: 'md' }>;
export type Emit = (e: RunEvent) => void;

/** Draws projected on the surface: pairs [a0, b0, a1, b1, …] and each sample's log weight. */
export interface SurfaceDraws {
  readonly ab: Float64Array;
  readonly logw: Float64Array;
  /** How many draws of `sampling.n` these hold (the stored one first). */
  readonly draws: number;
}

/** The temperature the surface is reported at: τ = 1 where sampled, else the first. */
export const surfaceTemperatureIndex = (temperatures: readonly number[]): number => Math.max(0, temperatures.indexOf(1));

/**
 * The steps of a generator run (train-sample.ts) that depend on what kind of system it runs: a
 * molecule (force field, MD, mixed coordinates, a Ramachandran surface; molecule-steps.ts) or a
 * model system (none of these: `modelSystemHooks`). `setUp` (train-setup.ts) picks one at the
 * start of a run; the phases never ask which kind of system they run.
 */
export interface RunSystemHooks {
  /** What the mixed transform is built from (`buildFlow`); null: the flow cannot have one. */
  readonly topology: MixedTopology | null;
  /** Configurations as the flow sees them (molecules: rigidly aligned on the Cartesian block; a reduced dimer: relabelled). */
  align(x: Float64Array): Float64Array;
  /** `data.source: "md"`: reference data from molecular dynamics, aligned. */
  mdData(d: MdSpec, rng: Rng, emit: Emit, signal?: AbortSignal): TrainingData;
  /** Fit the flow's mixed transform on (aligned) training data. */
  fitMixed(built: BuiltFlow, x: Float64Array, emit: Emit): void;
  /** The initial exploration buffer from the start `x0`, fitting the mixed transform on it; undefined: noisy copies of `x0`. */
  exploreStart(x0: Float64Array, frames: number, built: BuiltFlow, rng: Rng, emit: Emit, signal?: AbortSignal): Float32Array | undefined;
  /**
   * A draw's points on the surface (pairs), kept with their log weights (3 numbers a sample, not
   * the configurations) so the surface and basin populations can pool every draw; null: no surface.
   */
  project(s: GeneratedSamples): Float64Array | null;
  /** The 2-D free-energy surface from every draw at `surfaceTemperatureIndex` (null: the system reports none). */
  surface(samples: readonly GeneratedSamples[], pooled: SurfaceDraws | null, data: TrainingData | null, spec: GeneratorSpec, rng: Rng, path: RunResult['path']): RunResult['surface'];
  /** Population of each surface basin in the exploration buffer (null: no surface). */
  exploreBasins(buffer: Float32Array): ExploreSummary['basins'];
}

/** The model systems (double well, Müller–Brown, dimer): no MD, no mixed transform, no surface. */
export function modelSystemHooks(system: ModelSystem): RunSystemHooks {
  return {
    topology: null,
    // Identical particles relabelled into the run's permutation domain (the identity without one).
    align: (x) => system.reduction?.canonicalizeRows(x, system.dim) ?? x,
    mdData: () => {
      throw new Error(`data.source "md" needs a molecule, not ${system.name}`);
    },
    // buildFlow gives a flow a mixed transform only with a topology, which model systems lack.
    fitMixed: () => {},
    exploreStart: () => undefined,
    project: () => null,
    surface: () => null,
    exploreBasins: () => null,
  };
}

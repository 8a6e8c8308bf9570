import type { RunResult } from '../../contract/run-result';
import type { GeneratorSpec } from '../../contract/run-spec';
import { moleculeMd } from '../../engine/dynamics/md-data';
import type { MoleculeSystem } from '../../engine/energies/molecule/system';
import type { SurfaceDef } from '../../engine/energies/types';
import type { BuiltFlow } from '../../engine/flows/build';
import { alignToReference } from '../../engine/flows/internal/mixed-geometry';
import type { Rng } from '../../engine/rng';
import type { GeneratedSamples } from '../../engine/sampling';
import { project, surfaceEstimate } from '../../engine/surface';
import type { TrainingData } from './assemble-result';
import { surfaceTemperatureIndex, type Emit, type MdSpec, type RunSystemHooks, type SurfaceDraws } from './system-hooks';
import { fitSplineDomains, isSplineFlow } from '../../engine/flows/spline/fit-domain';

/**
 * A generator run's molecule steps (the `RunSystemHooks` of a molecule): MD data, alignment,
 * fitting the mixed transform, MD around an exploration's start, the Ramachandran surface and
 * basin populations.
 */
export function moleculeHooks(system: MoleculeSystem): RunSystemHooks {
  return {
    // The mixed transform's topology: all atoms, the force field's bonds, the Cartesian block (`cartesianAtoms`).
    topology: { nAtoms: system.molecule.topology.atoms.length, bonds: system.molecule.topology.bonds, cartesian: system.cartesianAtoms },
    align: (x) => alignMolecule(system, x),
    mdData: (d, rng, emit, signal) => mdData(d, system, rng, emit, signal),
    fitMixed,
    exploreStart: (x0, frames, built, rng, emit, signal) => exploreStartMd(system, x0, frames, built, rng, emit, signal),
    project: (s) => project(system.surface, s.x, system.dim),
    surface: (samples, pooled, data, spec, rng, path) => surfaceOf(system, samples, pooled, data, spec, rng, path),
    exploreBasins: (buffer) => basinFractions(system.surface, project(system.surface, buffer, system.dim)),
  };
}

/** Rigidly align molecule configurations on the Cartesian block of the structure (what the mixed transform needs). */
function alignMolecule(system: MoleculeSystem, x: Float64Array): Float64Array {
  return alignToReference(x, system.cartesianAtoms, system.start(0));
}

/** Fit the mixed transform on (aligned) data and say how well rigid-body motion was removed. */
function fitMixed(built: BuiltFlow, x: Float64Array, emit: Emit): void {
  if (!built.mixed) return;
  built.mixed.layer.fit(x);
  const dropped = Math.max(...built.mixed.layer.droppedVariance);
  emit({ type: 'phase', phase: 'data', message: `mixed coordinates fitted on ${x.length / built.mixed.layer.xDim} configurations (largest dropped rigid-body variance ${dropped.toExponential(1)} nm²)` });
}

/** data.source "md": BAOAB chains from the structure, aligned for training. */
function mdData(d: MdSpec, system: MoleculeSystem, rng: Rng, emit: Emit, signal?: AbortSignal): TrainingData {
  const steps = d.chains * (d.burnIn + d.frames * d.stride);
  emit({ type: 'phase', phase: 'data', message: `MD reference: ${d.chains} × ${d.frames} frames every ${d.stride} steps of ${d.dt * 1000} fs (${(steps * d.dt / 1000).toFixed(3)} ns)` });
  let last = 0;
  const md = moleculeMd(system, {
    frames: d.frames, chains: d.chains, stride: d.stride, burnIn: d.burnIn, dt: d.dt, gamma: d.gamma, tau: d.temperature, rng,
    onProgress: (done, total) => {
      const pct = Math.floor((100 * done) / total);
      if (pct >= last + 10 || done === total) ((last = pct), emit({ type: 'phase', phase: 'data', message: `MD ${pct}% (${done} of ${total} frames)` }));
    },
    ...(signal ? { signal } : {}),
  });
  emit({ type: 'phase', phase: 'data', message: `MD done in ${md.seconds.toFixed(1)} s: kinetic temperature ${md.kineticTemperature.toFixed(1)} K` });
  return { x: alignMolecule(system, md.x), acceptance: Number.NaN, seconds: md.seconds, blocks: d.chains * 5 };
}

/**
 * Exploration of a molecule in mixed coordinates: the transform needs a spread to whiten, and one
 * structure has none. A short MD around the start (thermal fluctuations within its basin, never a
 * barrier crossing at this length: 1 fs steps, 20 per frame) fits the transform and is the initial
 * buffer, in place of noisy copies.
 */
function exploreStartMd(system: MoleculeSystem, x0: Float64Array, frames: number, built: BuiltFlow, rng: Rng, emit: Emit, signal?: AbortSignal): Float32Array | undefined {
  if (!built.mixed) return undefined;
  const md = moleculeMd(system, { frames, chains: 1, stride: 20, burnIn: 1000, dt: 0.001, gamma: 1, tau: 1, rng, x0, ...(signal ? { signal } : {}) });
  const x = alignMolecule(system, md.x);
  emit({ type: 'phase', phase: 'explore', message: `initial buffer: ${frames} frames of ${(frames * 20) / 1000} ps MD around the start (${md.seconds.toFixed(1)} s)` });
  fitMixed(built, x, emit);
  // A basin's MD is no range for the splines to cover: torsions get their circles, the rest keeps its interval.
  if (isSplineFlow(built)) fitSplineDomains(built, null);
  return Float32Array.from(x);
}

/**
 * The Ramachandran surface at the primary temperature, against the training data (MD) where there
 * is some, from every draw there: the stored samples first (the scatter points are theirs), then
 * the fresh draws. One draw's basin populations scatter with its rare large weights (a small basin
 * like αR by ±0.13 % at 0.6 % in 20 000 samples); pooling k independent draws cuts that by √k, and
 * the weights of all draws share one normaliser, so pooling is a plain self-normalised estimate.
 */
function surfaceOf(system: MoleculeSystem, samples: readonly GeneratedSamples[], pooled: SurfaceDraws | null, data: TrainingData | null, spec: GeneratorSpec, rng: Rng, path: RunResult['path']): RunResult['surface'] {
  const def = system.surface;
  const s = samples[surfaceTemperatureIndex(spec.sampling.temperatures)];
  if (!s) return null;
  const draws = pooled ?? { ab: project(def, s.x, system.dim), logw: s.logw, draws: 1 };
  const reference = data ? project(def, data.x, system.dim) : null;
  const surface = surfaceEstimate(def, draws.ab, draws.logw, reference, {
    bins: spec.analysis.bins,
    bootstrap: spec.analysis.bootstrap,
    rng,
    referenceBlocks: data?.blocks ?? 10,
    points: Math.min(4000, s.logw.length),
  });
  const onPath = path ? project(def, path.x.flat(), system.dim) : null;
  return { ...surface, draws: draws.draws, path: onPath ? { a: Array.from({ length: onPath.length / 2 }, (_, i) => onPath[2 * i]!), b: Array.from({ length: onPath.length / 2 }, (_, i) => onPath[2 * i + 1]!) } : null };
}

/** Fraction of points (pairs from `project`) in each basin. */
function basinFractions(def: SurfaceDef, ab: Float64Array): { name: string; fraction: number }[] {
  const n = ab.length / 2;
  return def.basins.map((b) => {
    let c = 0;
    for (let i = 0; i < n; i++) if (b.contains(ab[2 * i]!, ab[2 * i + 1]!)) c++;
    return { name: b.name, fraction: n ? c / n : 0 };
  });
}

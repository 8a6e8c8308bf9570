import type { Rng } from '../rng';
import type { Flow } from './types';
import { CouplingStack, type CouplingKind } from './coupling';
import { Permute } from './permute';
import { Scaling } from './scaling';
import { Sequential } from './sequential';
import { Whiten } from './whiten';
import { MixedCoordinatesLayer } from './internal/mixed-layer';
import { PeriodicBase } from './spline/periodic-base';
import { SplineCouplingStack } from './spline/spline-coupling';
import { randomHalf, type Partition } from './partition';

/**
 * The architecture of a flow, as it appears in a run spec.
 * `layers` is read in the z → x direction, one letter per layer:
 * R = RealNVP block (two affine couplings over the even/odd halves), N = NICE block (two additive
 * couplings), Q = neural-spline block (two rational-quadratic spline couplings), S = trainable
 * per-coordinate scaling, P = swap (reverses the coordinate order). A flow with Q blocks uses only
 * Q and P: with mixed coordinates its torsions are periodic (circular splines, and a `PeriodicBase`
 * first layer that makes their prior uniform on the circle), which an affine layer would not keep.
 * With `whiten`, PCA whitening fitted on the training data is the last layer (on the x side).
 */
export interface FlowArch {
  readonly layers: string;
  readonly hidden: readonly number[];
  /** Bound on the affine log-scale: s = sScale·tanh(·). */
  readonly sScale: number;
  readonly whiten: boolean;
  /** "mixed": the mixed coordinate transform is the last (x-side) layer; needs `MixedTopology`. */
  readonly coordinates?: 'cartesian' | 'mixed';
  /** Q blocks: bins per spline, and the interval of non-periodic coordinates until fitted on data. */
  readonly spline?: SplineSettings;
}

export interface SplineSettings {
  readonly bins: number;
  /** Fixed interval for every non-periodic coordinate; absent: fitted on the training data (default [−5, 5]). */
  readonly interval?: readonly [number, number] | undefined;
  /** How each block splits the coordinates (`partition.ts`); absent: even-odd (flows saved before it). */
  readonly partition?: Partition | undefined;
}

export const DEFAULT_SPLINE: SplineSettings = { bins: 8 };
export const DEFAULT_SPLINE_INTERVAL: readonly [number, number] = [-5, 5];

/** What the mixed transform is built from: atom count, bond graph and its Cartesian (heavy) atoms. */
export interface MixedTopology {
  readonly nAtoms: number;
  readonly bonds: readonly (readonly [number, number])[];
  readonly cartesian: readonly number[];
}

export const LAYER_LETTERS = 'RNQSP';

/** A flow built from its architecture, with a handle on the whitening layer (if any) for fitting. */
export interface BuiltFlow {
  readonly flow: Sequential;
  readonly arch: FlowArch;
  readonly whitening: Whiten | null;
  /** The mixed transform (fitted on aligned data before training) and what it was built from. */
  readonly mixed: { readonly layer: MixedCoordinatesLayer; readonly topology: MixedTopology } | null;
  /** The uniform-on-the-circle base of periodic coordinates (spline flows with torsions), else null. */
  readonly periodicBase: PeriodicBase | null;
}

/**
 * Build a flow; consecutive R/N letters share one CouplingStack (halves split once, not per block).
 * `dim` is the configuration dimension; with mixed coordinates the couplings act on the transform's
 * 3N − 6 latent dimensions.
 */
export function buildFlow(arch: FlowArch, dim: number, rng: Rng, molecule?: MixedTopology | null): BuiltFlow {
  let mixed: BuiltFlow['mixed'] = null;
  if (arch.coordinates === 'mixed') {
    if (!molecule) throw new Error('flow.coordinates "mixed" needs a molecule (its bond graph and heavy atoms)');
    if (3 * molecule.nAtoms !== dim) throw new Error(`mixed coordinates: ${molecule.nAtoms} atoms do not make ${dim} coordinates`);
    if (arch.whiten) throw new Error('flow.whiten with mixed coordinates: the mixed transform already whitens (drop "whiten")');
    mixed = { layer: new MixedCoordinatesLayer(molecule.nAtoms, molecule.bonds, molecule.cartesian), topology: molecule };
    dim = mixed.layer.dim;
  }
  const splines = arch.layers.includes('Q');
  if (splines && /[^QP]/.test(arch.layers)) throw new Error(`flow layers '${arch.layers}': a spline flow (Q) takes only Q and P layers`);
  // Periodic flags at each layer's input, walked from the x side: a swap reverses them.
  let periodic = Array.from({ length: dim }, (_, i) => splines && mixed !== null && mixed.layer.isPeriodic(i));
  const flagsAt: boolean[][] = [];
  for (let i = arch.layers.length - 1; i >= 0; i--) {
    flagsAt[i] = periodic;
    if (arch.layers[i] === 'P') periodic = [...periodic].reverse();
  }
  const layers: Flow[] = [];
  const periodicBase = periodic.some(Boolean) ? new PeriodicBase(periodic) : null;
  if (periodicBase) layers.push(periodicBase);
  let kinds: CouplingKind[] = [];
  let splineCount = 0;
  let splineBlocks = 0;
  const flush = (at: number): void => {
    if (kinds.length) layers.push(new CouplingStack({ dim, kinds, hidden: arch.hidden, sScale: arch.sScale, rng }));
    if (splineCount) layers.push(splineStack(arch, dim, splineCount, flagsAt[at - 1]!, splineBlocks++, rng));
    kinds = [];
    splineCount = 0;
  };
  // A random partition gives every Q block its own stack (its own halves).
  const ownStack = arch.spline?.partition === 'random';
  [...arch.layers].forEach((letter, i) => {
    if (letter === 'R' || letter === 'N') {
      const kind: CouplingKind = letter === 'R' ? 'affine' : 'additive';
      kinds.push(kind, kind);
      return;
    }
    if (letter === 'Q') {
      if (ownStack) flush(i);
      return void (splineCount += 2);
    }
    flush(i);
    if (letter === 'S') layers.push(new Scaling(dim));
    else if (letter === 'P') layers.push(Permute.swap(dim));
    else throw new Error(`unknown flow layer '${letter}' (use ${LAYER_LETTERS.split('').join(', ')})`);
  });
  flush(arch.layers.length);
  const whitening = arch.whiten ? new Whiten(dim) : null;
  if (whitening) layers.push(whitening);
  if (mixed) layers.push(mixed.layer);
  return { flow: new Sequential(layers), arch, whitening, mixed, periodicBase };
}

function splineStack(arch: FlowArch, dim: number, couplings: number, periodic: boolean[], block: number, rng: Rng): SplineCouplingStack {
  const s = arch.spline ?? DEFAULT_SPLINE;
  const firstHalf = s.partition === 'random' ? randomHalf(dim, block) : undefined;
  return new SplineCouplingStack({ dim, couplings, hidden: arch.hidden, bins: s.bins, periodic, interval: s.interval ?? DEFAULT_SPLINE_INTERVAL, firstHalf, rng });
}

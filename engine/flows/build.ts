import type { Rng } from '../rng';
import { CouplingStack, type CouplingKind } from './coupling';
import { Permute } from './permute';
import { Scaling } from './scaling';
import { Sequential } from './sequential';
import { Whiten } from './whiten';
import { MixedCoordinatesLayer } from './internal/mixed-layer';

/**
 * The architecture of a flow, as it appears in a run spec.
 * `layers` is read in the z → x direction, one letter per layer:
 * R = RealNVP block (two affine couplings over the even/odd halves), N = NICE block (two additive
 * couplings), S = trainable per-coordinate scaling, P = swap (reverses the coordinate order).
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
}

/** What the mixed transform is built from: atom count, bond graph and its Cartesian (heavy) atoms. */
export interface MixedTopology {
  readonly nAtoms: number;
  readonly bonds: readonly (readonly [number, number])[];
  readonly cartesian: readonly number[];
}

export const LAYER_LETTERS = 'RNSP';

/** A flow built from its architecture, with a handle on the whitening layer (if any) for fitting. */
export interface BuiltFlow {
  readonly flow: Sequential;
  readonly arch: FlowArch;
  readonly whitening: Whiten | null;
  /** The mixed transform (fitted on aligned data before training) and what it was built from. */
  readonly mixed: { readonly layer: MixedCoordinatesLayer; readonly topology: MixedTopology } | null;
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
  const layers = [];
  let kinds: CouplingKind[] = [];
  const flushCouplings = (): void => {
    if (!kinds.length) return;
    layers.push(new CouplingStack({ dim, kinds, hidden: arch.hidden, sScale: arch.sScale, rng }));
    kinds = [];
  };
  for (const letter of arch.layers) {
    if (letter === 'R' || letter === 'N') {
      const kind: CouplingKind = letter === 'R' ? 'affine' : 'additive';
      kinds.push(kind, kind);
      continue;
    }
    flushCouplings();
    if (letter === 'S') layers.push(new Scaling(dim));
    else if (letter === 'P') layers.push(Permute.swap(dim));
    else throw new Error(`unknown flow layer '${letter}' (use ${LAYER_LETTERS.split('').join(', ')})`);
  }
  flushCouplings();
  const whitening = arch.whiten ? new Whiten(dim) : null;
  if (whitening) layers.push(whitening);
  if (mixed) layers.push(mixed.layer);
  return { flow: new Sequential(layers), arch, whitening, mixed };
}

import * as tf from '@tensorflow/tfjs-core';
import { createMolecule, type Molecule } from '../mm';
import { dihedral64 } from '../mm/energy64';
import { coordinateMasses } from '../mm/masses';
import { parseForceField, type ForceField } from '../mm/forcefield-xml';
import type { ModelSystem, SurfaceDef } from '../types';
import { findBackbone, type Backbone } from './backbone';
import { dihedralDeg } from './dihedral-tf';
import { relax, setDihedral } from './torsion-drive';
import type { MoleculeResources } from '../../../contract/jobs';
import { SYSTEM_STATES } from '../../../contract/systems';

// A worker builds the system once per job, but the backend (export, import, structures) builds it per
// call: parsing the 470 kB force-field XML each time would cost ~100 ms. Keyed by the text itself.
const parsed = new Map<string, ForceField>();
function cachedForceField(xml: string): ForceField {
  let ff = parsed.get(xml);
  if (!ff) {
    if (parsed.size >= 4) parsed.clear();
    parsed.set(xml, (ff = parseForceField(xml)));
  }
  return ff;
}

export interface MoleculeSystem extends ModelSystem {
  readonly molecule: Molecule;
  readonly backbone: Backbone;
  /** Atom indices of the heavy atoms. */
  readonly heavyAtoms: readonly number[];
  /**
   * The mixed transform's Cartesian block (and the alignment frame): the backbone N, CA, C of every
   * residue that has all three, and the other neighbours of the φ/ψ residue's CA (CB, HA). For
   * alanine dipeptide that is N, CA, C, CB, HA (bgflow's choice); everything else is placed by
   * internal coordinates, where stiff bonds and angles are single, narrow coordinates.
   */
  readonly cartesianAtoms: readonly number[];
  /** Mass per coordinate (amu, from the force field's atom types), for the reference dynamics. */
  readonly masses: Float64Array;
  readonly surface: SurfaceDef;
}

const DEG = 180 / Math.PI;

/**
 * Regions of the (φ, ψ) plane, degrees. Vacuum alanine dipeptide's minima: C7eq (−83°, 73°), C5/β
 * (−155°, 165°), αR (−75°, −40°), C7ax (73°, −60°), αL (60°, 40°). C7ax/αL is φ ∈ [0°, 120°), the
 * slow φ transition; the β basin reaches past φ = ±180° (C5 at −155°), so φ ≥ 120° belongs to it.
 * C7eq and β are one basin (no barrier between them at 300 K worth a state); αR is φ < 0 with
 * ψ ∈ [−120°, 0°).
 */
export const RAMACHANDRAN_BASINS: SurfaceDef['basins'] = [
  { name: 'C7eq/β', contains: (phi, psi) => !isC7ax(phi) && !(phi < 0 && psi >= -120 && psi < 0) },
  { name: 'αR', contains: (phi, psi) => phi < 0 && psi >= -120 && psi < 0 },
  { name: 'C7ax/αL', contains: (phi) => isC7ax(phi) },
];
const isC7ax = (phi: number): boolean => phi >= 0 && phi < PHI_CUT;

/**
 * The reaction coordinate is φ shifted onto [−240°, 120°): the cut sits at 120°, where P(φ) is low
 * (between αL and the β basin's tail), instead of at ±180°, which runs through the β basin. So the
 * two states are single intervals: A = [−240°, 0°) (β, C7eq, αR), B = [0°, 120°) (C7ax, αL).
 */
export const PHI_CUT = SYSTEM_STATES['alanine-dipeptide'][1].max;
const shiftPhi = (phi: number): number => (phi >= PHI_CUT ? phi - 360 : phi);

/** States on the shifted φ (degrees, see PHI_CUT). */
export const MOLECULE_STATES: ModelSystem['states'] = SYSTEM_STATES['alanine-dipeptide'];

/**
 * A molecule as a model system: u = E/kT from the force field (kT at `temperature` K, default 300),
 * the backbone dihedral φ (degrees, shifted onto [−240°, 120°)) of its first inner residue as the
 * reaction coordinate, states A = [−240°, 0°) (C7eq, β, αR) and B = [0°, 120°) (C7ax, αL), and
 * (φ, ψ) in (−180°, 180°] as its 2-D surface. State A's start is
 * the structure as given; B's is that structure torsion-driven to (φ, ψ) = (70°, −60°) and relaxed.
 */
export function createMoleculeSystem(name: string, r: MoleculeResources, params: Readonly<Record<string, number>> = {}): MoleculeSystem {
  const temperature = params.temperature ?? 300;
  const ff = cachedForceField(r.forcefieldXml);
  const molecule = createMolecule(r.pdb, ff, temperature);
  const { topology } = molecule;
  const backbone = findBackbone(topology);
  const heavyAtoms = topology.atoms.flatMap((a, i) => (a.element.toUpperCase() === 'H' ? [] : [i]));
  const phi64 = (x: Float64Array): number => DEG * dihedral64(x, ...backbone.phi);
  const psi64 = (x: Float64Array): number => DEG * dihedral64(x, ...backbone.psi);
  let startB: Float64Array | null = null;
  const system: MoleculeSystem = {
    name,
    dim: molecule.dim,
    molecule,
    backbone,
    heavyAtoms,
    cartesianAtoms: cartesianBlock(topology, backbone),
    masses: coordinateMasses(topology, ff),
    energy: (x: tf.Tensor2D) => molecule.energy(x),
    energy64: (x) => molecule.energy64(x),
    gradient64: (x, out) => molecule.gradient64(x, out),
    rc64: (x) => shiftPhi(phi64(x)),
    rc: (x) => tf.tidy(() => {
      const phi = dihedralDeg(x, backbone.phi);
      return tf.where(tf.greaterEqual(phi, PHI_CUT), tf.sub(phi, 360), phi) as tf.Tensor1D;
    }),
    rcRange: [PHI_CUT - 360, PHI_CUT],
    states: MOLECULE_STATES,
    start: (state = 0) => {
      if (state === 0) return Float64Array.from(molecule.positions);
      startB ??= relax(
        setDihedral(setDihedral(molecule.positions, topology, backbone.phi, 70), topology, backbone.psi, -60),
        molecule.energy64,
        molecule.gradient64,
      );
      return Float64Array.from(startB);
    },
    mcStep: 0.002,
    dispose: () => molecule.tfEnergy.dispose(),
    surface: {
      labels: ['φ', 'ψ'],
      range: [[-180, 180], [-180, 180]],
      periodic: true,
      value64: (x) => [phi64(x), psi64(x)],
      basins: RAMACHANDRAN_BASINS,
    },
  };
  return system;
}

/** Narrow a model system to a molecule (the engine's other systems have no force field). */
export function isMoleculeSystem(s: ModelSystem): s is MoleculeSystem {
  return 'molecule' in s && 'backbone' in s;
}

/** See `MoleculeSystem.cartesianAtoms`; sorted atom indices. */
function cartesianBlock(top: MoleculeSystem['molecule']['topology'], backbone: Backbone): number[] {
  const set = new Set<number>();
  for (const r of top.residues) {
    const named = ['N', 'CA', 'C'].map((n) => r.atoms.find((i) => top.atoms[i]!.name === n));
    if (named.every((i) => i !== undefined)) named.forEach((i) => set.add(i!));
  }
  const ca = backbone.phi[2];
  for (const [i, j] of top.bonds) {
    if (i === ca) set.add(j);
    if (j === ca) set.add(i);
  }
  return [...set].sort((a, b) => a - b);
}

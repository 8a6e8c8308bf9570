import type { StateDef } from './states';

/**
 * The model systems a run spec can name, and the numeric parameters each accepts. Kept free of
 * tfjs so the contract (and the UI that imports it) loads no numerics; the engine's registry
 * (engine/energies/index.ts) implements exactly these.
 *
 * Molecules: `alanine-dipeptide` is the shipped ACE-ALA-NME structure
 * (data/molecules/alanine-dipeptide.pdb); `molecule` is any PDB the user imported (its set is named
 * by `system.structure`). Both are typed by a shipped force field (`system.forcefield`).
 */
export const SYSTEM_NAMES = ['double-well', 'mueller-brown', 'dimer', 'alanine-dipeptide', 'molecule'] as const;
export type SystemName = (typeof SYSTEM_NAMES)[number];

export function isSystemName(name: string): name is SystemName {
  return (SYSTEM_NAMES as readonly string[]).includes(name);
}

export const MOLECULE_SYSTEMS = ['alanine-dipeptide', 'molecule'] as const;
export type MoleculeSystemName = (typeof MOLECULE_SYSTEMS)[number];
export function isMoleculeSystem(name: string): name is MoleculeSystemName {
  return (MOLECULE_SYSTEMS as readonly string[]).includes(name);
}

/** Force fields shipped in data/forcefields/<name>.xml (OpenMM ForceField XML). */
export const FORCEFIELDS = ['amber99sbildn'] as const;
export type ForceFieldName = (typeof FORCEFIELDS)[number];

/** A molecule as runs and sample sets carry it: a PDB template (names, residues, one model) and its force field. */
export interface MoleculeSource {
  readonly pdb: string;
  readonly forcefield: ForceFieldName;
}

export const PARAM_NAMES: Record<SystemName, readonly string[]> = {
  'double-well': ['dim', 'a4', 'a2', 'a1', 'k'],
  'mueller-brown': ['dim', 'k'],
  dimer: ['nSolvent', 'slope', 'boxHalf', 'epsilon', 'rm'],
  /** temperature: K (default 300); u = E/kT at it. */
  'alanine-dipeptide': ['temperature'],
  molecule: ['temperature'],
};

/**
 * Systems with identical particles (the dimer's solvent), which `system.permutationReduction` can
 * restrict to one labelling of them (engine/symmetry/permutations.ts).
 */
export const PERMUTABLE_SYSTEMS: readonly SystemName[] = ['dimer'];

/** Atoms of the shipped alanine dipeptide (ACE-ALA-NME with hydrogens). */
export const ALANINE_DIPEPTIDE_ATOMS = 22;

/**
 * Configuration-space dimension of a system with these params (mirrors the engine's defaults);
 * null for an imported molecule, whose dimension is known only once its structure is read.
 */
export function systemDim(name: SystemName, params: Readonly<Record<string, number>>): number | null {
  if (name === 'dimer') return 2 * ((params.nSolvent ?? 36) + 2);
  if (name === 'alanine-dipeptide') return 3 * ALANINE_DIPEPTIDE_ATOMS;
  if (name === 'molecule') return null;
  return params.dim ?? 2;
}

/** Molecules' states on the backbone φ (degrees), shifted onto [−240°, 120°): the cut is at 120°. */
const PHI_STATES: readonly [StateDef, StateDef] = [
  { name: 'C7eq/β/αR', min: -240, max: 0 },
  { name: 'C7ax/αL', min: 0, max: 120 },
];

/**
 * The two states of each system on its reaction coordinate, ordered [A, B] (ΔF is F(B) − F(A)).
 * double-well: x₀ < 0 | x₀ ≥ 0. mueller-brown: the RC is y, split at 0.7 between the deep top-left
 * minimum and the two lower ones. dimer: the dimer bond length, split at 1.5 between the closed
 * (≈ 1) and open (≈ 2) minima. Molecules: the backbone φ shifted onto [−240°, 120°) (the cut lies
 * between αL and β, not through β at ±180°): C7eq/β/αR is φ < 0, C7ax/αL is φ ∈ [0°, 120°).
 */
export const SYSTEM_STATES: Record<SystemName, readonly [StateDef, StateDef]> = {
  'double-well': [
    { name: 'left', min: -Infinity, max: 0 },
    { name: 'right', min: 0, max: Infinity },
  ],
  'mueller-brown': [
    { name: 'upper', min: 0.7, max: Infinity },
    { name: 'lower', min: -Infinity, max: 0.7 },
  ],
  dimer: [
    { name: 'closed', min: -Infinity, max: 1.5 },
    { name: 'open', min: 1.5, max: Infinity },
  ],
  'alanine-dipeptide': PHI_STATES,
  molecule: PHI_STATES,
};

/** What a system is, without building it (no tfjs, no force field): for validation, files and exports. */
export interface SystemDescription {
  readonly name: SystemName;
  /** Configuration-space dimension; null for an imported molecule until its structure is read. */
  readonly dim: number | null;
  readonly states: readonly [StateDef, StateDef];
}

export function describeSystem(name: SystemName, params: Readonly<Record<string, number>>): SystemDescription {
  return { name, dim: systemDim(name, params), states: SYSTEM_STATES[name] };
}

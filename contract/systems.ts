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

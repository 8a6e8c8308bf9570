import type { PdbFile } from '../../../engine/io/pdb';
import type { Topology } from '../../../engine/energies/topology';
import type { MoleculeSource, MoleculeSystemName } from '../../../contract/systems';
import { buildSystem, DEFAULT_FORCEFIELD, isForceFieldName, moleculeTemplate, shippedMolecule, type BuiltSystem } from '../molecules';
import type { ImportFormat } from './';
import { ImportError } from './parse-error';

export interface MoleculeOpening {
  readonly molecule: MoleculeSource;
  readonly built: BuiltSystem;
  /** Checks every later PDB block's atoms against the structure (names, residues, count). */
  readonly checkBlock: (file: PdbFile, firstLine: number) => void;
}

/** Every atom of the file where the molecule has it (name and residue), else the first that is not. */
function checkAtoms(file: PdbFile, topology: Topology, name: string, firstLine: number): void {
  if (file.atoms.length !== topology.atoms.length) throw new ImportError(`the PDB has ${file.atoms.length} atoms per model (block from line ${firstLine}); ${name} has ${topology.atoms.length}`);
  file.atoms.forEach((a, i) => {
    const t = topology.atoms[i]!;
    if (a.name !== t.name || a.resName !== t.resName)
      throw new ImportError(`atom ${i + 1} is ${a.name} in ${a.resName} ${a.resSeq}; ${name}'s atom ${i + 1} is ${t.name} in ${t.resName} ${t.resSeq} (the atoms must come in the shipped structure's order)`);
  });
}

/**
 * The molecule configurations belong to. `molecule`: a PDB only (its atoms and residues are the
 * structure); the first model of the first block becomes the stored template, and building it with
 * the force field checks that every atom is typed by its residue's template (the engine's error
 * names the residue). `alanine-dipeptide`: the shipped structure; a PDB's atoms must match it, or
 * CSV/JSON of 66 coordinates in nm. PDB coordinates are Å and stored in nm. Nothing is stored here.
 */
export async function openMolecule(
  name: MoleculeSystemName,
  r: { readonly params: Record<string, number>; readonly forcefield?: string | undefined; readonly format: ImportFormat; readonly first: PdbFile | null },
): Promise<MoleculeOpening> {
  const forcefield = r.forcefield ?? DEFAULT_FORCEFIELD;
  if (!isForceFieldName(forcefield)) throw new ImportError(`unknown force field '${forcefield}' (shipped: ${DEFAULT_FORCEFIELD})`);
  if (name === 'molecule') {
    if (r.format !== 'pdb' || !r.first) throw new ImportError(`a molecule is imported from a PDB (its atoms and residues are the structure); ${r.format} holds coordinates only`);
    const molecule = { pdb: moleculeTemplate(r.first.atoms, r.first.models[0]!.map((v) => v / 10)), forcefield };
    const built = await buildSystem(name, r.params, molecule);
    return { molecule, built, checkBlock: (f, line) => checkAtoms(f, built.topology, 'the first model', line) };
  }
  const molecule = shippedMolecule(name, forcefield);
  const built = await buildSystem(name, r.params, molecule);
  const checkBlock = (f: PdbFile, line: number): void => checkAtoms(f, built.topology, name, line);
  if (r.first) checkBlock(r.first, 1);
  return { molecule, built, checkBlock };
}

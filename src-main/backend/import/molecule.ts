import type { PdbFile } from '../../../engine/io/pdb';
import type { Topology } from '../../../engine/energies/topology';
import type { MoleculeSource, MoleculeSystemName } from '../../../contract/systems';
import { buildSystem, DEFAULT_FORCEFIELD, isForceFieldName, moleculeTemplate, shippedMolecule, type BuiltSystem } from '../molecules';
import { importConfigurations, type ImportFormat } from './';
import { ImportError } from './parse-error';
import { parsePdb, pdbToCoordinates } from './pdb';

export interface MoleculeImport {
  readonly molecule: MoleculeSource;
  readonly built: BuiltSystem;
  /** n rows of 3·atoms coordinates, nm. */
  readonly x: Float64Array;
  readonly n: number;
}

/** Every atom of the file where the molecule has it (name and residue), else the first that is not. */
function checkAtoms(file: PdbFile, topology: Topology, name: string): void {
  file.atoms.forEach((a, i) => {
    const t = topology.atoms[i]!;
    if (a.name !== t.name || a.resName !== t.resName)
      throw new ImportError(`atom ${i + 1} is ${a.name} in ${a.resName} ${a.resSeq}; ${name}'s atom ${i + 1} is ${t.name} in ${t.resName} ${t.resSeq} (the atoms must come in the shipped structure's order)`);
  });
}

/**
 * Configurations of a molecule. `molecule`: a PDB only (its atoms and residues are the structure);
 * the first model becomes the stored template, and building it with the force field checks that
 * every atom is typed by its residue's template (the engine's error names the residue). Every model
 * is a row. `alanine-dipeptide`: a PDB whose atoms match the shipped structure, or CSV/JSON of 66
 * coordinates in nm. PDB coordinates are Å and stored in nm. Nothing is stored here.
 */
export async function readMolecule(
  name: MoleculeSystemName,
  r: { readonly params: Record<string, number>; readonly forcefield?: string | undefined; readonly format: ImportFormat; readonly text: string },
): Promise<MoleculeImport> {
  const forcefield = r.forcefield ?? DEFAULT_FORCEFIELD;
  if (!isForceFieldName(forcefield)) throw new ImportError(`unknown force field '${forcefield}' (shipped: ${DEFAULT_FORCEFIELD})`);
  if (name === 'molecule') {
    if (r.format !== 'pdb') throw new ImportError(`a molecule is imported from a PDB (its atoms and residues are the structure); ${r.format} holds coordinates only`);
    const file = parsePdb(r.text);
    const molecule = { pdb: moleculeTemplate(file.atoms, file.models[0]!.map((v) => v / 10)), forcefield };
    const built = await buildSystem(name, r.params, molecule);
    const { rows, n } = pdbToCoordinates(file, built.topology);
    return { molecule, built, x: rows, n };
  }
  const molecule = shippedMolecule(name, forcefield);
  const built = await buildSystem(name, r.params, molecule);
  if (r.format !== 'pdb') {
    const { x, n } = importConfigurations(r.text, r.format, { name, params: r.params, dim: built.topology.dim });
    return { molecule, built, x, n };
  }
  const file = parsePdb(r.text);
  if (file.atoms.length !== built.topology.atoms.length) throw new ImportError(`the PDB has ${file.atoms.length} atoms per model; ${name} has ${built.topology.atoms.length}`);
  checkAtoms(file, built.topology, name);
  const { rows, n } = pdbToCoordinates(file, built.topology);
  return { molecule, built, x: rows, n };
}

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SamplesRepo } from '../../db/repositories/samples';
import type { MoleculeResources } from '../../engine/energies';
import type { MoleculeSystem } from '../../engine/energies/molecule/system';
import type { ModelSystem } from '../../engine/energies/types';
import { systemTopology, type Topology, type TopologyAtom } from '../../engine/energies/topology';
import { elementOf, parsePdb, type PdbAtom } from '../../engine/io/pdb';
import { parseForceField, type ForceField } from '../../engine/energies/mm/forcefield-xml';
import { buildTopology, parsePdb as parseStructure } from '../../engine/energies/mm/pdb-topology';
import type { RunSpec } from '../../contract/run-spec';
import { FORCEFIELDS, type ForceFieldName, type MoleculeSource, type MoleculeSystemName } from '../../contract/systems';
import { atomRecord, fixed, line, remark } from './export/pdb-records';
import { StoredInputError } from './scheduler/stored-input-error';

// Molecules for the backend: the shipped files (force fields, the alanine-dipeptide structure),
// the stored structure templates, and the texts the engine builds a molecule from (it reads no files).

export const DEFAULT_FORCEFIELD: ForceFieldName = 'amber99sbildn';

/**
 * The project's data/ folder: the nearest one above this module that holds data/forcefields. That
 * is the repository root both when tsx/vitest run the sources and when the Electron shell starts
 * `bgw serve` from its checkout (as server/renderer.ts finds dist/renderer from the module).
 */
function findDataDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'data', 'forcefields'))) return join(dir, 'data');
    const up = dirname(dir);
    if (up === dir) throw new Error(`bgw: no data/forcefields folder above ${fileURLToPath(import.meta.url)} (the shipped force fields and molecules)`);
    dir = up;
  }
}
let dataDir: string | null = null;

// Read once per process: the force field is 470 kB and every import, export and structure needs it.
const texts = new Map<string, string>();
function dataFile(relative: string): string {
  let t = texts.get(relative);
  if (t === undefined) texts.set(relative, (t = readFileSync(join((dataDir ??= findDataDir()), relative), 'utf8')));
  return t;
}

export function isForceFieldName(name: string): name is ForceFieldName {
  return (FORCEFIELDS as readonly string[]).includes(name);
}

/** OpenMM ForceField XML of a shipped force field (data/forcefields/<name>.xml). */
export function forceFieldXml(name: ForceFieldName): string {
  if (!isForceFieldName(name)) throw new Error(`unknown force field '${String(name)}' (shipped: ${FORCEFIELDS.join(', ')})`);
  return dataFile(join('forcefields', `${name}.xml`));
}

/** One record per atom, ATOM/HETATM as read, elements always filled in, B-factor 0. */
function atomsAsTopology(atoms: readonly PdbAtom[]): TopologyAtom[] {
  return atoms.map((a) => ({ name: a.name, element: elementOf(a).toUpperCase(), resName: a.resName, resSeq: a.resSeq, chain: a.chain, iCode: a.iCode, standard: !a.hetero }));
}

/**
 * The PDB template a molecule is stored as: the ATOM/HETATM records of one model (names, residues,
 * chain, elements) at coordinates `xNm` (nm, written in Å), then END. No CONECT: the force field's
 * residue templates give the bonds.
 */
export function moleculeTemplate(atoms: readonly PdbAtom[], xNm: ArrayLike<number>): string {
  if (xNm.length !== 3 * atoms.length) throw new Error(`a structure of ${atoms.length} atoms needs ${3 * atoms.length} coordinates, got ${xNm.length}`);
  const zero = fixed(0, 6, 2, 'B-factor');
  const records = atomsAsTopology(atoms).map((a, i) => atomRecord(i + 1, a, [10 * xNm[3 * i]!, 10 * xNm[3 * i + 1]!, 10 * xNm[3 * i + 2]!], zero, 'the structure'));
  return remark(1, 'BGW MOLECULE TEMPLATE') + records.join('') + line('END');
}

/** The template's atoms (first model). */
export function templateAtoms(pdb: string): PdbAtom[] {
  return parsePdb(pdb).atoms;
}

/** The same molecule at other coordinates (nm). */
export function withCoordinates(source: MoleculeSource, xNm: ArrayLike<number>): MoleculeSource {
  return { pdb: moleculeTemplate(templateAtoms(source.pdb), xNm), forcefield: source.forcefield };
}

/** The shipped structure of a named molecule (data/molecules/<name>.pdb) as a template, with its force field. */
export function shippedMolecule(name: Exclude<MoleculeSystemName, 'molecule'>, forcefield: ForceFieldName = DEFAULT_FORCEFIELD): MoleculeSource {
  const file = parsePdb(dataFile(join('molecules', `${name}.pdb`)));
  return { pdb: moleculeTemplate(file.atoms, file.models[0]!.map((v) => v / 10)), forcefield };
}

/**
 * The molecule a run's system names: the shipped alanine dipeptide, or for `molecule` the template
 * stored with `structure.setId` with the coordinates of row `structure.index` in it. Null for the
 * model systems. A set that does not exist, holds no molecule, or lacks the row is a
 * StoredInputError naming the field.
 */
export function resolveMolecule(system: RunSpec['system'], samples: SamplesRepo): MoleculeSource | null {
  if (system.name === 'alanine-dipeptide') return shippedMolecule('alanine-dipeptide', system.forcefield ?? DEFAULT_FORCEFIELD);
  if (system.name !== 'molecule') return null;
  const s = system.structure;
  if (!s) throw new StoredInputError('system.structure', 'a molecule needs its structure: {"setId": <an imported PDB set>, "index": 0}');
  const set = samples.getSet(s.setId);
  if (!set) throw new StoredInputError('system.structure.setId', `sample set ${s.setId} does not exist`);
  const stored = samples.molecule(s.setId);
  if (!stored) throw new StoredInputError('system.structure.setId', `sample set ${s.setId} holds ${set.system} configurations, not a molecule (import a PDB with system "molecule")`);
  if (s.index >= set.n) throw new StoredInputError('system.structure.index', `sample set ${s.setId} has ${set.n} rows (0…${set.n - 1})`);
  return withCoordinates({ pdb: stored.pdb, forcefield: system.forcefield ?? stored.forcefield }, samples.coordinates(s.setId, s.index));
}

/** What the engine builds the molecule from: the structure and force-field texts. */
export function moleculeResources(source: MoleculeSource): MoleculeResources {
  return { pdb: source.pdb, forcefieldXml: forceFieldXml(source.forcefield) };
}

/** A system the backend built: the engine's, the molecule's (null for model systems), the export topology. */
export interface BuiltSystem {
  readonly system: ModelSystem;
  readonly molecule: MoleculeSystem | null;
  readonly topology: Topology;
}

/**
 * The engine's system for a stored set or a run (tfjs loads on first use), and the export topology:
 * real atoms and bonds for molecules, pseudo-atoms otherwise. Throws the engine's message when the
 * force field cannot type the structure (it names the residue).
 */
export async function buildSystem(name: RunSpec['system']['name'], params: Record<string, number>, source: MoleculeSource | null): Promise<BuiltSystem> {
  const { createSystem } = await import('../../engine/energies');
  const system = createSystem(name, params, source ? moleculeResources(source) : null);
  const molecule = 'molecule' in system ? (system as MoleculeSystem) : null;
  return { system, molecule, topology: systemTopology(name, params, molecule?.molecule.topology ?? null) };
}

const parsedFields = new Map<ForceFieldName, ForceField>();

/**
 * The structure-file topology of a stored set's system without building it (no tfjs, no force-field
 * parameters): pseudo-atoms for the model systems; for a molecule its atoms, residues and the
 * bonds its force field's residue templates give.
 */
export function fileTopology(name: RunSpec['system']['name'], params: Readonly<Record<string, number>>, source: MoleculeSource | null): Topology {
  if (!source) return systemTopology(name, params);
  let ff = parsedFields.get(source.forcefield);
  if (!ff) parsedFields.set(source.forcefield, (ff = parseForceField(forceFieldXml(source.forcefield))));
  return systemTopology(name, params, buildTopology(parseStructure(source.pdb), ff));
}

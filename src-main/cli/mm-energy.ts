import { parsePdb } from '../backend/import/pdb';
import { readText } from './read-text';
import { UsageError } from './usage-error';

/**
 * `bgw energy <pdb> --forcefield <xml>`: each model's molecular-mechanics energy in kJ/mol, one
 * line per model, with the terms. The topology (templates, bonds) comes from the first model;
 * every model must list the same atoms.
 */
export async function mmEnergies(pdbPath: string, xmlPath: string, temperature: number): Promise<string> {
  const [pdbText, xml] = await Promise.all([readText(pdbPath, 'structure'), readText(xmlPath, 'force field')]);
  let models: Float64Array[];
  try {
    models = parsePdb(pdbText).models;
  } catch (e) {
    throw new UsageError(`${pdbPath}: ${(e as Error).message}`);
  }
  const { createMolecule } = await import('../../engine/energies/mm');
  let mol;
  try {
    mol = createMolecule(pdbText, xml, temperature);
  } catch (e) {
    throw new UsageError(`${pdbPath} with ${xmlPath}: ${(e as Error).message}`);
  }
  const fmt = (v: number): string => v.toFixed(4);
  return models
    .map((m, k) => {
      if (m.length !== mol.dim) throw new UsageError(`${pdbPath}: model ${k + 1} has ${m.length / 3} atoms, the first has ${mol.dim / 3}`);
      const e = mol.terms64(Float64Array.from(m, (v) => v / 10)); // Å → nm
      return `model ${k + 1}: ${fmt(e.total)} kJ/mol  (bonds ${fmt(e.bonds)}, angles ${fmt(e.angles)}, torsions ${fmt(e.torsions)}, nonbonded ${fmt(e.nonbonded)}; u = ${(e.total / mol.kT).toFixed(4)} kT at ${temperature} K)`;
    })
    .join('\n');
}

import type { Topology } from '../../../engine/energies/topology';
import { parsePdb as parseEnginePdb, PdbParseError, type PdbAtom, type PdbFile } from '../../../engine/io/pdb';
import { ImportError } from './parse-error';

export type { PdbAtom, PdbFile as ParsedPdb };

/**
 * The engine's PDB reader (engine/io/pdb.ts: ATOM/HETATM, MODEL/ENDMDL, CRYST1), its
 * faults as ImportErrors with the line ("line N: …"), as every import format reports them.
 */
export function parsePdb(text: string): PdbFile {
  try {
    return parseEnginePdb(text);
  } catch (e) {
    if (e instanceof PdbParseError) throw new ImportError(e.reason, e.line);
    throw e;
  }
}

/**
 * Models → the system's flat coordinates (n·dim): atom k fills coordinates k·c … k·c + c − 1
 * (c = topology.coordsPerAtom; 2-D systems take x, y and ignore z; an odd dim drops the last y),
 * Å divided by the topology's Å per unit (molecules: nm).
 */
export function pdbToCoordinates(parsed: PdbFile, topology: Topology): { rows: Float64Array; n: number } {
  const nAtoms = parsed.atoms.length;
  if (nAtoms !== topology.atoms.length)
    throw new ImportError(`the PDB has ${nAtoms} atoms per model; this system has ${topology.atoms.length} (dim ${topology.dim})`);
  const { dim, coordsPerAtom: c, angstromPerUnit: scale } = topology;
  const n = parsed.models.length;
  const rows = new Float64Array(n * dim);
  parsed.models.forEach((m, s) => {
    for (let k = 0; k < dim; k++) rows[s * dim + k] = m[3 * Math.floor(k / c) + (k % c)]! / scale;
  });
  return { rows, n };
}

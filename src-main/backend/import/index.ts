import { systemTopology } from '../../../engine/energies/topology';
import type { SystemName } from '../../../contract/systems';
import { parseCoordinatesCsv } from './csv';
import { parseConfigurationJson } from './json';
import { ImportError } from './parse-error';
import { parsePdb, pdbToCoordinates } from './pdb';

export { ImportError };
export type ImportFormat = 'pdb' | 'csv' | 'json';

/**
 * Configurations a user imports (e.g. as starting points), as the system's flat coordinates
 * (n·dim). Malformed input throws ImportError, with the line where one applies.
 */
export function importConfigurations(
  text: string,
  format: ImportFormat,
  system: { name: SystemName; params: Record<string, number>; dim: number },
): { x: Float64Array; n: number } {
  let parsed: { rows: Float64Array; n: number };
  if (format === 'pdb') {
    const topology = systemTopology(system.name, system.params);
    if (topology.dim !== system.dim) throw new Error(`${system.name}: dim ${system.dim} does not match its params (dim ${topology.dim})`);
    parsed = pdbToCoordinates(parsePdb(text), topology);
  } else if (format === 'csv') parsed = parseCoordinatesCsv(text, system.dim);
  else if (format === 'json') parsed = parseConfigurationJson(text, system.dim);
  else throw new ImportError(`unknown format '${String(format)}' (pdb, csv or json)`);
  return { x: parsed.rows, n: parsed.n };
}

import type { ModelSystem } from './types';
import { createDoubleWell } from './double-well';
import { createMuellerBrown } from './mueller-brown';
import { createDimer } from './dimer';
import { createMoleculeSystem } from './molecule/system';
import { reducePermutations } from '../symmetry/permutations';

import { isSystemName, PARAM_NAMES, SYSTEM_NAMES, type SystemName } from '../../contract/systems';
import type { MoleculeResources } from '../../contract/jobs';

export { isSystemName, PARAM_NAMES, SYSTEM_NAMES, type SystemName, type MoleculeResources };

/**
 * Build a model system by name. Params must be finite numbers among the system's known names.
 * Molecules (`alanine-dipeptide`, `molecule`) also need their structure and force-field texts: the
 * engine reads no files, so the backend passes them (src-main/backend/molecules.ts).
 * `permutationReduction` restricts a system with identical particles to one labelling of them.
 */
export function createSystem(name: SystemName, params: Record<string, unknown> = {}, molecule?: MoleculeResources | null, options: { permutationReduction?: boolean | undefined } = {}): ModelSystem {
  const system = createBaseSystem(name, params, molecule);
  return options.permutationReduction ? reducePermutations(system) : system;
}

function createBaseSystem(name: SystemName, params: Record<string, unknown>, molecule?: MoleculeResources | null): ModelSystem {
  if (!isSystemName(name)) throw new Error(`unknown system '${String(name)}' (known: ${SYSTEM_NAMES.join(', ')})`);
  const allowed = PARAM_NAMES[name];
  const numeric: Record<string, number> = {};
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined) continue;
    if (!allowed.includes(key)) throw new Error(`${name}: unknown parameter '${key}' (allowed: ${allowed.join(', ')})`);
    if (typeof value !== 'number' || !Number.isFinite(value))
      throw new Error(`${name}: parameter '${key}' must be a finite number, got ${JSON.stringify(value)}`);
    numeric[key] = value;
  }
  switch (name) {
    case 'double-well':
      return createDoubleWell(numeric);
    case 'mueller-brown':
      return createMuellerBrown(numeric);
    case 'dimer':
      return createDimer(numeric);
    case 'alanine-dipeptide':
    case 'molecule':
      if (!molecule) throw new Error(`${name}: a molecule system needs its structure (PDB) and force field (XML) texts`);
      return createMoleculeSystem(name, molecule, numeric);
  }
}

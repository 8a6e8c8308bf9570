import { ApiError, type ApiHandlers, type StructureDto } from '../../../contract/api';
import { isMoleculeSystem, isSystemName, type MoleculeSource } from '../../../contract/systems';
import { formatStructurePdb } from '../export/pdb';
import { buildSystem, resolveMolecule } from '../molecules';
import { StoredInputError } from '../scheduler/stored-input-error';
import type { ServiceContext } from './context';

/** One configuration as PDB text with its energy; u = E/kT at the system's temperature. */
async function structure(name: string, params: Record<string, number>, molecule: MoleculeSource, x: ArrayLike<number>, storedU: number | null, remark: string): Promise<StructureDto> {
  if (!isSystemName(name)) throw new ApiError('invalid_input', `unknown system '${name}'`);
  const { system, molecule: mol, topology } = await buildSystem(name, params, molecule);
  if (x.length !== topology.dim) throw new ApiError('invalid_input', `x has ${x.length} coordinates; this molecule has ${topology.atoms.length} atoms, ${topology.dim} coordinates (nm)`, [{ path: 'x', message: `expected ${topology.dim} coordinates` }]);
  const u = storedU ?? system.energy64(Float64Array.from(x));
  const energyKJ = Number.isFinite(u) && mol ? u * mol.molecule.kT : null;
  const pdb = formatStructurePdb(topology, x, [remark, `ENERGY ${Number.isFinite(u) ? u : 'NULL'} KT, ${energyKJ ?? 'NULL'} KJ/MOL`]);
  return { pdb, atoms: topology.atoms.length, u: Number.isFinite(u) ? u : null, energyKJ };
}

/**
 * `samples:structure`: a molecule's configuration for the 3-D viewer, from a stored row (its stored
 * u) or from explicit coordinates of a run's molecule (energy computed by the engine in float64).
 */
export function structureHandlers(c: ServiceContext): Pick<ApiHandlers, 'samples:structure'> {
  const { samples, runs } = c.repos;
  return {
    'samples:structure': async (q) => {
      if ('setId' in q) {
        const set = samples.getSet(q.setId);
        if (!set) throw new ApiError('not_found', `sample set ${q.setId} does not exist`);
        const molecule = samples.molecule(q.setId);
        if (!molecule) throw new ApiError('invalid_input', `sample set ${q.setId} holds ${set.system} configurations, not a molecule`, [{ path: 'setId', message: 'not a molecule set' }]);
        if (q.index >= set.n) throw new ApiError('not_found', `sample set ${q.setId} has ${set.n} rows; row ${q.index} does not exist`);
        const row = samples.page(q.setId, { offset: q.index, limit: 1, sort: 'id', order: 'asc', coords: true }).rows[0]!;
        return structure(set.system, samples.params(q.setId), molecule, row.x!, row.u, `SET ${q.setId} SAMPLE ${row.id}`);
      }
      const run = runs.detail(q.runId);
      if (!run) throw new ApiError('not_found', `run ${q.runId} does not exist`);
      const system = run.spec.system;
      if (!isMoleculeSystem(system.name)) throw new ApiError('invalid_input', `run ${q.runId} is a ${system.name} run, not a molecule`, [{ path: 'runId', message: 'not a molecule run' }]);
      let molecule: MoleculeSource;
      try {
        molecule = resolveMolecule(system, samples)!;
      } catch (e) {
        if (e instanceof StoredInputError) throw new ApiError('not_found', `run ${q.runId}'s structure: ${e.message}`);
        throw e;
      }
      return structure(system.name, system.params, molecule, q.x, null, `RUN ${q.runId}`);
    },
  };
}

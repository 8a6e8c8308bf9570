import type { SamplesRepo } from '../../../db/repositories/samples';
import type { JobInputs } from '../../../contract/jobs';
import type { RunSpec } from '../../../contract/run-spec';
import { systemDim, type MoleculeSource } from '../../../contract/systems';
import { moleculeResources, resolveMolecule, templateAtoms } from '../molecules';
import { StoredInputError } from './stored-input-error';

export { StoredInputError };

/** What a run reads from the database before it runs, and the molecule its sets are stored with. */
export interface RunInputs {
  readonly inputs: JobInputs;
  /** The run's molecule (null for model systems): every set the run stores carries it. */
  readonly molecule: MoleculeSource | null;
}

/** Same atoms in the same order (names and residues): coordinates of one molecule fit the other. */
function sameAtoms(a: string, b: string): boolean {
  const x = templateAtoms(a), y = templateAtoms(b);
  return x.length === y.length && x.every((p, i) => p.name === y[i]!.name && p.resName === y[i]!.resName && p.resSeq === y[i]!.resSeq && p.chain === y[i]!.chain);
}

/**
 * The stored inputs a spec names, checked against the run's system and (with `read`) read as
 * float64: the molecule (every method; `system.structure` for an imported one), and for generator
 * runs while training remains (`training`) the training data (`data.source: "samples"`) or a
 * start row (`data.start: {setId, index}`). Checked when a run is started (the API answers with
 * the field) and read when it runs. A molecule's dimension is its atom count × 3.
 */
export function resolveRunInputs(samples: SamplesRepo, spec: RunSpec, o: { read: boolean; training: boolean }): RunInputs {
  const molecule = resolveMolecule(spec.system, samples);
  const base = { data: null, start: null, molecule: o.read && molecule ? moleculeResources(molecule) : null };
  const none = { inputs: base, molecule };
  if (spec.method !== 'generator') return none;
  const dim = molecule ? 3 * templateAtoms(molecule.pdb).length : systemDim(spec.system.name, spec.system.params)!;
  // Explicit coordinates: the contract checks them where the dimension follows from the params alone.
  const d = spec.data;
  const explicit: [string, unknown][] = [
    ['data.start', d?.source === 'configuration' ? d.start : undefined],
    ['analysis.pathFrom', spec.analysis.pathFrom],
    ['analysis.pathTo', spec.analysis.pathTo],
  ];
  for (const [path, v] of explicit) if (Array.isArray(v) && v.length !== dim) throw new StoredInputError(path, `has ${v.length} coordinates; this ${spec.system.name} has ${dim}`);
  const check = (setId: number, path: string): void => {
    const set = samples.getSet(setId);
    if (!set) throw new StoredInputError(path, `sample set ${setId} does not exist`);
    if (set.system !== spec.system.name || set.dim !== dim) throw new StoredInputError(path, `sample set ${setId} holds ${set.system} configurations of ${set.dim} coordinates; this run's system is ${spec.system.name} with ${dim}`);
    const stored = molecule ? samples.molecule(setId) : null;
    if (molecule && (!stored || !sameAtoms(stored.pdb, molecule.pdb))) throw new StoredInputError(path, `sample set ${setId} holds another molecule (its atoms differ from this run's structure)`);
  };
  if (!o.training) return none;
  if (d?.source === 'samples') {
    check(d.setId, 'data.setId');
    return { inputs: { ...base, data: o.read ? samples.coordinates(d.setId) : null }, molecule };
  }
  if (d?.source === 'configuration' && typeof d.start === 'object' && !Array.isArray(d.start)) {
    check(d.start.setId, 'data.start.setId');
    const n = samples.getSet(d.start.setId)!.n;
    if (d.start.index >= n) throw new StoredInputError('data.start.index', `sample set ${d.start.setId} has ${n} rows (0…${n - 1})`);
    return { inputs: { ...base, start: o.read ? samples.coordinates(d.start.setId, d.start.index) : null }, molecule };
  }
  return none;
}

/** `resolveRunInputs` for a run that trains; `read` false only checks (runs:start). */
export function resolveStoredInputs(samples: SamplesRepo, spec: RunSpec, read = true): JobInputs {
  return resolveRunInputs(samples, spec, { read, training: true }).inputs;
}

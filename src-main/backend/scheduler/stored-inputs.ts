import type { SamplesRepo } from '../../../db/repositories/samples';
import type { JobInputs } from '../../../contract/jobs';
import type { RunSpec } from '../../../contract/run-spec';
import { systemDim, type MoleculeSource } from '../../../contract/systems';
import { costIssues, estimateCost, type CostLimits } from '../../../contract/run-spec/cost';
import { moleculeResources, resolveMolecule, templateAtoms } from '../molecules';
import { StoredInputError } from './stored-input-error';

export { StoredInputError };

/** Same atoms in the same order (names and residues): coordinates of one molecule fit the other. */
function sameAtoms(a: string, b: string): boolean {
  const x = templateAtoms(a), y = templateAtoms(b);
  return x.length === y.length && x.every((p, i) => p.name === y[i]!.name && p.resName === y[i]!.resName && p.resSeq === y[i]!.resSeq && p.chain === y[i]!.chain);
}

/**
 * The one check of what a validated spec names in the database, made when the run is started (the
 * API answers with the field): the molecule (every method; `system.structure` for an imported
 * one), and for generator runs the training data (`data.source: "samples"`), a start row
 * (`data.start: {setId, index}`) and explicit coordinates against the system's dimension (a
 * molecule's is its atom count × 3), and the run's estimated memory and work against `limits`
 * (contract/run-spec/cost.ts), named at the field that drives the largest part. Returns the resolved molecule, which is stored with the run.
 */
export function prepareRun(samples: SamplesRepo, spec: RunSpec, limits: CostLimits): MoleculeSource | null {
  const molecule = resolveMolecule(spec.system, samples);
  const dim = molecule ? 3 * templateAtoms(molecule.pdb).length : systemDim(spec.system.name, spec.system.params)!;
  const over = costIssues(estimateCost(spec, dim), limits)[0];
  if (over) throw new StoredInputError(over.path, over.message);
  if (spec.method !== 'generator') return molecule;
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
  if (d?.source === 'samples') check(d.setId, 'data.setId');
  if (d?.source === 'configuration' && typeof d.start === 'object' && !Array.isArray(d.start)) {
    check(d.start.setId, 'data.start.setId');
    const n = samples.getSet(d.start.setId)!.n;
    if (d.start.index >= n) throw new StoredInputError('data.start.index', `sample set ${d.start.setId} has ${n} rows (0…${n - 1})`);
  }
  return molecule;
}

/**
 * Read a prepared run's stored inputs as float64 for its job: the molecule's texts, and with
 * `withData` the training data or the start row. Nothing is re-checked: a set deleted since the
 * run was started fails the run with the set named.
 */
export function readRunInputs(samples: SamplesRepo, spec: RunSpec, molecule: MoleculeSource | null, withData: boolean): JobInputs {
  const inputs: JobInputs = { data: null, start: null, molecule: molecule ? moleculeResources(molecule) : null };
  if (spec.method !== 'generator' || !withData) return inputs;
  const d = spec.data;
  const read = (setId: number, index?: number): Float64Array => {
    if (!samples.getSet(setId)) throw new StoredInputError(index === undefined ? 'data.setId' : 'data.start.setId', `sample set ${setId} no longer exists`);
    return index === undefined ? samples.coordinates(setId) : samples.coordinates(setId, index);
  };
  if (d?.source === 'samples') return { ...inputs, data: read(d.setId) };
  if (d?.source === 'configuration' && typeof d.start === 'object' && !Array.isArray(d.start)) return { ...inputs, start: read(d.start.setId, d.start.index) };
  return inputs;
}

import type { SamplesRepo } from '../../../db/repositories/samples';
import type { JobInputs } from '../../../workers/protocol';
import type { RunSpec } from '../../contract/run-spec';
import { systemDim } from '../../contract/systems';

/** A spec field that names a stored sample set the run cannot use. */
export class StoredInputError extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(`${path}: ${message}`);
  }
}

/**
 * The stored sets a generator spec names — training data (`data.source: "samples"`) or a start
 * row (`data.start: {setId, index}`) — checked against the run's system and read as float64.
 * Checked when a run is started (the API answers with the field) and read when it runs.
 */
export function resolveStoredInputs(samples: SamplesRepo, spec: RunSpec, read = true): JobInputs {
  const none = { data: null, start: null };
  if (spec.method !== 'generator') return none;
  const d = spec.data;
  const check = (setId: number, path: string): void => {
    const set = samples.getSet(setId);
    if (!set) throw new StoredInputError(path, `sample set ${setId} does not exist`);
    const dim = systemDim(spec.system.name, spec.system.params);
    if (set.system !== spec.system.name || set.dim !== dim) throw new StoredInputError(path, `sample set ${setId} holds ${set.system} configurations of ${set.dim} coordinates; this run's system is ${spec.system.name} with ${dim}`);
  };
  if (d?.source === 'samples') {
    check(d.setId, 'data.setId');
    return { data: read ? samples.coordinates(d.setId) : null, start: null };
  }
  if (d?.source === 'configuration' && typeof d.start === 'object' && !Array.isArray(d.start)) {
    check(d.start.setId, 'data.start.setId');
    const n = samples.getSet(d.start.setId)!.n;
    if (d.start.index >= n) throw new StoredInputError('data.start.index', `sample set ${d.start.setId} has ${n} rows (0…${n - 1})`);
    return { data: null, start: read ? samples.coordinates(d.start.setId, d.start.index) : null };
  }
  return none;
}

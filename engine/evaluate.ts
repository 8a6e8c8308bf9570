import { stateIndices } from '../contract/states';
import type { ModelSystem } from './energies/types';

/** Float64 energy, RC and state of every configuration in a set of rows. */
export interface EvaluatedRows {
  readonly u: Float64Array;
  readonly rc: Float64Array;
  /** `stateIndices` of `rc`: 0 for state A, 1 for state B, −1 for neither. */
  readonly state: Int8Array;
}

/**
 * Reduced energy (`energy64`), RC (`rc64`) and state of each row of `x` (row-major, `system.dim`
 * columns): what a stored sample set carries for configurations that were not generated
 * (reference data, imports).
 */
export function evaluateRows(system: Pick<ModelSystem, 'dim' | 'energy64' | 'rc64' | 'states'>, x: Float64Array): EvaluatedRows {
  const dim = system.dim;
  const n = x.length / dim;
  const u = new Float64Array(n);
  const rc = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const row = x.subarray(i * dim, (i + 1) * dim);
    u[i] = system.energy64(row);
    rc[i] = system.rc64(row);
  }
  return { u, rc, state: stateIndices(rc, system.states) };
}

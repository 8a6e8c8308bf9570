import type { SampleSetDto } from '../../contract/api';
import { isSystemName, systemDim } from '../../contract/systems';
import type { SamplesRepo } from '../../../db/repositories/samples';
import { importConfigurations, type ImportFormat } from './index';

export interface ImportRequest {
  readonly projectId: number;
  readonly system: { readonly name: string; readonly params: Record<string, number> };
  readonly format: ImportFormat;
  readonly text: string;
  readonly name?: string | undefined;
}

/**
 * Parse configurations (ImportError with the line on malformed input) and store them as an
 * `imported` sample set with their energies, RC and state, equally weighted: a starting
 * configuration or training data for a run (`data.source: "samples"`).
 */
export async function importSampleSet(samples: SamplesRepo, r: ImportRequest): Promise<SampleSetDto> {
  if (!isSystemName(r.system.name)) throw new Error(`unknown system '${r.system.name}'`);
  const dim = systemDim(r.system.name, r.system.params);
  const { x, n } = importConfigurations(r.text, r.format, { name: r.system.name, params: r.system.params, dim });
  if (n === 0) throw new Error('the file holds no configurations');
  const { createSystem } = await import('../../../workers/engine/energies/index');
  const sys = createSystem(r.system.name, r.system.params);
  const u = new Float64Array(n);
  const rc = new Float64Array(n);
  const state = new Int8Array(n);
  for (let i = 0; i < n; i++) {
    const row = x.subarray(i * dim, (i + 1) * dim);
    u[i] = sys.energy64(row);
    rc[i] = sys.rc64(row);
    state[i] = sys.states.findIndex((s) => rc[i]! >= s.min && rc[i]! < s.max);
  }
  const set = samples.createSet({ projectId: r.projectId, runId: null, kind: 'imported', name: r.name ?? `imported ${r.format}`, system: r.system.name, params: r.system.params, dim, tau: null, essFraction: null });
  await samples.insertAll(set.id, { x: Float32Array.from(x), u, logw: null, w: new Float64Array(n).fill(1 / n), rc, state }, n);
  return samples.getSet(set.id)!;
}

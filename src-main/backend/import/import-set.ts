import type { SampleSetDto } from '../../../contract/api';
import { isMoleculeSystem, isSystemName, systemDim, type MoleculeSource, type SystemName } from '../../../contract/systems';
import type { SamplesRepo } from '../../../db/repositories/samples';
import type { ModelSystem } from '../../../engine/energies/types';
import { evaluateRows } from '../../../engine/evaluate';
import { buildSystem } from '../molecules';
import { importConfigurations, ImportError, type ImportFormat } from './';
import { readMolecule } from './molecule';
import { systemParamIssues } from '../../../contract/run-spec/parts';

export interface ImportRequest {
  readonly projectId: number;
  readonly system: { readonly name: string; readonly params: Record<string, number>; readonly forcefield?: string | undefined };
  readonly format: ImportFormat;
  readonly text: string;
  readonly name?: string | undefined;
}

/** A model system's configurations (no force field: it is no molecule). */
async function readModelSystem(name: Exclude<SystemName, 'alanine-dipeptide' | 'molecule'>, r: ImportRequest): Promise<{ system: ModelSystem; x: Float64Array; n: number }> {
  if (r.system.forcefield !== undefined) throw new ImportError(`${name} is not a molecule: it takes no force field`);
  const dim = systemDim(name, r.system.params)!;
  const { x, n } = importConfigurations(r.text, r.format, { name, params: r.system.params, dim });
  return { system: (await buildSystem(name, r.system.params, null)).system, x, n };
}

/**
 * Parse configurations (ImportError with the line on malformed input) and store them as an
 * `imported` sample set with their energies, RC and state, equally weighted: a starting
 * configuration or training data for a run (`data.source: "samples"`), or for a molecule its
 * structure (`system.structure`). A molecule's set carries its template and force field. Every
 * check (parsing, typing the molecule, energies) comes before anything is stored.
 */
export async function importSampleSet(samples: SamplesRepo, r: ImportRequest): Promise<SampleSetDto> {
  const name = r.system.name;
  if (!isSystemName(name)) throw new Error(`unknown system '${name}'`);
  const bad = systemParamIssues(name, r.system.params);
  if (bad.length) throw new ImportError(bad.map((i) => `system.params.${i.key} ${i.message}`).join('; '));
  let read: { system: ModelSystem; x: Float64Array; n: number; molecule: MoleculeSource | null };
  if (isMoleculeSystem(name)) {
    const m = await readMolecule(name, { params: r.system.params, forcefield: r.system.forcefield, format: r.format, text: r.text });
    read = { system: m.built.system, x: m.x, n: m.n, molecule: m.molecule };
  } else read = { ...(await readModelSystem(name, r)), molecule: null };
  const { system: sys, x, n, molecule } = read;
  if (n === 0) throw new Error('the file holds no configurations');
  const dim = sys.dim;
  const { u, rc, state } = evaluateRows(sys, x);
  const set = samples.createSet({ projectId: r.projectId, runId: null, kind: 'imported', name: r.name ?? `imported ${r.format}`, system: name, params: r.system.params, dim, tau: null, essFraction: null, molecule });
  await samples.insertAll(set.id, { x: Float32Array.from(x), u, logw: null, w: new Float64Array(n).fill(1 / n), rc, state }, n);
  return samples.getSet(set.id)!;
}

import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { SamplesRepo } from '../../../db/repositories/samples';
import { Rng } from '../../../engine/rng';
import { isMoleculeSystem, isSystemName, SYSTEM_STATES } from '../../../contract/systems';
import { fileTopology } from '../molecules';
import { writeSampleRowsCsv } from './csv';
import { writeSampleRowsPdb } from './pdb';
import { resampleIndices, resampledRows } from './resampled';
import type { SampleRow } from '../../../contract/sample-row';
import { abortError } from '../../../engine/cancel';

export interface ExportRequest {
  readonly setId: number;
  readonly format: 'csv' | 'pdb';
  /** N unweighted samples by systematic resampling; absent: every sample with its weight. */
  readonly resample?: number | undefined;
  readonly path: string;
  readonly seed: number;
  /** Replace an existing file; files in `protect` (the database's own) are never written. */
  readonly overwrite: boolean;
  readonly protect: readonly string[];
  /** Stops the export between rows (a download whose client went away): the partial file is removed. */
  readonly signal?: AbortSignal | undefined;
}

/** Rows until `signal` aborts (checked every 1 024 rows), then an AbortError: the writers remove their partial file. */
function* abortable(rows: Iterable<SampleRow>, signal: AbortSignal | undefined): Generator<SampleRow> {
  let k = 0;
  for (const row of rows) {
    if ((k++ & 1023) === 0 && signal?.aborted) throw abortError();
    yield row;
  }
}

/** Refused before anything is read or written (the service answers `conflict`). */
export class ExportTargetError extends Error {}

/** Stream a stored sample set to a CSV or PDB file (one chunk of rows in memory at a time). */
export async function exportSampleSet(samples: SamplesRepo, r: ExportRequest): Promise<{ path: string; rows: number; bytes: number }> {
  const set = samples.getSet(r.setId);
  if (!set) throw new Error(`sample set ${r.setId} does not exist`);
  if (!isSystemName(set.system)) throw new Error(`sample set ${r.setId} has unknown system '${set.system}'`);
  const out = resolve(r.path);
  if (r.protect.some((p) => resolve(p) === out)) throw new ExportTargetError(`${out} is one of the database's own files`);
  if (!r.overwrite && existsSync(out)) throw new ExportTargetError(`${out} exists (pass overwrite to replace it)`);
  // Files name states as the system does ('left', 'closed', …), like `bgw run --out`'s samples.csv;
  // a molecule's set carries its structure, whose atoms and bonds the PDB writes.
  const molecule = samples.molecule(r.setId);
  if (isMoleculeSystem(set.system) && !molecule) throw new Error(`sample set ${r.setId} (${set.system}) has no stored structure`);
  const topology = fileTopology(set.system, samples.params(r.setId), molecule);
  const [A, B] = SYSTEM_STATES[set.system];
  const named = function* (rows: Iterable<SampleRow>): Generator<SampleRow> {
    for (const row of rows) yield { ...row, state: row.state === 'A' ? A.name : row.state === 'B' ? B.name : null };
  };
  const rows0 = r.resample ? resampledRows(samples.iterate(r.setId), resampleIndices(samples.weights(r.setId), r.resample, new Rng(r.seed))) : samples.iterate(r.setId);
  const n = r.resample ?? set.n;
  const rows = abortable(named(rows0), r.signal);
  const written = r.format === 'csv' ? await writeSampleRowsCsv(out, set.dim, rows) : await writeSampleRowsPdb(out, topology, rows, n);
  return { path: out, rows: written, bytes: (await stat(out)).size };
}

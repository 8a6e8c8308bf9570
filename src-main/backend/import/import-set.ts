import type { SampleSetDto } from '../../../contract/api';
import { isSystemName } from '../../../contract/systems';
import { systemParamIssues } from '../../../contract/run-spec/parts';
import type { SamplesRepo } from '../../../db/repositories/samples';
import { evaluateRows } from '../../../engine/evaluate';
import { ImportError, type ImportFormat } from './';
import { openRows, type ImportSource, type RowSource } from './rows';

export type { ImportSource };

export interface ImportRequest {
  readonly projectId: number;
  readonly system: { readonly name: string; readonly params: Record<string, number>; readonly forcefield?: string | undefined };
  readonly format: ImportFormat;
  readonly source: ImportSource;
  readonly name?: string | undefined;
}

export interface ImportProgress {
  readonly bytes: number;
  readonly totalBytes: number;
  readonly rows: number;
}

export interface ImportOptions {
  readonly signal?: AbortSignal | undefined;
  readonly onProgress?: ((p: ImportProgress) => void) | undefined;
  /** The importing process, recorded on the set until it is complete (a killed import is discarded at the next open). */
  readonly pid?: number | undefined;
  /** Called once the (incomplete) set exists. */
  readonly onCreated?: ((setId: number) => void) | undefined;
}

/** A batch is ~4 MB of float64 coordinates: memory stays a few batches whatever the file's size. */
const BATCH_BYTES = 4 * 1024 * 1024;

/** Rows per stored part: whole coordinate chunks (what `appendRows` requires), about BATCH_BYTES. */
function partRows(dim: number): number {
  const chunk = Math.max(1, Math.floor((64 * 1024) / (4 * dim)));
  return chunk * Math.max(1, Math.floor(BATCH_BYTES / (8 * dim) / chunk));
}

/**
 * Stream configurations into an `imported` sample set with their energies, RC and state, equally
 * weighted: a starting configuration or training data for a run (`data.source: "samples"`), or for
 * a molecule its structure (`system.structure`). Memory is a few batches whatever the input's size.
 * A malformed line (ImportError with the line), a cancel (`signal`: AbortError) or any other
 * failure discards the part already stored: readers only ever see complete sets.
 */
export async function importSampleSet(samples: SamplesRepo, r: ImportRequest, o: ImportOptions = {}): Promise<SampleSetDto> {
  const name = r.system.name;
  if (!isSystemName(name)) throw new ImportError(`unknown system '${name}'`);
  const bad = systemParamIssues(name, r.system.params);
  if (bad.length) throw new ImportError(bad.map((i) => `system.params.${i.key} ${i.message}`).join('; '));
  const src = await openRows({ ...r, system: { ...r.system, name } }, partRows);
  const rows = partRows(src.system.dim);
  let setId: number | null = null;
  try {
    setId = await store(samples, r, src, rows, o, (id) => (setId = id));
    return samples.getSet(setId)!;
  } catch (e) {
    src.close();
    if (setId !== null) await samples.discardSet(setId);
    throw e;
  }
}

/** Parts of `rows` rows (the last shorter), each evaluated and appended; then the set is finished. */
async function store(samples: SamplesRepo, r: ImportRequest, src: RowSource, rows: number, o: ImportOptions, created: (id: number) => void): Promise<number> {
  const dim = src.system.dim;
  let part = new Float64Array(rows * dim);
  let fill = 0;
  let stored = 0;
  let setId: number | null = null;
  const flush = (): void => {
    if (fill === 0) return;
    if (setId === null) {
      setId = samples.createSet({ projectId: r.projectId, runId: null, kind: 'imported', name: r.name ?? `imported ${r.format}`, system: r.system.name, params: r.system.params, dim, tau: null, essFraction: null, molecule: src.molecule }).id;
      if (o.pid !== undefined) samples.claimImport(setId, o.pid);
      created(setId);
      o.onCreated?.(setId);
    }
    const x = part.subarray(0, fill * dim);
    const { u, rc, state } = evaluateRows(src.system, x);
    samples.appendRows(setId, { x: Float32Array.from(x), u, logw: null, w: new Float64Array(fill).fill(1), rc, state }, fill, stored);
    stored += fill;
    fill = 0;
    o.onProgress?.({ bytes: src.bytesRead(), totalBytes: src.totalBytes, rows: stored });
  };
  for await (const b of src.batches) {
    o.signal?.throwIfAborted();
    // Re-cut the parser's batches into parts of whole chunks.
    for (let i = 0; i < b.n; ) {
      const take = Math.min(b.n - i, rows - fill);
      part.set(b.rows.subarray(i * dim, (i + take) * dim), fill * dim);
      fill += take;
      i += take;
      if (fill === rows) flush();
    }
    await new Promise<void>((res) => setImmediate(res));
  }
  flush();
  if (setId === null) throw new ImportError('the file holds no configurations');
  part = new Float64Array(0);
  await samples.finishParts(setId, { equalWeights: true, signal: o.signal });
  o.onProgress?.({ bytes: src.totalBytes, totalBytes: src.totalBytes, rows: stored });
  return setId;
}

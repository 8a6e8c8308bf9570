import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { stringify } from 'csv-stringify';
import type { SampleRow } from '../../../contract/sample-row';

/** Shortest text that round-trips a float32 (9 significant digits always suffice). */
function f32(v: number): string {
  return String(Number(v.toPrecision(9)));
}

const cell = (v: number | null): string => (v === null ? '' : String(v));

/**
 * Stream sample rows to `path` as CSV: `id, x0..x{dim−1}, energy, logw, weight, rc, state`, the
 * columns of the CLI's samples.csv plus the sample id. Coordinates are float32 written shortest
 * round-tripping; energies, log-weights, weights and RC at full double precision; null is an
 * empty cell. Rows are pulled lazily through the pipeline (backpressure), so memory stays flat.
 * The file is written to `path.partial` and renamed at the end: a failed export leaves no half file.
 * Resolves to the number of rows written.
 */
export async function writeSampleRowsCsv(path: string, dim: number, rows: Iterable<SampleRow>): Promise<number> {
  const columns = ['id', ...Array.from({ length: dim }, (_, j) => `x${j}`), 'energy', 'logw', 'weight', 'rc', 'state'];
  let written = 0;
  function* records(): Generator<string[]> {
    for (const r of rows) {
      if (r.x.length !== dim) throw new Error(`sample ${r.id} has ${r.x.length} coordinates, expected ${dim}`);
      const rec: string[] = new Array(dim + 6);
      rec[0] = String(r.id);
      for (let j = 0; j < dim; j++) rec[j + 1] = f32(r.x[j]!);
      rec[dim + 1] = cell(r.u);
      rec[dim + 2] = cell(r.logw);
      rec[dim + 3] = String(r.w);
      rec[dim + 4] = cell(r.rc);
      rec[dim + 5] = r.state ?? '';
      written++;
      yield rec;
    }
  }
  const partial = `${path}.partial`;
  try {
    await pipeline(Readable.from(records()), stringify({ header: true, columns }), createWriteStream(partial));
    await rename(partial, path);
  } catch (e) {
    await rm(partial, { force: true });
    throw e;
  }
  return written;
}

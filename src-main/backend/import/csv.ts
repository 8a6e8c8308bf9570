import { CsvError, parse as parseSync } from 'csv-parse/sync';
import { parse as parseStream, type Info } from 'csv-parse';
import type { Readable } from 'node:stream';
import { ImportError, parseDecimal } from './parse-error';

/**
 * Configurations from CSV, n rows of `dim` coordinates. Two layouts:
 * - a header naming x0..x{dim−1} (in any order; other columns such as id, energy, weight are
 *   ignored, so the project's own sample export re-imports), then rows of the header's width;
 * - no header: every row exactly `dim` numbers.
 * The first record is a header if a non-empty cell is not a number. Blank lines are skipped. Errors
 * are ImportErrors with the 1-based line (csv-parse's `info.lines`, the record's last line).
 */
const OPTIONS = { info: true, bom: true, relax_column_count: true, skip_empty_lines: true } as const;

type CsvRecord = { record: string[]; info: Pick<Info, 'lines'> };

/** Reads records one at a time: the first decides the layout, each data record fills `dim` numbers. */
class CsvLayout {
  private width: number;
  private cols: number[];
  private hasHeader = false;
  private seen = false;

  constructor(private readonly dim: number) {
    this.width = dim;
    this.cols = Array.from({ length: dim }, (_, j) => j);
  }

  /** Writes the record's coordinates at `out[at…]`; false for the header record. */
  read({ record, info }: CsvRecord, out: Float64Array, at: number): boolean {
    if (!this.seen) {
      this.seen = true;
      this.hasHeader = record.some((c) => c.trim() !== '' && Number.isNaN(parseDecimal(c)));
      if (this.hasHeader) {
        this.header(record.map((c) => c.trim()), info.lines);
        return false;
      }
    }
    if (record.length !== this.width)
      throw new ImportError(`${record.length} columns, expected ${this.width}${this.hasHeader ? ' (as in the header)' : ` (dim ${this.dim})`}`, info.lines);
    this.cols.forEach((c, j) => {
      const v = parseDecimal(record[c]!);
      if (!Number.isFinite(v)) throw new ImportError(`column ${c + 1} is not a number: '${record[c]}'`, info.lines);
      out[at + j] = v;
    });
    return true;
  }

  private header(names: string[], line: number): void {
    this.width = names.length;
    this.cols = this.cols.map((j) => {
      const at = names.indexOf(`x${j}`);
      if (at < 0) throw new ImportError(`header has no column x${j} (needs x0..x${this.dim - 1})`, line);
      if (names.indexOf(`x${j}`, at + 1) >= 0) throw new ImportError(`header names x${j} twice`, line);
      return at;
    });
  }

  finish(lastLine: number | null): void {
    if (!this.seen) throw new ImportError('no rows');
    if (this.hasHeader) throw new ImportError('no data rows after the header', lastLine);
  }
}

function csvFault(e: unknown): unknown {
  return e instanceof CsvError ? new ImportError(e.message, typeof e.lines === 'number' ? e.lines : null) : e;
}

/** A whole CSV text (small inputs: a start, a test's file). */
export function parseCoordinatesCsv(text: string, dim: number): { rows: Float64Array; n: number } {
  let records: CsvRecord[];
  try {
    // With `info`, each record comes as { record, info }; the typings only know plain arrays.
    records = parseSync(text, OPTIONS) as unknown as CsvRecord[];
  } catch (e) {
    throw csvFault(e);
  }
  const layout = new CsvLayout(dim);
  const rows = new Float64Array(records.length * dim);
  let n = 0;
  for (const r of records) if (layout.read(r, rows, n * dim)) n++;
  if (n === 0) layout.finish(records[0]?.info.lines ?? null);
  return { rows: rows.slice(0, n * dim), n };
}

/**
 * A CSV stream as batches of at most `batchRows` rows (the last may be shorter): memory is one
 * batch whatever the file's size.
 */
export async function* csvBatches(input: Readable, dim: number, batchRows: number): AsyncGenerator<{ rows: Float64Array; n: number }> {
  const layout = new CsvLayout(dim);
  let rows = new Float64Array(batchRows * dim);
  let n = 0;
  let any = false;
  let lastLine: number | null = null;
  const parser = input.pipe(parseStream(OPTIONS));
  input.once('error', (e) => parser.destroy(e));
  try {
    for await (const r of parser as AsyncIterable<CsvRecord>) {
      lastLine = r.info.lines;
      if (!layout.read(r, rows, n * dim)) continue;
      any = true;
      if (++n === batchRows) {
        yield { rows, n };
        rows = new Float64Array(batchRows * dim);
        n = 0;
      }
    }
  } catch (e) {
    throw csvFault(e);
  } finally {
    input.destroy();
  }
  if (!any) layout.finish(lastLine);
  if (n > 0) yield { rows: rows.subarray(0, n * dim), n };
}

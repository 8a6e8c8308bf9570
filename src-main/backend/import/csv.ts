import { CsvError, parse } from 'csv-parse/sync';
import { ImportError, parseDecimal } from './parse-error';

/**
 * Configurations from CSV, n rows of `dim` coordinates. Two layouts:
 * - a header naming x0..x{dim−1} (in any order; other columns such as id, energy, weight are
 *   ignored, so the project's own sample export re-imports), then rows of the header's width;
 * - no header: every row exactly `dim` numbers.
 * The first record is a header if a non-empty cell is not a number. Blank lines are skipped. Errors
 * are ImportErrors with the 1-based line (csv-parse's `info.lines`, the record's last line).
 */
export function parseCoordinatesCsv(text: string, dim: number): { rows: Float64Array; n: number } {
  let records: { record: string[]; info: { lines: number } }[];
  try {
    // With `info`, each record comes as { record, info }; the typings only know plain arrays.
    records = parse(text, { info: true, bom: true, relax_column_count: true, skip_empty_lines: true }) as unknown as typeof records;
  } catch (e) {
    if (e instanceof CsvError) throw new ImportError(e.message, typeof e.lines === 'number' ? e.lines : null);
    throw e;
  }
  const first = records[0];
  if (!first) throw new ImportError('no rows');
  const hasHeader = first.record.some((c) => c.trim() !== '' && Number.isNaN(parseDecimal(c)));
  let width = dim;
  let cols = Array.from({ length: dim }, (_, j) => j);
  if (hasHeader) {
    const names = first.record.map((c) => c.trim());
    width = names.length;
    cols = cols.map((j) => {
      const at = names.indexOf(`x${j}`);
      if (at < 0) throw new ImportError(`header has no column x${j} (needs x0..x${dim - 1})`, first.info.lines);
      if (names.indexOf(`x${j}`, at + 1) >= 0) throw new ImportError(`header names x${j} twice`, first.info.lines);
      return at;
    });
  }
  const data = hasHeader ? records.slice(1) : records;
  if (data.length === 0) throw new ImportError('no data rows after the header', first.info.lines);
  const rows = new Float64Array(data.length * dim);
  data.forEach(({ record, info }, i) => {
    if (record.length !== width)
      throw new ImportError(`${record.length} columns, expected ${width}${hasHeader ? ' (as in the header)' : ` (dim ${dim})`}`, info.lines);
    cols.forEach((c, j) => {
      const v = parseDecimal(record[c]!);
      if (!Number.isFinite(v)) throw new ImportError(`column ${c + 1} is not a number: '${record[c]}'`, info.lines);
      rows[i * dim + j] = v;
    });
  });
  return { rows, n: data.length };
}

import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { stringify } from 'csv-stringify';
import type { StateDef } from '../../workers/engine/energies/types';
import { normalizedWeights } from '../../workers/engine/reweighting';
import type { GeneratedSamples } from '../../workers/engine/sampling';

/** Shortest text that round-trips a float32 (9 significant digits always suffice). */
function f32(v: number): string {
  return String(Number(v.toPrecision(9)));
}

/**
 * Stream samples to CSV: `x0..x{dim−1}, energy, logw, weight, rc, state`, one row per sample.
 * Rows are produced on demand with backpressure, so memory stays flat for millions of rows.
 */
export async function writeSamplesCsv(path: string, s: GeneratedSamples, states: readonly [StateDef, StateDef]): Promise<void> {
  const weights = normalizedWeights(s.logw);
  const n = s.logw.length;
  const header = [...Array.from({ length: s.dim }, (_, j) => `x${j}`), 'energy', 'logw', 'weight', 'rc', 'state'];
  const out = createWriteStream(path);
  const csv = stringify({ header: true, columns: header });
  csv.pipe(out);
  for (let i = 0; i < n; i++) {
    const row: string[] = new Array(s.dim + 5);
    for (let j = 0; j < s.dim; j++) row[j] = f32(s.x[i * s.dim + j]!);
    row[s.dim] = String(s.u[i]);
    row[s.dim + 1] = String(s.logw[i]);
    row[s.dim + 2] = String(weights[i]);
    row[s.dim + 3] = String(s.rc[i]);
    const st = s.state[i]!;
    row[s.dim + 4] = st >= 0 ? states[st]!.name : '';
    if (!csv.write(row)) await once(csv, 'drain');
  }
  csv.end();
  await once(out, 'finish');
}

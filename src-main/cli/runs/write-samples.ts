import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { stringify } from 'csv-stringify';
import type { StateDef } from '../../../contract/states';
import { normalizedWeights } from '../../../engine/reweighting';
import type { GeneratedSamples } from '../../../engine/sampling';
import type { UmbrellaWindow } from '../../../contract/jobs';

/** Shortest text that round-trips a float32 (9 significant digits always suffice). */
function f32(v: number): string {
  return String(Number(v.toPrecision(9)));
}

/**
 * Stream `n` rows to a CSV file with a header. Rows are produced on demand with backpressure, so
 * memory stays flat for millions of rows.
 */
async function streamCsv(path: string, header: string[], n: number, row: (i: number) => string[]): Promise<void> {
  const out = createWriteStream(path);
  const csv = stringify({ header: true, columns: header });
  csv.pipe(out);
  for (let i = 0; i < n; i++) if (!csv.write(row(i))) await once(csv, 'drain');
  csv.end();
  await once(out, 'finish');
}

const coordinateNames = (dim: number): string[] => Array.from({ length: dim }, (_, j) => `x${j}`);

function stateName(rc: number, states: readonly [StateDef, StateDef]): string {
  return states.find((s) => rc >= s.min && rc < s.max)?.name ?? '';
}

/** Generated samples: `x0..x{dim−1}, energy, logw, weight, rc, state`, one row per sample. */
export async function writeSamplesCsv(path: string, s: GeneratedSamples, states: readonly [StateDef, StateDef]): Promise<void> {
  const weights = normalizedWeights(s.logw);
  const header = [...coordinateNames(s.dim), 'energy', 'logw', 'weight', 'rc', 'state'];
  await streamCsv(path, header, s.logw.length, (i) => {
    const row: string[] = new Array(s.dim + 5);
    for (let j = 0; j < s.dim; j++) row[j] = f32(s.x[i * s.dim + j]!);
    row[s.dim] = String(s.u[i]);
    row[s.dim + 1] = String(s.logw[i]);
    row[s.dim + 2] = String(weights[i]);
    row[s.dim + 3] = String(s.rc[i]);
    const st = s.state[i]!;
    row[s.dim + 4] = st >= 0 ? states[st]!.name : '';
    return row;
  });
}

/** The exploration buffer: `x0..x{dim−1}, energy, rc, state` (not an equilibrium sample: no weights). */
export async function writeExploredCsv(
  path: string,
  b: { x: Float32Array; u: Float64Array; rc: Float64Array },
  states: readonly [StateDef, StateDef],
): Promise<void> {
  const dim = b.x.length / b.u.length;
  await streamCsv(path, [...coordinateNames(dim), 'energy', 'rc', 'state'], b.u.length, (i) => {
    const row: string[] = new Array(dim + 3);
    for (let j = 0; j < dim; j++) row[j] = f32(b.x[i * dim + j]!);
    row[dim] = String(b.u[i]);
    row[dim + 1] = String(b.rc[i]);
    row[dim + 2] = stateName(b.rc[i]!, states);
    return row;
  });
}

/** Umbrella windows' RC series: `window, center, k, tau, rc`, one row per recorded sample (for re-analysis in other WHAM/MBAR tools). */
export async function writeWindowsCsv(path: string, windows: readonly UmbrellaWindow[], tau: number): Promise<void> {
  const n = windows.reduce((a, w) => a + w.rc.length, 0);
  // Rows are requested in order: walk (window, sample) with a cursor instead of building an index.
  let wi = 0;
  let j = 0;
  await streamCsv(path, ['window', 'center', 'k', 'tau', 'rc'], n, () => {
    while (j >= windows[wi]!.rc.length) {
      wi++;
      j = 0;
    }
    const w = windows[wi]!;
    return [String(wi), String(w.center), String(w.k), String(tau), String(w.rc[j++])];
  });
}

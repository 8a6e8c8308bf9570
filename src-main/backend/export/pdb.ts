import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Topology } from '../../../workers/engine/energies/topology';
import type { SampleRow } from './sample-row';

/**
 * Multi-model PDB (wwPDB v3.3 fixed columns, every line padded to 80) for viewers such as PyMOL,
 * VMD or MDTraj: one MODEL … ENDMDL per sample, HETATM records (pseudo-atoms are no standard
 * residue), coordinates in Å with 1 system unit = 1 Å (see topology.ts).
 *
 * B-factor column = w·N, the sample's weight relative to the average weight 1/N of the N samples
 * exported (1.00 = average; resampled rows, w = 1/N, are all 1.00). The raw w ≤ 1 would print as
 * 0.00 in 6.2f for almost every sample of a large set; w·N stays readable and colours by weight.
 * Clamped to [0, 999.99]; the full-precision weight is in each model's REMARK.
 */

/** Pad a record to the fixed 80 columns; a longer line would break every column-based reader. */
function line(s: string): string {
  if (s.length > 80) throw new Error(`PDB line longer than 80 columns: ${s}`);
  return s.padEnd(80) + '\n';
}

/** Fixed-width decimal; a value that does not fit its columns is an error, never a shifted line. */
function fixed(v: number, width: number, digits: number, what: string): string {
  const s = v.toFixed(digits);
  if (!Number.isFinite(v) || s.length > width) throw new Error(`${what} ${v} does not fit a PDB ${width}.${digits}f field`);
  return s.padStart(width);
}

const remark = (n: number, text: string): string => line(`REMARK ${String(n).padStart(3)} ${text}`);

/** CRYST1 for a rectangular box: a, b, c (9.3f), α, β, γ = 90 (7.2f), space group P 1, Z = 1. */
export function formatCryst1(box: { a: number; b: number; c: number }): string {
  const edges = [box.a, box.b, box.c].map((v) => fixed(v, 9, 3, 'box edge')).join('');
  return line(`CRYST1${edges}${'  90.00'.repeat(3)} ${'P 1'.padEnd(11)}${'1'.padStart(4)}`);
}

/** The REMARK lines, MODEL, one HETATM per atom and ENDMDL of one sample. `model` is 1-based. */
export function formatPdbModel(topology: Topology, row: SampleRow, model: number, nTotal: number): string {
  const { atoms, coordsPerAtom } = topology;
  if (row.x.length !== topology.dim) throw new Error(`sample ${row.id} has ${row.x.length} coordinates, expected ${topology.dim}`);
  if (atoms.length > 99999) throw new Error(`${atoms.length} atoms do not fit PDB's 5-column serial`);
  const b = row.w * nTotal;
  const bFactor = fixed(b > 999.99 ? 999.99 : b >= 0 ? b : 0, 6, 2, 'B-factor');
  // MODEL serial in columns 11-14; past 9999 it widens to the right (as MDTraj's "MODEL     %4d" does).
  let out =
    remark(2, `SAMPLE ${row.id} ENERGY ${row.u ?? 'NULL'}`) +
    remark(2, `LOGW ${row.logw ?? 'NULL'} WEIGHT ${row.w}`) +
    line(`MODEL     ${String(model).padStart(4)}`);
  atoms.forEach((a, i) => {
    if (a.name.length > 4 || a.resName.length > 3 || a.chain.length !== 1 || a.element.length > 2 || !(a.resSeq >= -999 && a.resSeq <= 9999))
      throw new Error(`atom ${i + 1} (${a.name} ${a.resName} ${a.resSeq}) does not fit the PDB columns`);
    const xyz = [0, 1, 2].map((c) => {
      const k = i * coordsPerAtom + c;
      return fixed(c < coordsPerAtom && k < row.x.length ? row.x[k]! : 0, 8, 3, `sample ${row.id} coordinate`);
    });
    // Names shorter than 4 characters start in column 14 (column 13 is the element's first letter).
    const name = a.name.length >= 4 ? a.name : ` ${a.name}`.padEnd(4);
    out += line(
      `HETATM${String(i + 1).padStart(5)} ${name} ${a.resName.padStart(3)} ${a.chain}${String(a.resSeq).padStart(4)}    ` +
        `${xyz.join('')}${'1.00'.padStart(6)}${bFactor}${' '.repeat(10)}${a.element.padStart(2)}`,
    );
  });
  return out + line('ENDMDL');
}

/**
 * Stream samples to `path` as a multi-model PDB; `nTotal` is the number of samples exported (the
 * N of the B-factor w·N). Written to `path.partial` and renamed at the end, so a failed export
 * leaves no half file. Resolves to the number of models written.
 */
export async function writeSampleRowsPdb(path: string, topology: Topology, rows: Iterable<SampleRow>, nTotal: number): Promise<number> {
  if (!(Number.isInteger(nTotal) && nTotal >= 1)) throw new Error(`writeSampleRowsPdb: nTotal must be an integer ≥ 1, got ${nTotal}`);
  let written = 0;
  function* chunks(): Generator<string> {
    yield remark(1, 'BGW SAMPLES; REDUCED UNITS WRITTEN AS 1 UNIT = 1 ANGSTROM');
    yield remark(1, `B-FACTOR = WEIGHT * N, N = ${nTotal} (1.00 = MEAN WEIGHT), MAX 999.99`);
    if (topology.box) {
      yield remark(1, 'CRYST1 IS THE WALLED BOX (NOT PERIODIC), CENTRED ON THE ORIGIN');
      yield formatCryst1(topology.box);
    }
    for (const row of rows) yield formatPdbModel(topology, row, ++written, nTotal);
    yield line('END');
  }
  const partial = `${path}.partial`;
  try {
    await pipeline(Readable.from(chunks()), createWriteStream(partial));
    await rename(partial, path);
  } catch (e) {
    await rm(partial, { force: true });
    throw e;
  }
  return written;
}

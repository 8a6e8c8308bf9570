import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Topology } from '../../../engine/energies/topology';
import { atomRecord, conectRecords, fixed, line, MAX_ATOMS, remark } from './pdb-records';
import type { SampleRow } from '../../../contract/sample-row';

/**
 * Multi-model PDB (wwPDB v3.3 fixed columns, every line padded to 80) for viewers such as PyMOL,
 * VMD or MDTraj: one MODEL … ENDMDL per sample. Pseudo-atoms (model systems) are HETATM records in
 * reduced units written as 1 unit = 1 Å (see topology.ts); molecules keep their ATOM/HETATM
 * records, atom and residue names, chain and elements, coordinates nm × 10 = Å, and their bonds as
 * CONECT records once after the last model (they hold for every model; MDTraj and PyMOL read them
 * there).
 *
 * B-factor column = w·N, the sample's weight relative to the average weight 1/N of the N samples
 * exported (1.00 = average; resampled rows, w = 1/N, are all 1.00). The raw w ≤ 1 would print as
 * 0.00 in 6.2f for almost every sample of a large set; w·N stays readable and colours by weight.
 * Clamped to [0, 999.99]; the full-precision weight is in each model's REMARK.
 */

/** CRYST1 for a rectangular box: a, b, c (9.3f), α, β, γ = 90 (7.2f), space group P 1, Z = 1. */
export function formatCryst1(box: { a: number; b: number; c: number }): string {
  const edges = [box.a, box.b, box.c].map((v) => fixed(v, 9, 3, 'box edge')).join('');
  return line(`CRYST1${edges}${'  90.00'.repeat(3)} ${'P 1'.padEnd(11)}${'1'.padStart(4)}`);
}

/** The atom records of one configuration `x` (the system's flat coordinates) in Å. */
export function formatAtoms(topology: Topology, x: ArrayLike<number>, bFactor: string, what: string): string {
  const { atoms, coordsPerAtom: c, angstromPerUnit: scale } = topology;
  if (x.length !== topology.dim) throw new Error(`${what} has ${x.length} coordinates, expected ${topology.dim}`);
  if (atoms.length > MAX_ATOMS) throw new Error(`${atoms.length} atoms do not fit PDB's 5-column serial`);
  let out = '';
  atoms.forEach((a, i) => {
    const xyz = [0, 1, 2].map((d) => {
      const k = i * c + d;
      return d < c && k < x.length ? x[k]! * scale : 0;
    }) as [number, number, number];
    out += atomRecord(i + 1, a, xyz, bFactor, what);
  });
  return out;
}

/** The REMARK lines, MODEL, one record per atom and ENDMDL of one sample. `model` is 1-based. */
export function formatPdbModel(topology: Topology, row: SampleRow, model: number, nTotal: number): string {
  const b = row.w * nTotal;
  const bFactor = fixed(b > 999.99 ? 999.99 : b >= 0 ? b : 0, 6, 2, 'B-factor');
  // MODEL serial in columns 11-14; past 9999 it widens to the right (as MDTraj's "MODEL     %4d" does).
  return (
    remark(2, `SAMPLE ${row.id} ENERGY ${row.u ?? 'NULL'}`) +
    remark(2, `LOGW ${row.logw ?? 'NULL'} WEIGHT ${row.w}`) +
    line(`MODEL     ${String(model).padStart(4)}`) +
    formatAtoms(topology, row.x, bFactor, `sample ${row.id}`) +
    line('ENDMDL')
  );
}

/** The file's opening REMARKs (units, B-factor) and CRYST1 where the system has a box. */
function header(topology: Topology, nTotal: number | null): string {
  let out = remark(1, topology.angstromPerUnit === 1 ? 'BGW SAMPLES; REDUCED UNITS WRITTEN AS 1 UNIT = 1 ANGSTROM' : 'BGW SAMPLES; COORDINATES IN ANGSTROM (STORED IN NM)');
  if (nTotal !== null) out += remark(1, `B-FACTOR = WEIGHT * N, N = ${nTotal} (1.00 = MEAN WEIGHT), MAX 999.99`);
  if (topology.box) out += remark(1, 'CRYST1 IS THE WALLED BOX (NOT PERIODIC), CENTRED ON THE ORIGIN') + formatCryst1(topology.box);
  return out;
}

/**
 * One configuration as a one-MODEL PDB with CONECT records (the 3-D viewer's structure); `remarks`
 * go after the header (energy, sample id).
 */
export function formatStructurePdb(topology: Topology, x: ArrayLike<number>, remarks: readonly string[] = []): string {
  return (
    header(topology, null) +
    remarks.map((r) => remark(2, r)).join('') +
    line(`MODEL     ${'1'.padStart(4)}`) +
    formatAtoms(topology, x, fixed(0, 6, 2, 'B-factor'), 'the structure') +
    line('ENDMDL') +
    conectRecords(topology.atoms.length, topology.bonds) +
    line('END')
  );
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
    yield header(topology, nTotal);
    for (const row of rows) yield formatPdbModel(topology, row, ++written, nTotal);
    if (topology.bonds.length > 0) yield conectRecords(topology.atoms.length, topology.bonds);
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

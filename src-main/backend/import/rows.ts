import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { isMoleculeSystem, type MoleculeSource, type SystemName } from '../../../contract/systems';
import type { ModelSystem } from '../../../engine/energies/types';
import { systemTopology, type Topology } from '../../../engine/energies/topology';
import { buildSystem } from '../molecules';
import { csvBatches } from './csv';
import { parseConfigurationJson } from './json';
import { openMolecule } from './molecule';
import { ImportError } from './parse-error';
import { pdbToCoordinates } from './pdb';
import { pdbBlocks, type PdbBlock } from './pdb-stream';
import type { ImportFormat } from './';

/** Where an import's text comes from: a file on the backend's machine (streamed), or the text itself. */
export type ImportSource = { readonly path: string } | { readonly text: string };

/** JSON is parsed whole (no streaming JSON reader is worth a dependency for a start's format). */
export const JSON_IMPORT_LIMIT = 64 * 1024 * 1024;

export interface RowSource {
  readonly system: ModelSystem;
  readonly molecule: MoleculeSource | null;
  /** Batches of row-major coordinates (the system's units), parsed lazily from the stream. */
  readonly batches: AsyncGenerator<{ rows: Float64Array; n: number }>;
  /** Bytes of the input read so far and in all (progress). */
  readonly bytesRead: () => number;
  readonly totalBytes: number;
  /** Closes the input (a failed or cancelled import). */
  close(): void;
}

async function openInput(source: ImportSource): Promise<{ input: Readable; total: number; read: () => number }> {
  if ('text' in source) {
    const total = Buffer.byteLength(source.text);
    let done = false;
    const input = Readable.from([source.text]).on('end', () => (done = true));
    return { input, total, read: () => (done ? total : 0) };
  }
  const info = await stat(source.path).catch((e: Error) => {
    throw new ImportError(`cannot read ${source.path}: ${e.message}`);
  });
  if (!info.isFile()) throw new ImportError(`${source.path} is not a file`);
  const input = createReadStream(source.path, { highWaterMark: 1 << 20 });
  return { input, total: info.size, read: () => input.bytesRead };
}

async function readAll(input: Readable, total: number): Promise<string> {
  if (total > JSON_IMPORT_LIMIT) throw new ImportError(`a JSON import is read whole, at most ${JSON_IMPORT_LIMIT / (1024 * 1024)} MiB; this is ${(total / (1024 * 1024)).toFixed(0)} MiB (CSV and PDB stream)`);
  const parts: string[] = [];
  for await (const c of input.setEncoding('utf8')) parts.push(c as string);
  return parts.join('');
}

/** A batch generator over PDB blocks, the first (already read) block first. */
async function* pdbRows(first: PdbBlock | null, rest: AsyncGenerator<PdbBlock>, topology: Topology, check: (b: PdbBlock) => void): AsyncGenerator<{ rows: Float64Array; n: number }> {
  if (first) yield pdbToCoordinates(first.file, topology);
  for await (const b of rest) {
    check(b);
    yield pdbToCoordinates(b.file, topology);
  }
}

async function* once(v: { rows: Float64Array; n: number }): AsyncGenerator<{ rows: Float64Array; n: number }> {
  yield v;
}

/**
 * Open an import: the system the rows belong to (for a PDB molecule, built from the first block)
 * and a lazy generator of coordinate batches. Malformed input throws ImportError with its line,
 * when the batch holding it is read.
 */
export async function openRows(
  r: { readonly system: { readonly name: SystemName; readonly params: Record<string, number>; readonly forcefield?: string | undefined }; readonly format: ImportFormat; readonly source: ImportSource },
  batchRows: (dim: number) => number,
): Promise<RowSource> {
  const { name, params } = r.system;
  const { input, total, read } = await openInput(r.source);
  const base = { bytesRead: read, totalBytes: total, close: () => input.destroy() };
  try {
    if (!isMoleculeSystem(name) && r.system.forcefield !== undefined) throw new ImportError(`${name} is not a molecule: it takes no force field`);
    // The first block is one model (a molecule's system is known from it); then parts of batchRows(dim).
    let perBlock = 1;
    const blocks = r.format === 'pdb' ? pdbBlocks(input, () => perBlock) : null;
    const first = blocks ? ((await blocks.next()).value as PdbBlock | undefined) ?? null : null;
    let system: ModelSystem;
    let molecule: MoleculeSource | null = null;
    let check: (b: PdbBlock) => void = () => {};
    let topology: Topology;
    if (isMoleculeSystem(name)) {
      const m = await openMolecule(name, { params, forcefield: r.system.forcefield, format: r.format, first: first?.file ?? null });
      ({ system, topology } = m.built);
      molecule = m.molecule;
      check = (b) => m.checkBlock(b.file, b.firstLine);
    } else {
      system = (await buildSystem(name, params, null)).system;
      topology = systemTopology(name, params);
    }
    const dim = system.dim;
    perBlock = batchRows(dim);
    if (r.format === 'csv') return { ...base, system, molecule, batches: csvBatches(input, dim, perBlock) };
    if (r.format === 'json') return { ...base, system, molecule, batches: once(parseConfigurationJson(await readAll(input, total), dim)) };
    if (r.format !== 'pdb') throw new ImportError(`unknown format '${String(r.format)}' (pdb, csv or json)`);
    return { ...base, system, molecule, batches: pdbRows(first, blocks!, topology, check) };
  } catch (e) {
    input.destroy();
    throw e;
  }
}

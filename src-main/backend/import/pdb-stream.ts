import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { parsePdb as parseEnginePdb, PdbParseError, type PdbFile } from '../../../engine/io/pdb';
import { ImportError } from './parse-error';

/** A block of a PDB stream: whole MODEL … ENDMDL records, parsed on their own. */
export interface PdbBlock {
  readonly file: PdbFile;
  /** The block's first line in the whole file (1-based). */
  readonly firstLine: number;
}

/** A model's text over this is refused: no PDB model of a system this tool samples comes near. */
const MAX_MODEL_CHARS = 64 * 1024 * 1024;

/**
 * A multi-model PDB stream as blocks of `modelsPerBlock()` models (asked anew for each block), each parsed by the engine's
 * reader, its faults reported with the line in the whole file. Lines before the first MODEL
 * (CRYST1, REMARK) go with the first block; lines after the last ENDMDL (CONECT, END) end the file.
 * Memory is one block's text. A file without MODEL records is one model (read whole).
 */
export async function* pdbBlocks(input: Readable, modelsPerBlock: () => number): AsyncGenerator<PdbBlock> {
  const lines = createInterface({ input, crlfDelay: Infinity });
  let block: string[] = [];
  let chars = 0;
  let models = 0;
  let firstLine = 1;
  let lineNo = 0;
  let hasAtoms = false;
  const parse = (): PdbBlock => {
    try {
      return { file: parseEnginePdb(block.join('\n')), firstLine };
    } catch (e) {
      if (e instanceof PdbParseError) throw new ImportError(e.reason, e.line === null ? null : e.line + firstLine - 1);
      throw e;
    }
  };
  try {
    for await (const line of lines) {
      lineNo++;
      block.push(line);
      chars += line.length + 1;
      const record = line.slice(0, 6).trimEnd();
      if (record === 'ATOM' || record === 'HETATM') hasAtoms = true;
      if (chars > MAX_MODEL_CHARS && models === 0) throw new ImportError(`a model of over ${MAX_MODEL_CHARS / (1024 * 1024)} MiB (no ENDMDL)`, firstLine);
      if (record === 'ENDMDL' && ++models >= modelsPerBlock()) {
        yield parse();
        block = [];
        chars = 0;
        models = 0;
        hasAtoms = false;
        firstLine = lineNo + 1;
      }
    }
  } finally {
    input.destroy();
  }
  // The rest: trailing CONECT/END only (nothing to read), or the last models, or a file without MODEL.
  if (hasAtoms || models > 0 || block.some((l) => l.startsWith('MODEL'))) yield parse();
  else if (lineNo === 0 || firstLine === 1) parse(); // no atoms in the whole file: the engine's error
}

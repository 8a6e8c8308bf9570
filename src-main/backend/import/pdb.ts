import type { Topology } from '../../../workers/engine/energies/topology';
import { ImportError, parseDecimal } from './parse-error';

export interface PdbAtom {
  name: string;
  resName: string;
  element: string;
}

export interface ParsedPdb {
  /** One [x, y, z, x, y, z, …] array (Å) per model, all of the same atom count. */
  models: Float64Array[];
  /** Atoms of the first model. */
  atoms: PdbAtom[];
  box: { a: number; b: number; c: number; alpha: number; beta: number; gamma: number } | null;
}

/** Atoms collected for one model; `line` is where it started (its MODEL record or first atom). */
interface Block {
  coords: number[];
  atoms: PdbAtom[];
  line: number;
}

/** A fixed-column number (1-based inclusive columns, as the wwPDB format lists them). */
function field(line: string, from: number, to: number, what: string, lineNo: number): number {
  const v = parseDecimal(line.slice(from - 1, to));
  if (Number.isNaN(v)) throw new ImportError(`${what} (columns ${from}-${to}) is not a number: '${line.slice(from - 1, to)}'`, lineNo);
  return v;
}

/**
 * Read ATOM/HETATM coordinates (columns 31-54), MODEL/ENDMDL blocks and CRYST1. A file without
 * MODEL records is one model. Other records are ignored. Every fault is an ImportError naming
 * the line: short or non-numeric fields, nested/unterminated MODEL (the MODEL's line), ENDMDL
 * without MODEL, atoms outside MODEL blocks, a model whose atom count differs from the first.
 */
export function parsePdb(text: string): ParsedPdb {
  const lines = text.split(/\r?\n/);
  const models: Float64Array[] = [];
  let atoms: PdbAtom[] | null = null;
  let box: ParsedPdb['box'] = null;
  let current: Block | null = null;
  let loose: Block | null = null; // atoms outside any MODEL block
  let sawModel = false;

  const close = (m: Block, lineNo: number | null): void => {
    if (m.atoms.length === 0) throw new ImportError(`model ${models.length + 1} (from line ${m.line}) has no atoms`, lineNo);
    if (atoms && m.atoms.length !== atoms.length)
      throw new ImportError(`model ${models.length + 1} has ${m.atoms.length} atoms, model 1 has ${atoms.length}`, lineNo);
    atoms ??= m.atoms;
    models.push(Float64Array.from(m.coords));
  };

  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    const no = i + 1;
    const record = l.slice(0, 6).trimEnd();
    if (record === 'ATOM' || record === 'HETATM') {
      if (l.length < 54) throw new ImportError(`${record} record is ${l.length} characters; coordinates need columns 31-54`, no);
      const target = current ?? (loose ??= { coords: [], atoms: [], line: no });
      target.coords.push(field(l, 31, 38, 'x', no), field(l, 39, 46, 'y', no), field(l, 47, 54, 'z', no));
      target.atoms.push({ name: l.slice(12, 16).trim(), resName: l.slice(17, 20).trim(), element: l.slice(76, 78).trim() });
    } else if (record === 'MODEL') {
      if (current) throw new ImportError(`MODEL inside the MODEL of line ${current.line} (missing ENDMDL)`, no);
      current = { coords: [], atoms: [], line: no };
      sawModel = true;
    } else if (record === 'ENDMDL') {
      if (!current) throw new ImportError('ENDMDL without a MODEL', no);
      close(current, no);
      current = null;
    } else if (record === 'CRYST1') {
      if (l.length < 54) throw new ImportError(`CRYST1 record is ${l.length} characters; the cell needs columns 7-54`, no);
      box = {
        a: field(l, 7, 15, 'a', no), b: field(l, 16, 24, 'b', no), c: field(l, 25, 33, 'c', no),
        alpha: field(l, 34, 40, 'alpha', no), beta: field(l, 41, 47, 'beta', no), gamma: field(l, 48, 54, 'gamma', no),
      };
    }
  }
  if (current) throw new ImportError(`MODEL is not terminated by ENDMDL`, current.line);
  if (loose) {
    if (sawModel) throw new ImportError(`${loose.atoms.length > 1 ? 'atoms' : 'atom'} outside a MODEL block in a multi-model file`, loose.line);
    close(loose, null);
  }
  if (!atoms) throw new ImportError('no ATOM or HETATM records');
  return { models, atoms, box };
}

/**
 * Models → the system's flat coordinates (n·dim): atom k fills coordinates k·c … k·c + c − 1
 * (c = topology.coordsPerAtom; 2-D systems take x, y and ignore z; an odd dim drops the last y).
 */
export function pdbToCoordinates(parsed: ParsedPdb, topology: Topology): { rows: Float64Array; n: number } {
  const nAtoms = parsed.atoms.length;
  if (nAtoms !== topology.atoms.length)
    throw new ImportError(`the PDB has ${nAtoms} atoms per model; this system has ${topology.atoms.length} (dim ${topology.dim})`);
  const { dim, coordsPerAtom: c } = topology;
  const n = parsed.models.length;
  const rows = new Float64Array(n * dim);
  parsed.models.forEach((m, s) => {
    for (let k = 0; k < dim; k++) rows[s * dim + k] = m[3 * Math.floor(k / c) + (k % c)]!;
  });
  return { rows, n };
}

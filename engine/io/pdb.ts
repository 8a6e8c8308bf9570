/**
 * The one PDB reader (wwPDB v3.3 fixed columns), pure: the engine types molecules from it and the
 * backend imports configurations with it (wrapping its errors as line-numbered ImportErrors).
 */

export interface PdbAtom {
  readonly name: string;
  readonly resName: string;
  /** Column 22; a blank chain is ' '. */
  readonly chain: string;
  readonly resSeq: number;
  /** Insertion code, column 27 ('' when blank). */
  readonly iCode: string;
  /** Columns 77-78 as written ('' when absent: callers that need one infer it from the name). */
  readonly element: string;
  /** HETATM rather than ATOM. */
  readonly hetero: boolean;
}

export interface PdbBox {
  readonly a: number;
  readonly b: number;
  readonly c: number;
  readonly alpha: number;
  readonly beta: number;
  readonly gamma: number;
}

export interface PdbFile {
  /** One [x, y, z, x, y, z, …] array (Å, as in the file) per model, all of the same atom count. */
  readonly models: Float64Array[];
  /** Atoms of the first model. */
  readonly atoms: PdbAtom[];
  readonly box: PdbBox | null;
}

/** A malformed file: `reason` says what, `line` (1-based) where; null when no single line is at fault. */
export class PdbParseError extends Error {
  constructor(
    readonly reason: string,
    readonly line: number | null = null,
  ) {
    super(line === null ? `pdb: ${reason}` : `pdb: line ${line}: ${reason}`);
    this.name = 'PdbParseError';
  }
}

/** A decimal (sign, fraction, exponent) or NaN: blanks, hex and 'Infinity' are no coordinates. */
function decimal(text: string): number {
  const t = text.trim();
  return /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/.test(t) ? Number(t) : NaN;
}

/** A fixed-column number (1-based inclusive columns, as the wwPDB format lists them). */
function field(line: string, from: number, to: number, what: string, lineNo: number): number {
  const v = decimal(line.slice(from - 1, to));
  if (Number.isNaN(v)) throw new PdbParseError(`${what} (columns ${from}-${to}) is not a number: '${line.slice(from - 1, to)}'`, lineNo);
  return v;
}

function atomOf(l: string, record: string, no: number): PdbAtom {
  const seq = l.slice(22, 26).trim();
  if (!/^-?\d+$/.test(seq)) throw new PdbParseError(`residue number (columns 23-26) is not an integer: '${l.slice(22, 26)}'`, no);
  return {
    name: l.slice(12, 16).trim(),
    resName: l.slice(17, 20).trim(),
    chain: l.charAt(21) || ' ',
    resSeq: Number(seq),
    iCode: l.charAt(26).trim(),
    element: l.slice(76, 78).trim(),
    hetero: record === 'HETATM',
  };
}

/**
 * One model's records; `line` is where it started (its MODEL record or first atom). Later models
 * repeat the first one's atoms, so only the first model's are parsed (the others are counted).
 */
interface Block {
  coords: number[];
  atoms: PdbAtom[];
  count: number;
  line: number;
}

/**
 * Read ATOM/HETATM records (names, residues, chain, element, coordinates in columns 31-54),
 * MODEL/ENDMDL blocks and CRYST1. A file without MODEL records is one model; other records
 * (REMARK, TER, CONECT, …) are ignored. Every fault is a PdbParseError naming the line: short or
 * non-numeric fields, nested/unterminated MODEL (the MODEL's line), ENDMDL without MODEL, atoms
 * outside MODEL blocks, a model whose atom count differs from the first.
 */
export function parsePdb(text: string): PdbFile {
  const lines = text.split(/\r?\n/);
  const models: Float64Array[] = [];
  let atoms: PdbAtom[] | null = null;
  let box: PdbBox | null = null;
  let current: Block | null = null;
  let loose: Block | null = null; // atoms outside any MODEL block
  let sawModel = false;

  const close = (m: Block, lineNo: number | null): void => {
    if (m.count === 0) throw new PdbParseError(`model ${models.length + 1} (from line ${m.line}) has no atoms`, lineNo);
    if (atoms && m.count !== atoms.length) throw new PdbParseError(`model ${models.length + 1} has ${m.count} atoms, model 1 has ${atoms.length}`, lineNo);
    atoms ??= m.atoms;
    models.push(Float64Array.from(m.coords));
  };

  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    const no = i + 1;
    const record = l.slice(0, 6).trimEnd();
    if (record === 'ATOM' || record === 'HETATM') {
      if (l.length < 54) throw new PdbParseError(`${record} record is ${l.length} characters; coordinates need columns 31-54`, no);
      const target = current ?? (loose ??= { coords: [], atoms: [], count: 0, line: no });
      target.coords.push(field(l, 31, 38, 'x', no), field(l, 39, 46, 'y', no), field(l, 47, 54, 'z', no));
      target.count++;
      if (!atoms) target.atoms.push(atomOf(l, record, no));
    } else if (record === 'MODEL') {
      if (current) throw new PdbParseError(`MODEL inside the MODEL of line ${current.line} (missing ENDMDL)`, no);
      current = { coords: [], atoms: [], count: 0, line: no };
      sawModel = true;
    } else if (record === 'ENDMDL') {
      if (!current) throw new PdbParseError('ENDMDL without a MODEL', no);
      close(current, no);
      current = null;
    } else if (record === 'CRYST1') {
      if (l.length < 54) throw new PdbParseError(`CRYST1 record is ${l.length} characters; the cell needs columns 7-54`, no);
      box = {
        a: field(l, 7, 15, 'a', no), b: field(l, 16, 24, 'b', no), c: field(l, 25, 33, 'c', no),
        alpha: field(l, 34, 40, 'alpha', no), beta: field(l, 41, 47, 'beta', no), gamma: field(l, 48, 54, 'gamma', no),
      };
    }
  }
  if (current) throw new PdbParseError('MODEL is not terminated by ENDMDL', current.line);
  if (loose) {
    if (sawModel) throw new PdbParseError(`${loose.count > 1 ? 'atoms' : 'atom'} outside a MODEL block in a multi-model file`, loose.line);
    close(loose, null);
  }
  if (!atoms) throw new PdbParseError('no ATOM or HETATM records');
  return { models, atoms, box };
}

/** The element of an atom: columns 77-78 where given, else the first letter of its name after any leading digits (1HB → H). */
export function elementOf(a: Pick<PdbAtom, 'name' | 'element'>): string {
  return a.element || a.name.replace(/^[0-9]+/, '').charAt(0);
}

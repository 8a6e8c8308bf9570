import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeSampleRowsCsv } from '../../src-main/backend/export/csv';
import { importConfigurations } from '../../src-main/backend/import';
import { parseCoordinatesCsv } from '../../src-main/backend/import/csv';
import { parseConfigurationJson } from '../../src-main/backend/import/json';
import { pdbBlocks } from '../../src-main/backend/import/pdb-stream';
import { Readable } from 'node:stream';
import { ImportError } from '../../src-main/backend/import/parse-error';
import { parsePdb } from '../../src-main/backend/import/pdb';

/** An ImportError whose message starts with "line N: " and whose `line` is N (null: no prefix). */
function expectImportError(f: () => unknown, line: number | null, text: RegExp): void {
  let err: unknown;
  try {
    f();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(ImportError);
  const e = err as ImportError;
  expect(e.line).toBe(line);
  if (line !== null) expect(e.message).toMatch(new RegExp(`^line ${line}: `));
  expect(e.message).toMatch(text);
}

/** A HETATM record built column by column (x 31-38, y 39-46, z 47-54). */
const atom = (serial: number, name: string, x: string, y: string, z = '   0.000'): string =>
  `HETATM${String(serial).padStart(5)}  ${name.padEnd(3)} PNT A   1    ${x}${y}${z}  1.00  0.00           C  `;
const f83 = (v: number): string => v.toFixed(3).padStart(8);

describe('parsePdb', () => {
  const good = [
    'CRYST1    6.000    6.000    6.000  90.00  90.00  90.00 P 1           1',
    'MODEL        1',
    atom(1, 'P1', f83(1.5), f83(-0.25)),
    atom(2, 'P2', f83(3), f83(4), f83(5)),
    'ENDMDL',
    'MODEL        2',
    atom(1, 'P1', f83(-1), f83(0.125)), // line 7
    atom(2, 'P2', f83(0), f83(0)),
    'ENDMDL',
    'END',
  ];
  const without = (...drop: number[]): string => good.filter((_, i) => !drop.includes(i + 1)).join('\n');
  const replacing = (lineNo: number, l: string): string => good.map((g, i) => (i + 1 === lineNo ? l : g)).join('\n');

  it('reads models, atoms and the cell', () => {
    const p = parsePdb(good.join('\n'));
    expect(p.models.map((m) => Array.from(m))).toEqual([[1.5, -0.25, 0, 3, 4, 5], [-1, 0.125, 0, 0, 0, 0]]);
    // The engine's one parser (engine/io/pdb.ts): residue, chain, insertion code and record type too.
    const pnt = { resName: 'PNT', chain: 'A', resSeq: 1, iCode: '', element: 'C', hetero: true };
    expect(p.atoms).toEqual([{ name: 'P1', ...pnt }, { name: 'P2', ...pnt }]);
    expect(p.box).toEqual({ a: 6, b: 6, c: 6, alpha: 90, beta: 90, gamma: 90 });
    // No MODEL records: the atoms are one model; CRLF line ends are fine.
    expect(parsePdb([good[2], good[3], 'END'].join('\r\n')).models.length).toBe(1);
  });

  it('names the line of a malformed coordinate field', () => {
    expectImportError(() => parsePdb(replacing(7, atom(1, 'P1', ' abc.def', f83(0)))), 7, /x \(columns 31-38\) is not a number: ' abc\.def'/);
    expectImportError(() => parsePdb(replacing(8, atom(2, 'P2', f83(1), '        '))), 8, /y \(columns 39-46\)/);
    expectImportError(() => parsePdb(replacing(1, 'CRYST1    6.000    6.0x0')), 1, /CRYST1 record is 24 characters/);
  });

  it('names the line of short records, unterminated/nested MODEL and mismatched model sizes', () => {
    expectImportError(() => parsePdb(replacing(4, good[3]!.slice(0, 50))), 4, /50 characters; coordinates need columns 31-54/);
    expectImportError(() => parsePdb(without(9, 10)), 6, /MODEL is not terminated by ENDMDL/);
    expectImportError(() => parsePdb(without(5)), 5, /MODEL inside the MODEL of line 2/);
    expectImportError(() => parsePdb(without(8)), 8, /model 2 has 1 atoms, model 1 has 2/);
    expectImportError(() => parsePdb(without(2, 6)), 4, /ENDMDL without a MODEL/);
    expectImportError(() => parsePdb([...good.slice(0, 9), good[2]!].join('\n')), 10, /outside a MODEL/);
    expectImportError(() => parsePdb('REMARK nothing\nEND\n'), null, /no ATOM or HETATM/);
  });

  it('checks the atom count against the system', () => {
    expectImportError(() => importConfigurations(good.join('\n'), 'pdb', { name: 'double-well', params: {}, dim: 2 }), null, /2 atoms per model; this system has 1/);
    const r = importConfigurations(good.join('\n'), 'pdb', { name: 'mueller-brown', params: { dim: 4 }, dim: 4 });
    expect(r.n).toBe(2);
    expect(Array.from(r.x)).toEqual([1.5, -0.25, 3, 4, -1, 0.125, 0, 0]);
  });
});

describe('parseCoordinatesCsv', () => {
  it('reads header-less rows and headed files (extra columns ignored, any order), skipping blank lines', () => {
    expect(parseCoordinatesCsv('1,2\r\n\r\n3.5,-4e-2\r\n', 2)).toEqual({ rows: Float64Array.of(1, 2, 3.5, -0.04), n: 2 });
    const r = parseCoordinatesCsv('id,x1,energy,x0,state\n1,2,-7,1,closed\n2,4,,3,\n', 2);
    expect(Array.from(r.rows)).toEqual([1, 2, 3, 4]);
  });

  it("re-imports the project's own CSV export bit-exactly", async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'bgw-import-')), 's.csv');
    const x = [Float32Array.of(0.1, -2.7182817), Float32Array.of(1e-7, 3)];
    await writeSampleRowsCsv(path, 2, x.map((v, i) => ({ id: i, x: v, u: 1.5, logw: null, w: 0.5, rc: 0.1, state: 'a,b' })));
    const r = importConfigurations(readFileSync(path, 'utf8'), 'csv', { name: 'double-well', params: {}, dim: 2 });
    expect(r.n).toBe(2);
    expect(Array.from(r.x, Math.fround)).toEqual([...x[0]!, ...x[1]!]);
  });

  it('names the line of a non-number and of a wrong column count', () => {
    expectImportError(() => parseCoordinatesCsv('x0,x1\n1,2\n3,4\n5,five\n', 2), 4, /column 2 is not a number: 'five'/);
    expectImportError(() => parseCoordinatesCsv('1,2\n3,4\n5\n', 2), 3, /1 columns, expected 2 \(dim 2\)/);
    expectImportError(() => parseCoordinatesCsv('id,x0,x1\n1,2,3\n\n2,3,4,5\n', 2), 4, /4 columns, expected 3 \(as in the header\)/);
    expectImportError(() => parseCoordinatesCsv('1,,3\n', 3), 1, /column 2 is not a number: ''/);
    expectImportError(() => parseCoordinatesCsv('id,x0,x2\n1,2,3\n', 3), 1, /header has no column x1/);
    expectImportError(() => parseCoordinatesCsv('1,2\n"3,4\n', 2), 2, /Quote Not Closed/);
    expectImportError(() => parseCoordinatesCsv('\n\n', 2), null, /no rows/);
  });
});

describe('parseConfigurationJson', () => {
  it('accepts one flat list, {"x": [...]}, or a list of lists', () => {
    expect(parseConfigurationJson('[1, 2.5]', 2)).toEqual({ rows: Float64Array.of(1, 2.5), n: 1 });
    expect(parseConfigurationJson('{"x": [1, 2.5], "note": "start"}', 2).n).toBe(1);
    const r = importConfigurations('[[1, 2], [3, 4], [5, 6]]', 'json', { name: 'double-well', params: {}, dim: 2 });
    expect(r).toEqual({ x: Float64Array.of(1, 2, 3, 4, 5, 6), n: 3 });
  });

  it('gives the line of a syntax error, with or without a position from JSON.parse', () => {
    expectImportError(() => parseConfigurationJson('[\n  [1, 2],\n  [3, }\n]', 2), 3, /invalid JSON/);
    expectImportError(() => parseConfigurationJson('[\n  [1, 2],\n\n  [3 4]\n]', 2), 4, /invalid JSON/);
    expectImportError(() => parseConfigurationJson('{"x":\n [1, 2]\n\n', 2), 4, /invalid JSON/);
    expectImportError(() => parseConfigurationJson('{"x": "a\\q"}', 2), 1, /invalid JSON/);
  });

  it('rejects wrong shapes and non-numbers', () => {
    expectImportError(() => parseConfigurationJson('[[1, 2], [3]]', 2), null, /configuration 2 has 1 numbers; the system needs 2/);
    expectImportError(() => parseConfigurationJson('[1, "2"]', 2), null, /element 1 is not a number/);
    expectImportError(() => parseConfigurationJson('{"y": [1, 2]}', 2), null, /expected \[numbers\]/);
  });
});

describe('pdbBlocks (streamed PDB)', () => {
  const model = (k: number, x: number): string[] => [`MODEL     ${k}`, `ATOM      1  C   UNK A   1    ${x.toFixed(3).padStart(8)}   0.000   0.000  1.00  0.00           C`, 'ENDMDL'];
  const read = async (text: string, per: number): Promise<{ n: number; first: number }[]> => {
    const out: { n: number; first: number }[] = [];
    for await (const b of pdbBlocks(Readable.from([text]), () => per)) out.push({ n: b.file.models.length, first: b.firstLine });
    return out;
  };

  it('cuts a multi-model file into blocks of whole models, header with the first, trailing END ignored', async () => {
    const lines = ['CRYST1   10.000   10.000   10.000  90.00  90.00  90.00 P 1           1', ...[1, 2, 3, 4, 5].flatMap((k) => model(k, k)), 'END'];
    expect(await read(lines.join('\n'), 2)).toEqual([{ n: 2, first: 1 }, { n: 2, first: 8 }, { n: 1, first: 14 }]);
  });

  it('reports a fault in a later block at its line in the whole file', async () => {
    const lines = [...[1, 2, 3].flatMap((k) => model(k, k)), 'MODEL     4', 'ATOM      1  C   UNK A   1       1.0', 'ENDMDL'];
    await expect(read(lines.join('\n'), 2)).rejects.toThrow(/^line 11: ATOM record is \d+ characters/);
  });
});

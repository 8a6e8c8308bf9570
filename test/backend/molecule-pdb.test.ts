import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBackend, type Backend } from '../../src-main/backend/backend';
import { atomNameField, conectRecords } from '../../src-main/backend/export/pdb-records';
import { prepareRun, readRunInputs } from '../../src-main/backend/scheduler/stored-inputs';
import { parseRunSpec, type RunSpec } from '../../contract/run-spec';
import type { SampleSetDto } from '../../contract/api';
import { createMolecule } from '../../engine/energies/mm';
import { MOLAR_GAS_CONSTANT } from '../../engine/energies/mm/tf-energy';
import { systemTopology } from '../../engine/energies/topology';
import { parsePdb, PdbParseError } from '../../engine/io/pdb';

// Molecules through the backend: a user's PDB imported as `molecule` (typed by the force field,
// stored with its template), exported with real atoms, elements and CONECT bonds, re-imported,
// and shown as one structure with its energy.

const ROOT = join(import.meta.dirname, '..', '..');
const SHIPPED = readFileSync(join(ROOT, 'data/molecules/alanine-dipeptide.pdb'), 'utf8');
const XML = readFileSync(join(ROOT, 'data/forcefields/amber99sbildn.xml'), 'utf8');
const ATOM_LINES = SHIPPED.split('\n').filter((l) => /^(ATOM  |HETATM)/.test(l));

/** 1-based inclusive columns, as wwPDB lists them. */
const col = (l: string, from: number, to: number): string => l.slice(from - 1, to);
const f83 = (v: number): string => v.toFixed(3).padStart(8);

/** Two models: the shipped structure, and the same with every atom moved by (+0.5, −0.25, +0.125) Å and atom 1 by 0.05 Å more in y. */
function twoModels(): { text: string; angstrom: number[][] } {
  const first = ATOM_LINES.map((l) => [31, 39, 47].map((c) => Number(col(l, c, c + 7))));
  const second = first.map(([x, y, z], i) => [x! + 0.5, y! - 0.25 + (i === 0 ? 0.05 : 0), z! + 0.125]);
  const model = (k: number, xyz: number[][]): string =>
    [`MODEL     ${String(k).padStart(4)}`, ...ATOM_LINES.map((l, i) => l.slice(0, 30) + xyz[i]!.map(f83).join('') + l.slice(54)), 'ENDMDL'].join('\n');
  return { text: `${model(1, first)}\n${model(2, second)}\nEND\n`, angstrom: [first.flat(), second.flat()] };
}

describe('the one PDB parser (engine)', () => {
  it('reads names, residues, chain, insertion code, element and record type; a bad residue number names its line', () => {
    const p = parsePdb(SHIPPED);
    expect(p.atoms[8]).toEqual({ name: 'CA', resName: 'ALA', chain: 'A', resSeq: 2, iCode: '', element: 'C', hetero: false });
    expect(p.atoms[1]).toMatchObject({ name: 'HH31', resName: 'ACE', resSeq: 1, element: 'H', hetero: true });
    expect(p.models.length).toBe(1);
    expect(Array.from(p.models[0]!.subarray(24, 27))).toEqual([3.607, 1.391, -0.018]);
    const lines = SHIPPED.split('\n');
    const at = lines.findIndex((l) => l.startsWith('ATOM      9'));
    const bad = lines.map((l, i) => (i === at ? `${l.slice(0, 22)}  x2${l.slice(26)}` : i === at + 1 ? `${l.slice(0, 26)}B${l.slice(27, 76)}` : l)).join('\n');
    let err: unknown;
    try {
      parsePdb(bad);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PdbParseError);
    expect(err).toMatchObject({ line: at + 1, message: `pdb: line ${at + 1}: residue number (columns 23-26) is not an integer: '  x2'` });
    const blanks = parsePdb(lines.map((l, i) => (i === at + 1 ? `${l.slice(0, 26)}B${l.slice(27, 76)}` : l)).join('\n'));
    expect(blanks.atoms[9]).toMatchObject({ name: 'HA', iCode: 'B', element: '' });
    expect(() => systemTopology('molecule', {})).toThrow(/pass the molecule's topology/);
  });
});

describe('molecules: import, PDB export, structures', () => {
  let backend: Backend;
  let projectId: number;
  let set: SampleSetDto;
  const dir = mkdtempSync(join(tmpdir(), 'bgw-molecule-'));
  const setCount = (): number => (backend.repos.db.prepare('SELECT count(*) AS n FROM sample_sets').get() as { n: number }).n;
  const molecule = createMolecule(SHIPPED, XML);
  const input = twoModels();

  beforeAll(async () => {
    backend = await createBackend({ dbPath: join(dir, 'w.db'), workers: 1 });
    projectId = (await backend.call('projects:create', { name: 'molecules' })).id;
    set = await backend.call('import:samples', { projectId, system: { name: 'molecule', forcefield: 'amber99sbildn' }, format: 'pdb', text: input.text, name: 'ala2' });
  });
  afterAll(async () => {
    await backend?.close();
  });

  it('imports every model in nm with its template and force field, and energies from the force field', async () => {
    expect(set).toMatchObject({ system: 'molecule', kind: 'imported', n: 2, dim: 66, molecule: true });
    const stored = backend.repos.samples.molecule(set.id)!;
    expect(stored.forcefield).toBe('amber99sbildn');
    const template = parsePdb(stored.pdb);
    expect(template.models.length).toBe(1);
    expect(template.atoms.map((a) => `${a.name}/${a.resName}/${a.resSeq}/${a.element}`)).toEqual(molecule.topology.atoms.map((a) => `${a.name}/${a.resName}/${a.resSeq}/${a.element}`));
    const x = backend.repos.samples.coordinates(set.id);
    input.angstrom.flat().forEach((a, k) => expect(Math.abs(x[k]! - a / 10)).toBeLessThan(1e-6));
    const { rows } = await backend.call('samples:page', { setId: set.id, offset: 0, limit: 2 });
    rows.forEach((r, k) => expect(r.u).toBeCloseTo(molecule.energy64(Float64Array.from(input.angstrom[k]!, (v) => v / 10)), 9));
    // The φ of the shipped C7eq structure is near −78°: state A (φ < 0).
    expect(rows.map((r) => r.state)).toEqual(['A', 'A']);
    expect(rows[0]!.rc!).toBeGreaterThan(-90);
    expect(rows[0]!.rc!).toBeLessThan(-65);
  });

  it('exports real atoms at their columns, Å = 10 × nm, one MODEL per sample, CONECT = the topology bonds', async () => {
    const path = join(dir, 'ala2.pdb');
    const r = await backend.call('export:samples', { setId: set.id, format: 'pdb', path });
    expect(r.rows).toBe(2);
    const lines = readFileSync(path, 'utf8').split('\n').slice(0, -1);
    for (const l of lines) expect(l.length).toBe(80);
    expect(lines.filter((l) => l.startsWith('MODEL ')).map((l) => col(l, 11, 14))).toEqual(['   1', '   2']);
    expect(lines.at(-1)!.trimEnd()).toBe('END');
    const x = backend.repos.samples.coordinates(set.id);
    const atoms = lines.filter((l) => /^(ATOM  |HETATM)/.test(l));
    expect(atoms.length).toBe(44);
    atoms.forEach((l, k) => {
      const s = Math.floor(k / 22), i = k % 22;
      const a = molecule.topology.atoms[i]!;
      const shipped = ATOM_LINES[i]!;
      expect(col(l, 1, 6)).toBe(col(shipped, 1, 6)); // ACE/NME HETATM, ALA ATOM, as in the file
      expect(Number(col(l, 7, 11))).toBe(i + 1);
      expect(col(l, 13, 16)).toBe(col(shipped, 13, 16)); // " CA ", "HH31", " C  "
      expect(col(l, 13, 16)).toBe(a.name.length === 4 ? a.name : ` ${a.name}`.padEnd(4));
      expect(col(l, 18, 20)).toBe(a.resName);
      expect(col(l, 22, 22)).toBe('A');
      expect(col(l, 23, 26)).toBe(String(a.resSeq).padStart(4));
      expect(col(l, 77, 78)).toBe(a.element.padStart(2));
      for (let d = 0; d < 3; d++) {
        const v = Number(col(l, 31 + 8 * d, 38 + 8 * d));
        expect(Math.abs(v - 10 * x[66 * s + 3 * i + d]!)).toBeLessThanOrEqual(5e-4 + 1e-9);
        expect(Math.abs(v - input.angstrom[s]![3 * i + d]!)).toBeLessThanOrEqual(1e-3 + 1e-9);
      }
    });
    expect(col(atoms[8]!, 13, 16)).toBe(' CA ');
    expect(col(atoms[1]!, 13, 16)).toBe('HH31');

    // CONECT once, after the last model: both directions, ≤ 4 partners a record, equal to the bonds.
    const last = lines.map((l) => l.startsWith('ENDMDL')).lastIndexOf(true);
    const conect = lines.filter((l) => l.startsWith('CONECT'));
    expect(lines.findIndex((l) => l.startsWith('CONECT'))).toBeGreaterThan(last);
    const found = new Set<string>();
    for (const l of conect) {
      expect(col(l, 32, 80).trim()).toBe('');
      const from = Number(col(l, 7, 11));
      const to = [12, 17, 22, 27].map((c) => col(l, c, c + 4)).filter((f) => f.trim() !== '').map(Number);
      expect(to.length).toBeGreaterThanOrEqual(1);
      expect(to.length).toBeLessThanOrEqual(4);
      for (const t of to) found.add(`${from}-${t}`);
    }
    const expected = new Set(molecule.topology.bonds.flatMap(([i, j]) => [`${i + 1}-${j + 1}`, `${j + 1}-${i + 1}`]));
    expect(molecule.topology.bonds.length).toBe(21); // 22 atoms, no ring
    expect(found).toEqual(expected);
    // The peptide bonds C(ACE)–N(ALA) and C(ALA)–N(NME) are there (5–7, 15–17).
    expect(found.has('5-7') && found.has('15-17')).toBe(true);

    // Export → import round trip, as a user molecule and as alanine dipeptide (atoms match the shipped order).
    const text = readFileSync(path, 'utf8');
    for (const name of ['molecule', 'alanine-dipeptide'] as const) {
      const back = await backend.call('import:samples', { projectId, system: { name }, format: 'pdb', text });
      expect(back).toMatchObject({ system: name, n: 2, dim: 66, molecule: true });
      const y = backend.repos.samples.coordinates(back.id);
      x.forEach((v, k) => expect(Math.abs(y[k]! - v)).toBeLessThanOrEqual(5e-5 + 1e-7));
    }
  });

  it('writes CONECT continuations and aligns atom names as wwPDB does', () => {
    const c = conectRecords(7, [[0, 1], [0, 2], [0, 3], [0, 4], [0, 5], [6, 0]]).split('\n').slice(0, -1);
    expect(c.map((l) => l.trimEnd())).toEqual([
      'CONECT    1    2    3    4    5',
      'CONECT    1    6    7',
      'CONECT    2    1', 'CONECT    3    1', 'CONECT    4    1', 'CONECT    5    1', 'CONECT    6    1', 'CONECT    7    1',
    ]);
    expect(() => conectRecords(2, [[0, 2]])).toThrow(/not between two of the 2 atoms/);
    expect([atomNameField('CA', 'C'), atomNameField('HH31', 'H'), atomNameField('CA', 'CA'), atomNameField('CL', 'CL'), atomNameField('O', 'O')]).toEqual([' CA ', 'HH31', 'CA  ', 'CL  ', ' O  ']);
  });

  it('refuses a misnamed atom naming its residue, a molecule from CSV, and atoms out of the shipped order, storing nothing', async () => {
    const before = setCount();
    const misnamed = SHIPPED.replace(/^(ATOM {6}9 ) CA /m, '$1 CX ');
    expect(misnamed).not.toBe(SHIPPED);
    await expect(backend.call('import:samples', { projectId, system: { name: 'molecule', forcefield: 'amber99sbildn' }, format: 'pdb', text: misnamed })).rejects.toMatchObject({
      code: 'invalid_input',
      message: expect.stringMatching(/residue 2 \(ALA\).*missing \[CA\], extra \[CX\]/),
    });
    await expect(backend.call('import:samples', { projectId, system: { name: 'alanine-dipeptide' }, format: 'pdb', text: misnamed })).rejects.toMatchObject({
      code: 'invalid_input',
      message: expect.stringMatching(/atom 9 is CX in ALA 2; alanine-dipeptide's atom 9 is CA/),
    });
    await expect(backend.call('import:samples', { projectId, system: { name: 'molecule' }, format: 'csv', text: '1,2,3\n' })).rejects.toMatchObject({ code: 'invalid_input', message: expect.stringMatching(/imported from a PDB/) });
    await expect(backend.call('import:samples', { projectId, system: { name: 'molecule', forcefield: 'charmm' }, format: 'pdb', text: SHIPPED })).rejects.toMatchObject({ message: expect.stringMatching(/unknown force field 'charmm'/) });
    await expect(backend.call('import:samples', { projectId, system: { name: 'double-well', forcefield: 'amber99sbildn' }, format: 'csv', text: '1,2\n' })).rejects.toMatchObject({ message: expect.stringMatching(/not a molecule/) });
    expect(setCount()).toBe(before);
  });

  it('samples:structure: a stored row with its stored energy, or a run molecule at given coordinates', async () => {
    const kT = MOLAR_GAS_CONSTANT * 300;
    const { rows } = await backend.call('samples:page', { setId: set.id, offset: 0, limit: 2 });
    const s = await backend.call('samples:structure', { setId: set.id, index: 1 });
    expect(s.atoms).toBe(22);
    expect(s.u).toBe(rows[1]!.u);
    expect(s.energyKJ).toBeCloseTo(rows[1]!.u! * kT, 9);
    const lines = s.pdb.split('\n').slice(0, -1);
    expect(lines.filter((l) => l.startsWith('MODEL ')).length).toBe(1);
    expect(lines.filter((l) => /^(ATOM  |HETATM)/.test(l)).map((l) => col(l, 13, 16))).toEqual(ATOM_LINES.map((l) => col(l, 13, 16)));
    expect(lines.filter((l) => l.startsWith('CONECT')).length).toBeGreaterThanOrEqual(22);
    const parsed = parsePdb(s.pdb);
    parsed.models[0]!.forEach((v, k) => expect(Math.abs(v - input.angstrom[1]![k]!)).toBeLessThanOrEqual(1e-3 + 1e-9));

    // A run's molecule (its structure row 0) at explicit coordinates (nm): energy from the engine.
    const spec = parseRunSpec({
      system: { name: 'molecule', structure: { setId: set.id } },
      data: { source: 'md', frames: 100, stride: 10, burnIn: 100 },
      flow: { layers: 'RR', hidden: [16], coordinates: 'mixed' },
      training: { stages: [{ iterations: 10, lr: 0.001, batch: 32, wML: 1 }] },
      sampling: { n: 200 },
      analysis: { bootstrap: 5, pathPoints: 0 },
    });
    expect(spec.ok).toBe(true);
    const run = backend.repos.runs.create({ projectId, name: 'not started', spec: (spec as { spec: RunSpec }).spec, seed: 1 });
    const x = Array.from(input.angstrom[1]!, (v) => v / 10);
    const r = await backend.call('samples:structure', { runId: run.id, x });
    const e = molecule.terms64(Float64Array.from(x)).total;
    expect(r.energyKJ).toBeCloseTo(e, 9);
    expect(r.u).toBeCloseTo(e / kT, 9);
    expect(r.atoms).toBe(22);

    // The run's job inputs: the structure row's coordinates in the template, and the force-field XML.
    const runSpec = (spec as { spec: RunSpec }).spec;
    const source = prepareRun(backend.repos.samples, runSpec, backend.limits());
    const inputs = readRunInputs(backend.repos.samples, runSpec, source, true);
    expect(inputs.molecule!.forcefieldXml).toBe(XML);
    expect(source!.pdb).toBe(inputs.molecule!.pdb);
    parsePdb(source!.pdb).models[0]!.forEach((v, k) => expect(Math.abs(v - input.angstrom[0]![k]!)).toBeLessThanOrEqual(1e-3 + 1e-9));

    // Refusals: wrong coordinate count, not a molecule, nothing there.
    const dw = await backend.call('import:samples', { projectId, system: { name: 'double-well' }, format: 'csv', text: '1,2\n' });
    await expect(backend.call('samples:structure', { runId: run.id, x: x.slice(0, 63) })).rejects.toMatchObject({ code: 'invalid_input', message: expect.stringMatching(/63 coordinates; this molecule has 22 atoms, 66/) });
    await expect(backend.call('samples:structure', { setId: dw.id, index: 0 })).rejects.toMatchObject({ code: 'invalid_input', message: expect.stringMatching(/not a molecule/) });
    await expect(backend.call('samples:structure', { setId: set.id, index: 2 })).rejects.toMatchObject({ code: 'not_found', message: expect.stringMatching(/has 2 rows; row 2/) });
    await expect(backend.call('samples:structure', { setId: 9999, index: 0 })).rejects.toMatchObject({ code: 'not_found' });
    await expect(backend.call('samples:structure', { runId: 9999, x })).rejects.toMatchObject({ code: 'not_found' });
  });

  it('runs:start refuses a molecule whose structure set is no molecule or lacks the row, naming the field', async () => {
    const dw = await backend.call('import:samples', { projectId, system: { name: 'double-well' }, format: 'csv', text: '1,2\n' });
    const spec = (structure: { setId: number; index?: number }) => ({
      system: { name: 'molecule', structure },
      data: { source: 'md', frames: 100, stride: 10, burnIn: 100 },
      flow: { layers: 'RR', hidden: [16] },
      training: { stages: [{ iterations: 10, lr: 0.001, batch: 32, wML: 1 }] },
      sampling: { n: 200 },
    });
    const runs = backend.repos.runs.list().length;
    await expect(backend.call('runs:start', { projectId, spec: spec({ setId: dw.id }) })).rejects.toMatchObject({ code: 'invalid_input', issues: [{ path: 'spec.system.structure.setId' }] });
    await expect(backend.call('runs:start', { projectId, spec: spec({ setId: set.id, index: 5 }) })).rejects.toMatchObject({ code: 'invalid_input', issues: [{ path: 'spec.system.structure.index' }] });
    await expect(backend.call('runs:start', { projectId, spec: spec({ setId: 9999 }) })).rejects.toMatchObject({ code: 'invalid_input', message: expect.stringMatching(/sample set 9999 does not exist/) });
    expect(backend.repos.runs.list().length).toBe(runs);
  });
});

import { existsSync, mkdtempSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { writeSampleRowsCsv } from '../../src-main/backend/export/csv';
import { writeSampleRowsPdb } from '../../src-main/backend/export/pdb';
import { resampledRows, resampleIndices } from '../../src-main/backend/export/resampled';
import type { SampleRow } from '../../contract/sample-row';
import { importConfigurations } from '../../src-main/backend/import';
import { systemTopology } from '../../engine/energies/topology';
import { Rng } from '../../engine/rng';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'bgw-export-'));

/** Deterministic rows; every 7th has null energy/logw/rc/state so empty cells are exercised. */
function* rows(n: number, dim: number, seed = 1, onRow?: (i: number) => void): Generator<SampleRow> {
  const rng = new Rng(seed);
  for (let i = 0; i < n; i++) {
    onRow?.(i);
    const x = new Float32Array(dim).map(() => rng.normal() * 2);
    const blank = i % 7 === 3;
    yield {
      id: 1000 + i,
      x,
      u: blank ? null : rng.normal() * 1e3,
      logw: blank ? null : -rng.uniform() * 40,
      w: rng.uniform() / n,
      rc: blank ? null : rng.normal(),
      state: blank ? null : i % 2 ? 'open, wide' : 'closed',
    };
  }
}

describe('writeSampleRowsCsv', () => {
  it('streams 10⁵ rows lazily and they parse back bit-exact', async () => {
    const dir = tmp();
    const path = join(dir, 'samples.csv');
    const N = 100_000;
    const dim = 4;
    let sizeWhileProducing = -1;
    const count = await writeSampleRowsCsv(path, dim, rows(N, dim, 1, (i) => {
      // Late in the generator, earlier rows must already be on disk: the writer pulls rows as it writes.
      if (i === 90_000) sizeWhileProducing = statSync(`${path}.partial`).size;
    }));
    expect(count).toBe(N);
    expect(sizeWhileProducing).toBeGreaterThan(1_000_000);
    expect(existsSync(`${path}.partial`)).toBe(false);

    const table = parse(readFileSync(path, 'utf8')) as string[][];
    expect(table[0]).toEqual(['id', 'x0', 'x1', 'x2', 'x3', 'energy', 'logw', 'weight', 'rc', 'state']);
    expect(table.length).toBe(N + 1);
    let i = 0;
    for (const r of rows(N, dim, 1)) {
      const c = table[++i]!;
      expect(Number(c[0])).toBe(r.id);
      for (let j = 0; j < dim; j++) if (!Object.is(Math.fround(Number(c[1 + j])), r.x[j])) expect.fail(`row ${i} x${j}`);
      const back = (s: string): number | null => (s === '' ? null : Number(s));
      if (back(c[5]!) !== r.u || back(c[6]!) !== r.logw || Number(c[7]) !== r.w || back(c[8]!) !== r.rc) expect.fail(`row ${i}: ${c}`);
      expect(c[9]).toBe(r.state ?? '');
    }
  });

  it('leaves no file when the rows fail part-way', async () => {
    const dir = tmp();
    function* failing(): Generator<SampleRow> {
      yield* rows(10, 2);
      throw new Error('database went away');
    }
    await expect(writeSampleRowsCsv(join(dir, 'a.csv'), 2, failing())).rejects.toThrow('database went away');
    await expect(writeSampleRowsCsv(join(dir, 'b.csv'), 3, rows(5, 2))).rejects.toThrow(/2 coordinates, expected 3/);
    expect(readdirSync(dir)).toEqual([]);
  });
});

/** The wwPDB v3.3 columns (1-based, inclusive), written out here independently of the exporter. */
const ATOM = {
  record: [1, 6], serial: [7, 11], name: [13, 16], altLoc: [17, 17], resName: [18, 20], blank21: [21, 21],
  chainID: [22, 22], resSeq: [23, 26], iCode: [27, 27], blank28: [28, 30], x: [31, 38], y: [39, 46], z: [47, 54],
  occupancy: [55, 60], tempFactor: [61, 66], blank67: [67, 76], element: [77, 78], charge: [79, 80],
} as const;
const CRYST1 = {
  record: [1, 6], a: [7, 15], b: [16, 24], c: [25, 33], alpha: [34, 40], beta: [41, 47], gamma: [48, 54],
  blank55: [55, 55], sGroup: [56, 66], z: [67, 70],
} as const;
const col = (l: string, [a, b]: readonly [number, number]): string => l.slice(a - 1, b);

function pdbRows(dim: number, ws: number[]): SampleRow[] {
  return ws.map((w, s) => ({
    id: 7 + s, x: Float32Array.from({ length: dim }, (_, k) => Math.sin(1 + s * dim + k) * 2.9),
    u: -3.25 * s, logw: s === 1 ? null : -0.5 * s, w, rc: null, state: null,
  }));
}

describe('writeSampleRowsPdb', () => {
  it('writes every field at its wwPDB columns, 80 characters a line, one MODEL per sample (dimer)', async () => {
    const dir = tmp();
    const params = { nSolvent: 3, boxHalf: 2.5 };
    const top = systemTopology('dimer', params);
    const ws = [0.05, 0.25, 0.7];
    const samples = pdbRows(top.dim, ws);
    const path = join(dir, 'dimer.pdb');
    expect(await writeSampleRowsPdb(path, top, samples, 3)).toBe(3);
    const text = readFileSync(path, 'utf8');
    const lines = text.split('\n').slice(0, -1);
    for (const l of lines) expect(l.length).toBe(80);
    expect(lines.at(-1)!.trimEnd()).toBe('END');

    const cryst = lines.filter((l) => l.startsWith('CRYST1'));
    expect(cryst.length).toBe(1);
    const c = cryst[0]!;
    expect([CRYST1.a, CRYST1.b, CRYST1.c].map((f) => col(c, f))).toEqual(['    5.000', '    5.000', '    5.000']);
    expect([CRYST1.alpha, CRYST1.beta, CRYST1.gamma].map((f) => col(c, f))).toEqual(['  90.00', '  90.00', '  90.00']);
    expect(col(c, CRYST1.blank55)).toBe(' ');
    expect(col(c, CRYST1.sGroup)).toBe('P 1        ');
    expect(col(c, CRYST1.z)).toBe('   1');

    const models = lines.filter((l) => l.startsWith('MODEL '));
    expect(models.map((l) => col(l, [11, 14]))).toEqual(['   1', '   2', '   3']);
    expect(lines.filter((l) => l.startsWith('ENDMDL')).length).toBe(3);
    expect(lines.filter((l) => l.startsWith('REMARK   2 SAMPLE')).map((l) => l.trimEnd())).toEqual(
      samples.map((s) => `REMARK   2 SAMPLE ${s.id} ENERGY ${s.u}`),
    );
    expect(lines).toContain('REMARK   2 LOGW NULL WEIGHT 0.25'.padEnd(80));

    const atoms = lines.filter((l) => l.startsWith('HETATM'));
    expect(atoms.length).toBe(3 * top.atoms.length);
    atoms.forEach((l, k) => {
      const s = Math.floor(k / top.atoms.length);
      const i = k % top.atoms.length;
      const a = top.atoms[i]!;
      const x = samples[s]!.x;
      expect(col(l, ATOM.record)).toBe('HETATM');
      expect(Number(col(l, ATOM.serial))).toBe(i + 1);
      expect(col(l, ATOM.name)).toBe(i === 0 ? ' D1 ' : i === 1 ? ' D2 ' : ' S  ');
      expect(col(l, ATOM.resName)).toBe(i < 2 ? 'DIM' : 'SOL');
      expect(col(l, ATOM.chainID)).toBe('A');
      expect(Number(col(l, ATOM.resSeq))).toBe(i < 2 ? 1 : i);
      expect(col(l, ATOM.resSeq)).toBe(String(a.resSeq).padStart(4));
      for (const f of [ATOM.altLoc, ATOM.blank21, ATOM.iCode, ATOM.blank28, ATOM.blank67, ATOM.charge]) expect(col(l, f).trim()).toBe('');
      expect(Math.abs(Number(col(l, ATOM.x)) - x[2 * i]!)).toBeLessThanOrEqual(5e-4 + 1e-9);
      expect(Math.abs(Number(col(l, ATOM.y)) - x[2 * i + 1]!)).toBeLessThanOrEqual(5e-4 + 1e-9);
      expect(col(l, ATOM.z)).toBe('   0.000');
      expect(col(l, ATOM.occupancy)).toBe('  1.00');
      expect(Number(col(l, ATOM.tempFactor))).toBeCloseTo(ws[s]! * 3, 2);
      expect(col(l, ATOM.element)).toBe(' C');
    });

    // Export → import round trip.
    const back = importConfigurations(text, 'pdb', { name: 'dimer', params, dim: top.dim });
    expect(back.n).toBe(3);
    samples.forEach((s, k) => s.x.forEach((v, j) => expect(Math.abs(back.x[k * top.dim + j]! - v)).toBeLessThanOrEqual(5e-4 + 1e-9)));
  });

  it('double-well: no CRYST1, odd dim pairs into pseudo-atoms, B-factor clamps, round trip', async () => {
    const dir = tmp();
    const top = systemTopology('double-well', { dim: 3 });
    expect(top.atoms.map((a) => a.name)).toEqual(['P1', 'P2']);
    const samples = pdbRows(3, [0.5, 1e-9]);
    const path = join(dir, 'dw.pdb');
    await writeSampleRowsPdb(path, top, samples, 5000);
    const text = readFileSync(path, 'utf8');
    expect(text).not.toContain('CRYST1');
    const atoms = text.split('\n').filter((l) => l.startsWith('HETATM'));
    expect(atoms.map((l) => col(l, ATOM.tempFactor))).toEqual(['999.99', '999.99', '  0.00', '  0.00']);
    expect(col(atoms[1]!, ATOM.y)).toBe('   0.000');
    const back = importConfigurations(text, 'pdb', { name: 'double-well', params: { dim: 3 }, dim: 3 });
    samples.forEach((s, k) => s.x.forEach((v, j) => expect(Math.abs(back.x[k * 3 + j]! - v)).toBeLessThanOrEqual(5e-4 + 1e-9)));
  });

  it('refuses a coordinate that does not fit 8.3f and leaves no file', async () => {
    const dir = tmp();
    const top = systemTopology('double-well', {});
    for (const bad of [10000, -1000, Number.NaN]) {
      const r: SampleRow = { id: 1, x: Float32Array.of(bad, 0), u: 0, logw: 0, w: 1, rc: null, state: null };
      await expect(writeSampleRowsPdb(join(dir, 'x.pdb'), top, [r], 1)).rejects.toThrow(/does not fit a PDB 8.3f field/);
    }
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('resampled export', () => {
  // systematicResample itself is tested in test/engine/reweighting.test.ts.
  it('many indices: far below the multinomial χ² (≈ m) for one draw', () => {
    const rng = new Rng(5);
    const m = 1000;
    const n = 100_000;
    const raw = Array.from({ length: m }, () => Math.exp(rng.normal()));
    const total = raw.reduce((a, b) => a + b, 0);
    const w = raw.map((v) => v / total);
    const counts = new Array<number>(m).fill(0);
    for (const i of resampleIndices(w, n, rng)) counts[i]!++;
    expect(counts.reduce((s, c, i) => s + (c - n * w[i]!) ** 2 / (n * w[i]!), 0)).toBeLessThan(0.05 * m);
  });

  it('resampled rows: one sequential pass, ids kept, w = 1/n, logw null', () => {
    const all = [...rows(50, 2, 3)];
    const w = all.map((r) => r.w);
    const idx = resampleIndices(w, 40, new Rng(9));
    const out = [...resampledRows(rows(50, 2, 3), idx)]; // a one-shot generator: read once, in order
    expect(out.map((r) => r.id)).toEqual(Array.from(idx, (i) => all[i]!.id));
    for (const r of out) {
      expect(r.w).toBe(1 / 40);
      expect(r.logw).toBeNull();
    }
    expect(out[0]!.u).toBe(all[idx[0]!]!.u);
    expect(() => [...resampledRows(rows(3, 2), Uint32Array.of(1, 5))]).toThrow(/past the end/);
  });
});

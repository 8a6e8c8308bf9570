import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, Repositories } from '../../db';
import { importSampleSet } from '../../src-main/backend/import/import-set';

// The streamed import pipeline in-process, across part boundaries: a multi-model PDB longer than
// one stored part, progress, and a cancel that leaves nothing.
const DIM = 200; // Mueller–Brown with 198 extra dimensions: 100 two-coordinate atoms per model
const MODELS = 3000; // over one stored part (2 592 rows at this dimension)

let tmp: string;
let repos: Repositories;
const coord = (m: number, k: number): number => Math.round(((m * 31 + k * 7) % 2000) - 1000) / 1000;

function pdbText(): string {
  const lines: string[] = ['REMARK streamed import test'];
  for (let m = 0; m < MODELS; m++) {
    lines.push(`MODEL     ${String(m + 1).padStart(4)}`);
    for (let a = 0; a < DIM / 2; a++) {
      const [x, y] = [coord(m, 2 * a), coord(m, 2 * a + 1)];
      lines.push(`ATOM  ${String(a + 1).padStart(5)}  C   UNK A   1    ${x.toFixed(3).padStart(8)}${y.toFixed(3).padStart(8)}${'0.000'.padStart(8)}  1.00  0.00           C`);
    }
    lines.push('ENDMDL');
  }
  lines.push('END');
  return `${lines.join('\n')}\n`;
}

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'bgw-import-parts-'));
  writeFileSync(join(tmp, 'long.pdb'), pdbText());
  repos = new Repositories(openDatabase(join(tmp, 'w.db')));
});
afterAll(() => {
  repos.db.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe('streamed imports across parts', () => {
  const request = () => ({ projectId: repos.projects.defaultId(), system: { name: 'mueller-brown', params: { dim: DIM } }, format: 'pdb' as const, source: { path: join(tmp, 'long.pdb') } });

  it('a PDB of more models than one part stores every model in order, with progress', async () => {
    const seen: number[] = [];
    const set = await importSampleSet(repos.samples, request(), { onProgress: (p) => seen.push(p.rows) });
    expect(set.n).toBe(MODELS);
    expect(seen.length).toBeGreaterThan(1);
    expect(seen.at(-1)).toBe(MODELS);
    for (const m of [0, 2591, 2592, MODELS - 1]) {
      const x = repos.samples.coordinates(set.id, m);
      expect(Array.from(x.subarray(0, 4)).map((v) => Math.round(v * 1000) / 1000), `model ${m}`).toEqual([coord(m, 0), coord(m, 1), coord(m, 2), coord(m, 3)]);
    }
    const w = repos.samples.weights(set.id);
    expect(w.every((v) => Math.abs(v - 1 / MODELS) < 1e-15)).toBe(true);
  });

  it('a cancel after the first part discards what was stored', async () => {
    const ac = new AbortController();
    const before = repos.samples.listSets({}).length;
    await expect(importSampleSet(repos.samples, request(), { signal: ac.signal, onProgress: (p) => p.rows > 0 && ac.abort() })).rejects.toMatchObject({ name: 'AbortError' });
    expect(repos.samples.listSets({}).length).toBe(before);
    expect((repos.db.prepare('SELECT COUNT(*) AS c FROM sample_sets WHERE complete = 0').get() as { c: number }).c).toBe(0);
  });
});

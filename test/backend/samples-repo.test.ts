import { describe, expect, it } from 'vitest';
import { openDatabase, Repositories } from '../../db';
import { ascendingOrder } from '../../db/repositories/sort-order';
import { Rng } from '../../engine/rng';

// Stored sort orders and pages, against an independent reference: JS sort with a comparator over
// the same columns (NULL/non-finite first, ties by index).

const reference = (v: ArrayLike<number> | null, ids: number[]): number[] =>
  [...ids].sort((a, b) => {
    const x = v && Number.isFinite(v[a]) ? v[a]! : -Infinity;
    const y = v && Number.isFinite(v[b]) ? v[b]! : -Infinity;
    return x < y ? -1 : x > y ? 1 : a - b;
  });

describe('ascendingOrder (radix argsort)', () => {
  it('matches a comparator sort exactly (ties in index order), with negatives, ±Infinity, NaN and extremes', () => {
    const rng = new Rng(3);
    const special = [0, Infinity, -Infinity, Number.NaN, 1e-300, -1e-300, 1e300, -1e300, Number.MIN_VALUE];
    const v = Float64Array.from({ length: 5000 }, (_, i) => (i % 17 === 0 ? special[i % special.length]! : i % 5 === 0 ? Math.round(rng.normal() * 3) : rng.normal() * 10 ** rng.int(8)));
    const ids = Array.from({ length: v.length }, (_, i) => i);
    expect(Array.from(ascendingOrder(v, v.length))).toEqual(reference(v, ids));
    expect(Array.from(ascendingOrder(null, 4))).toEqual([0, 1, 2, 3]);
  });
});

describe('SamplesRepo paging', () => {
  const n = 40_000;
  const dim = 3;
  const rng = new Rng(5);
  const x = Float32Array.from({ length: n * dim }, () => rng.normal());
  const u = Float64Array.from({ length: n }, (_, i) => (i % 11 === 0 ? Number.NaN : Math.round(rng.normal() * 20) / 4));
  const logw = Float64Array.from({ length: n }, () => rng.normal());
  const w = Float64Array.from(logw, (l) => Math.exp(l) / n);
  const rc = Float64Array.from({ length: n }, () => rng.normal());
  const state = Int8Array.from(rc, (r) => (r < -0.5 ? 0 : r > 0.5 ? 1 : -1));

  // Written whole (a run's set: orders sorted in memory), or in parts (a streamed import: orders from SQL sorts).
  it.each(['insertAll', 'parts'] as const)('every sort, order, state filter and depth matches the reference, with coordinates (%s)', async (how) => {
    const repos = new Repositories(openDatabase(':memory:'));
    const p = repos.projects.create('t');
    const set = repos.samples.createSet({ projectId: p.id, runId: null, kind: 'generated', name: 's', system: 'double-well', dim, tau: 1, essFraction: null });
    if (how === 'insertAll') await repos.samples.insertAll(set.id, { x, u, logw, w, rc, state }, n);
    else {
      const per = 3 * Math.floor(65536 / (4 * dim)); // three whole coordinate chunks per part
      for (let s0 = 0; s0 < n; s0 += per) {
        const s1 = Math.min(n, s0 + per);
        const cut = <T extends { subarray(a: number, b: number): T }>(a: T, k = 1): T => a.subarray(s0 * k, s1 * k);
        repos.samples.appendRows(set.id, { x: cut(x, dim), u: cut(u), logw: cut(logw), w: cut(w), rc: cut(rc), state: cut(state) }, s1 - s0, s0);
      }
      expect(repos.samples.getSet(set.id)).toBeNull(); // incomplete: not listed until finished
      expect(await repos.samples.finishParts(set.id, { equalWeights: false })).toBe(n);
    }
    const all = Array.from({ length: n }, (_, i) => i);
    const inState = { A: all.filter((i) => state[i] === 0), B: all.filter((i) => state[i] === 1), none: all.filter((i) => state[i] === -1) };
    for (const sort of ['id', 'w', 'u', 'rc'] as const) {
      for (const filter of [undefined, 'A', 'B', 'none'] as const) {
        const ids = filter ? inState[filter] : all;
        const asc = sort === 'id' ? ids : reference(sort === 'w' ? w : sort === 'u' ? u : rc, ids);
        for (const order of ['asc', 'desc'] as const) {
          const want = order === 'asc' ? asc : [...asc].reverse();
          for (const offset of [0, 16_380, Math.max(0, ids.length - 70)]) {
            const page = repos.samples.page(set.id, { offset, limit: 100, sort, order, state: filter, coords: true });
            expect(page.total).toBe(ids.length);
            expect(page.rows.map((r) => r.id), `${sort} ${order} ${filter} @${offset}`).toEqual(want.slice(offset, offset + 100));
            const r = page.rows[0];
            if (r) expect(r.x).toEqual(Array.from(x.subarray(r.id * dim, (r.id + 1) * dim)));
          }
        }
      }
    }
    // Past the end: empty, with the total.
    expect(repos.samples.page(set.id, { offset: n + 5, limit: 10, sort: 'w', order: 'desc', coords: false })).toEqual({ total: n, rows: [] });
  });
});

describe('SamplesRepo: sets built in parts', () => {
  it('a part must start on a chunk boundary; an abandoned import (dead pid) is discarded, a live one kept', async () => {
    const repos = new Repositories(openDatabase(':memory:'));
    const p = repos.projects.create('t');
    const mk = (): number => repos.samples.createSet({ projectId: p.id, runId: null, kind: 'imported', name: 'i', system: 'double-well', dim: 2, tau: null, essFraction: null }).id;
    const cols = { x: new Float32Array(20), u: null, logw: null, w: new Float64Array(10).fill(1), rc: null, state: null };
    const a = mk();
    expect(() => repos.samples.appendRows(a, cols, 10, 10)).toThrow(/a part must start at a multiple of 8192 rows, not 10/);
    repos.samples.appendRows(a, cols, 10, 0);
    repos.samples.claimImport(a, 999_999);
    const b = mk();
    repos.samples.appendRows(b, cols, 10, 0);
    repos.samples.claimImport(b, process.pid);
    expect(await repos.samples.discardAbandonedImports((pid) => pid === process.pid)).toBe(1);
    const left = repos.db.prepare('SELECT id FROM sample_sets').all() as { id: number }[];
    expect(left.map((r) => r.id)).toEqual([b]);
    expect((repos.db.prepare('SELECT COUNT(*) AS c FROM samples WHERE set_id = ?').get(a) as { c: number }).c).toBe(0);
    expect((repos.db.prepare('SELECT COUNT(*) AS c FROM sample_chunks WHERE set_id = ?').get(a) as { c: number }).c).toBe(0);
  });
});

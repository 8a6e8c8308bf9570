import type { Database, Statement } from 'better-sqlite3';
import type { SampleRowDto, SampleSetDto } from '../../contract/api';
import type { SampleRow } from '../../contract/sample-row';
import { FORCEFIELDS, type MoleculeSource } from '../../contract/systems';
import { ascendingOrder } from './sort-order';
import { fin, floats, scalars, SET_COLUMNS, toSetDto, uint32s, type NewSampleSet, type PageQuery, type RawRow, type SampleColumns, type SetRow } from './sample-rows';

export type { NewSampleSet, PageQuery, SampleColumns };

const CHUNK_BYTES = 64 * 1024;
const SORT_KEY = { id: 'idx', w: 'w', u: 'u', rc: 'rc' } as const;
const ROW_BATCH = 64;

/** Column values of row `i` of `c`, stored as sample `idx`, into `out` at `at` (NaN/±∞ stored as NULL). */
function rowValues(out: unknown[], at: number, setId: number, idx: number, i: number, c: SampleColumns): unknown[] {
  const st = c.state?.[i];
  out[at] = setId;
  out[at + 1] = idx;
  out[at + 2] = fin(c.u?.[i]);
  out[at + 3] = fin(c.logw?.[i]);
  out[at + 4] = fin(c.w[i]) ?? 0;
  out[at + 5] = fin(c.rc?.[i]);
  out[at + 6] = st === 0 || st === 1 ? st : null;
  return out;
}

/** Entries per stored sort-order chunk (64 KiB of Uint32). */
const ORDER_CHUNK = 16384;
const FILTERS = ['all', 'A', 'B', 'none'] as const;
type FilterName = (typeof FILTERS)[number];

/**
 * Sample sets: per-sample scalars are columns (indexed, so sorting and paging by weight, energy or
 * RC stay in SQL); coordinates are Float32 rows packed into ~64 KB chunk blobs, which keeps the
 * row table small and a 10⁶-sample insert at a few thousand blob writes. A page reads each row's
 * coordinates with substr() on its chunk.
 */
export class SamplesRepo {
  private readonly insertRow: Statement;
  private readonly insertRows: Statement;
  private readonly insertChunk: Statement;

  constructor(private readonly db: Database) {
    this.insertRow = db.prepare('INSERT INTO samples (set_id, idx, u, logw, w, rc, state) VALUES (?, ?, ?, ?, ?, ?, ?)');
    // ROW_BATCH rows per statement: the per-call cost of binding was a quarter of insert time.
    this.insertRows = db.prepare(`INSERT INTO samples (set_id, idx, u, logw, w, rc, state) VALUES ${Array(ROW_BATCH).fill('(?, ?, ?, ?, ?, ?, ?)').join(', ')}`);
    this.insertChunk = db.prepare('INSERT INTO sample_chunks (set_id, chunk, coords) VALUES (?, ?, ?)');
  }

  createSet(s: NewSampleSet): SampleSetDto {
    const chunkRows = Math.max(1, Math.floor(CHUNK_BYTES / (4 * s.dim)));
    const { lastInsertRowid } = this.db
      .prepare('INSERT INTO sample_sets (project_id, run_id, kind, name, system, params, dim, tau, ess_fraction, chunk_rows, molecule) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run(s.projectId, s.runId, s.kind, s.name, s.system, JSON.stringify(s.params ?? {}), s.dim, s.tau, fin(s.essFraction ?? undefined), chunkRows, s.molecule ? JSON.stringify({ pdb: s.molecule.pdb, forcefield: s.molecule.forcefield }) : null);
    return this.getSet(Number(lastInsertRowid), true)!;
  }

  /**
   * Write a whole set: rows in transactions of ~50k, yielding to the event loop between them (the
   * API stays responsive while a run's 10⁶ samples are stored); readers see it once complete.
   */
  async insertAll(setId: number, cols: SampleColumns, n: number): Promise<void> {
    const { dim, rows } = this.layout(setId);
    if (cols.x.length !== n * dim) throw new Error(`sample set ${setId}: ${cols.x.length} coordinates for ${n} rows of ${dim}`);
    const per = Math.max(rows, Math.floor(50_000 / rows) * rows);
    for (let start = 0; start < n; start += per) {
      const end = Math.min(start + per, n);
      this.db.transaction(() => {
        this.writeRows(setId, dim, rows, cols, start, end, 0);
        this.db.prepare('UPDATE sample_sets SET n = ? WHERE id = ?').run(end, setId);
      })();
      await new Promise<void>((r) => setImmediate(r));
    }
    this.writeOrders(setId, cols, n);
    this.complete(setId);
  }

  /**
   * A set built in parts (a streamed import): rows `start … start + n − 1`, one transaction. Every
   * part but the last must fill whole coordinate chunks (`start` a multiple of the set's chunk rows).
   */
  appendRows(setId: number, cols: SampleColumns, n: number, start: number): void {
    const { dim, rows } = this.layout(setId);
    if (start % rows !== 0) throw new Error(`sample set ${setId}: a part must start at a multiple of ${rows} rows, not ${start}`);
    if (cols.x.length !== n * dim) throw new Error(`sample set ${setId}: ${cols.x.length} coordinates for ${n} rows of ${dim}`);
    this.db.transaction(() => {
      this.writeRows(setId, dim, rows, cols, 0, n, start);
      this.db.prepare('UPDATE sample_sets SET n = ? WHERE id = ?').run(start + n, setId);
    })();
  }

  /** Coordinate chunks and rows `from … to − 1` of `cols`, stored as samples `offset + i`. */
  private writeRows(setId: number, dim: number, rows: number, cols: SampleColumns, from: number, to: number, offset: number): void {
    const args: unknown[] = new Array(7 * ROW_BATCH);
    const one: unknown[] = new Array(7);
    for (let c0 = from; c0 < to; c0 += rows) {
      const c1 = Math.min(c0 + rows, to);
      const blob = cols.x.subarray(c0 * dim, c1 * dim);
      this.insertChunk.run(setId, (offset + c0) / rows, Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength));
      let i = c0;
      for (; i + ROW_BATCH <= c1; i += ROW_BATCH) {
        for (let k = 0; k < ROW_BATCH; k++) rowValues(args, 7 * k, setId, offset + i + k, i + k, cols);
        this.insertRows.run(args);
      }
      for (; i < c1; i++) this.insertRow.run(rowValues(one, 0, setId, offset + i, i, cols));
    }
  }

  /**
   * Finish a set built in parts: equal weights 1/n (when asked), the sort orders, complete. The
   * orders come from SQL sorts (SQLite spills large sorts to temporary files), so memory is 5 bytes
   * a row, not the set's columns; every write is a short transaction, so other writers (a run's
   * metrics) never wait long. Returns the row count.
   */
  async finishParts(setId: number, o: { equalWeights: boolean; signal?: AbortSignal | undefined }): Promise<number> {
    const { n } = this.db.prepare('SELECT n FROM sample_sets WHERE id = ?').get(setId) as { n: number };
    const update = this.db.prepare('UPDATE samples SET w = ? WHERE set_id = ? AND idx >= ? AND idx < ?');
    if (o.equalWeights) {
      for (let i = 0; i < n; i += 50_000) {
        o.signal?.throwIfAborted();
        update.run(1 / n, setId, i, i + 50_000);
        await new Promise<void>((r) => setImmediate(r));
      }
    }
    let counts = { nA: 0, nB: 0 };
    for (const sort of ['w', 'u', 'rc', 'idx'] as const) {
      o.signal?.throwIfAborted();
      counts = this.writeSqlOrder(setId, sort, n);
      await new Promise<void>((r) => setImmediate(r));
    }
    this.db.prepare('UPDATE sample_sets SET n_a = ?, n_b = ?, import_pid = NULL WHERE id = ?').run(counts.nA, counts.nB, setId);
    this.complete(setId);
    return n;
  }

  /** One sort column's orders (all, A, B, none) from an SQL sort; ties in index order, NULL first. */
  private writeSqlOrder(setId: number, sort: 'w' | 'u' | 'rc' | 'idx', n: number): { nA: number; nB: number } {
    const order = new Uint32Array(n);
    const state = new Uint8Array(n); // 0 = A, 1 = B, 2 = neither
    let k = 0;
    const rows = this.db.prepare(`SELECT idx, state FROM samples WHERE set_id = ? ORDER BY ${sort === 'idx' ? 'idx' : `${sort}, idx`}`).raw();
    for (const [idx, st] of rows.iterate(setId) as Iterable<[number, number | null]>) {
      order[k] = idx;
      state[k++] = st === 0 || st === 1 ? st : 2;
    }
    const insert = this.db.prepare('INSERT INTO sample_orders (set_id, sort, state, chunk, idxs) VALUES (?, ?, ?, ?, ?)');
    const put = (f: FilterName, c: number, part: Uint32Array): void => void insert.run(setId, sort, f, c, Buffer.from(part.buffer, part.byteOffset, part.byteLength));
    const names = ['A', 'B', 'none'] as const;
    const bufs = names.map(() => new Uint32Array(ORDER_CHUNK));
    const fill = [0, 0, 0];
    const chunk = [0, 0, 0];
    const flush = (s: number): void => {
      if (fill[s]) put(names[s]!, chunk[s]!++, bufs[s]!.subarray(0, fill[s]));
      fill[s] = 0;
    };
    for (let c = 0; c * ORDER_CHUNK < n; c++) {
      this.db.transaction(() => {
        put('all', c, order.subarray(c * ORDER_CHUNK, (c + 1) * ORDER_CHUNK));
        for (let p = c * ORDER_CHUNK; p < Math.min(n, (c + 1) * ORDER_CHUNK); p++) {
          const s = state[p]!;
          bufs[s]![fill[s]!++] = order[p]!;
          if (fill[s] === ORDER_CHUNK) flush(s);
        }
        if ((c + 1) * ORDER_CHUNK >= n) names.forEach((_, s) => flush(s));
      })();
    }
    let nA = 0;
    let nB = 0;
    for (let p = 0; p < n; p++) (state[p] === 0 ? nA++ : state[p] === 1 ? nB++ : 0);
    return { nA, nB };
  }

  /** Mark a set as being imported by this process (see `discardAbandonedImports`). */
  claimImport(setId: number, pid: number): void {
    this.db.prepare('UPDATE sample_sets SET import_pid = ? WHERE id = ?').run(pid, setId);
  }

  /**
   * Remove a set in short transactions (a 10⁷-row delete in one would hold the write lock for
   * seconds): a cancelled or failed import.
   */
  async discardSet(setId: number): Promise<void> {
    const { n, chunk_rows: per } = (this.db.prepare('SELECT n, chunk_rows FROM sample_sets WHERE id = ?').get(setId) as { n: number; chunk_rows: number } | undefined) ?? { n: 0, chunk_rows: 1 };
    const rows = this.db.prepare('DELETE FROM samples WHERE set_id = ? AND idx >= ? AND idx < ?');
    const chunks = this.db.prepare('DELETE FROM sample_chunks WHERE set_id = ? AND chunk >= ? AND chunk < ?');
    for (let i = 0; i < n; i += 50_000) {
      this.db.transaction(() => {
        rows.run(setId, i, i + 50_000);
        chunks.run(setId, Math.floor(i / per), Math.ceil((i + 50_000) / per));
      })();
      await new Promise<void>((r) => setImmediate(r));
    }
    this.db.prepare('DELETE FROM sample_sets WHERE id = ?').run(setId);
  }

  /** Incomplete imported sets whose importing process is gone (killed mid-import): discarded. */
  async discardAbandonedImports(isAlive: (pid: number) => boolean): Promise<number> {
    const stale = (this.db.prepare("SELECT id, import_pid FROM sample_sets WHERE complete = 0 AND kind = 'imported' AND import_pid IS NOT NULL").all() as { id: number; import_pid: number }[]).filter((r) => !isAlive(r.import_pid));
    for (const r of stale) await this.discardSet(r.id);
    return stale.length;
  }

  /** Every (sort column, state filter) order of the set, as Uint32 index chunks. */
  private writeOrders(setId: number, cols: SampleColumns, n: number): void {
    const insert = this.db.prepare('INSERT INTO sample_orders (set_id, sort, state, chunk, idxs) VALUES (?, ?, ?, ?, ?)');
    const stateOf = (i: number): FilterName => (cols.state?.[i] === 0 ? 'A' : cols.state?.[i] === 1 ? 'B' : 'none');
    let nA = 0;
    let nB = 0;
    for (let i = 0; i < n; i++) (stateOf(i) === 'A' ? nA++ : stateOf(i) === 'B' ? nB++ : 0);
    const sizes: Record<FilterName, number> = { all: n, A: nA, B: nB, none: n - nA - nB };
    this.db.transaction(() => {
      for (const sort of ['w', 'u', 'rc', 'idx'] as const) {
        const all = sort === 'idx' ? ascendingOrder(null, n) : ascendingOrder(sort === 'w' ? cols.w : cols[sort], n);
        const byState: Record<FilterName, Uint32Array> = { all, A: new Uint32Array(nA), B: new Uint32Array(nB), none: new Uint32Array(sizes.none) };
        const fill: Record<FilterName, number> = { all: 0, A: 0, B: 0, none: 0 };
        for (const i of all) byState[stateOf(i)][fill[stateOf(i)]++] = i;
        for (const f of FILTERS) {
          const order = byState[f];
          for (let c = 0; c * ORDER_CHUNK < order.length; c++) {
            const part = order.subarray(c * ORDER_CHUNK, (c + 1) * ORDER_CHUNK);
            insert.run(setId, sort, f, c, Buffer.from(part.buffer, part.byteOffset, part.byteLength));
          }
        }
      }
      this.db.prepare('UPDATE sample_sets SET n_a = ?, n_b = ? WHERE id = ?').run(nA, nB, setId);
    })();
  }

  complete(setId: number): void {
    this.db.prepare('UPDATE sample_sets SET complete = 1 WHERE id = ?').run(setId);
  }

  getSet(id: number, includeIncomplete = false): SampleSetDto | null {
    const r = this.db.prepare(`SELECT ${SET_COLUMNS} FROM sample_sets WHERE id = ?${includeIncomplete ? '' : ' AND complete = 1'}`).get(id) as SetRow | undefined;
    return r ? toSetDto(r) : null;
  }

  params(id: number): Record<string, number> {
    const r = this.db.prepare('SELECT params FROM sample_sets WHERE id = ?').get(id) as { params: string } | undefined;
    return r ? (JSON.parse(r.params) as Record<string, number>) : {};
  }

  /** The molecule a set's coordinates belong to; null for a model system's set (or no such set). */
  molecule(id: number): MoleculeSource | null {
    const r = this.db.prepare('SELECT molecule FROM sample_sets WHERE id = ?').get(id) as { molecule: string | null } | undefined;
    if (!r?.molecule) return null;
    const m = JSON.parse(r.molecule) as Partial<MoleculeSource>;
    if (typeof m.pdb !== 'string' || !(FORCEFIELDS as readonly unknown[]).includes(m.forcefield)) throw new Error(`sample set ${id}: its stored molecule is not {pdb, forcefield}`);
    return { pdb: m.pdb, forcefield: m.forcefield! };
  }

  listSets(o: { runId?: number; projectId?: number }): SampleSetDto[] {
    const where = ['complete = 1'];
    const args: number[] = [];
    if (o.runId !== undefined) (where.push('run_id = ?'), args.push(o.runId));
    if (o.projectId !== undefined) (where.push('project_id = ?'), args.push(o.projectId));
    return (this.db.prepare(`SELECT ${SET_COLUMNS} FROM sample_sets WHERE ${where.join(' AND ')} ORDER BY id`).all(...args) as SetRow[]).map(toSetDto);
  }

  deleteSets(runId: number): void {
    this.db.prepare('DELETE FROM sample_sets WHERE run_id = ?').run(runId);
  }

  /**
   * One page, sorted and filtered: the page's sample indices come from the stored sort order (one
   * or two chunk reads at any depth), then their rows and coordinates in one query. Ties are in
   * index order (reversed for descending), so pages never overlap.
   */
  page(setId: number, q: PageQuery): { total: number; rows: SampleRowDto[] } {
    // One read of the set's row: its size, state counts and chunk layout.
    const set = this.db.prepare('SELECT n, n_a, n_b, dim, chunk_rows FROM sample_sets WHERE id = ? AND complete = 1').get(setId) as
      | { n: number; n_a: number; n_b: number; dim: number; chunk_rows: number }
      | undefined;
    if (!set) throw new Error(`sample set ${setId} does not exist`);
    const filter: FilterName = q.state ?? 'all';
    const total = { all: set.n, A: set.n_a, B: set.n_b, none: set.n - set.n_a - set.n_b }[filter];
    const count = Math.max(0, Math.min(q.limit, total - q.offset));
    if (count === 0) return { total, rows: [] };
    // Ascending positions [lo, hi]; a descending page reads them backwards from the end.
    const lo = q.order === 'desc' ? total - q.offset - count : q.offset;
    const hi = lo + count - 1;
    const chunks = this.db
      .prepare('SELECT chunk, idxs FROM sample_orders WHERE set_id = ? AND sort = ? AND state = ? AND chunk BETWEEN ? AND ? ORDER BY chunk')
      .all(setId, SORT_KEY[q.sort], filter, Math.floor(lo / ORDER_CHUNK), Math.floor(hi / ORDER_CHUNK)) as { chunk: number; idxs: Buffer }[];
    const ids: number[] = [];
    for (const { chunk, idxs } of chunks) {
      const a = uint32s(idxs);
      for (let p = Math.max(lo, chunk * ORDER_CHUNK); p <= Math.min(hi, chunk * ORDER_CHUNK + a.length - 1); p++) ids.push(a[p - chunk * ORDER_CHUNK]!);
    }
    if (q.order === 'desc') ids.reverse();
    const stride = 4 * set.dim;
    const rows = set.chunk_rows;
    const select = q.coords
      ? `SELECT s.idx, s.u, s.logw, s.w, s.rc, s.state, substr(c.coords, (s.idx % ${rows}) * ${stride} + 1, ${stride}) AS x
         FROM samples s JOIN sample_chunks c ON c.set_id = s.set_id AND c.chunk = s.idx / ${rows}`
      : 'SELECT s.idx, s.u, s.logw, s.w, s.rc, s.state FROM samples s';
    const found = this.db.prepare(`${select} WHERE s.set_id = ? AND s.idx IN (SELECT value FROM json_each(?))`).all(setId, JSON.stringify(ids)) as RawRow[];
    const byIdx = new Map(found.map((r) => [r.idx, r]));
    return { total, rows: ids.map((i) => byIdx.get(i)!).map((r) => ({ ...scalars(r), ...(r.x ? { x: Array.from(floats(r.x)) } : {}) })) };
  }

  /** Every row in index order, one chunk in memory at a time (export). */
  *iterate(setId: number): Generator<SampleRow> {
    const set = this.getSet(setId);
    if (!set) throw new Error(`sample set ${setId} does not exist`);
    const rows = this.chunkRows(setId);
    const chunkStmt = this.db.prepare('SELECT coords FROM sample_chunks WHERE set_id = ? AND chunk = ?');
    const rowStmt = this.db.prepare('SELECT idx, u, logw, w, rc, state FROM samples WHERE set_id = ? AND idx >= ? AND idx < ? ORDER BY idx');
    for (let c = 0; c * rows < set.n; c++) {
      const blob = (chunkStmt.get(setId, c) as { coords: Buffer }).coords;
      const x = floats(blob);
      for (const r of rowStmt.all(setId, c * rows, (c + 1) * rows) as RawRow[]) {
        const k = r.idx - c * rows;
        yield { ...scalars(r), x: x.subarray(k * set.dim, (k + 1) * set.dim) };
      }
    }
  }

  /** All coordinates of a set (training data), or one row, as float64. */
  coordinates(setId: number, row?: number): Float64Array {
    const set = this.getSet(setId);
    if (!set) throw new Error(`sample set ${setId} does not exist`);
    if (row !== undefined && !(row >= 0 && row < set.n)) throw new Error(`sample set ${setId} has ${set.n} rows; row ${row} does not exist`);
    const out = new Float64Array((row === undefined ? set.n : 1) * set.dim);
    let k = 0;
    for (const r of this.iterate(setId)) {
      if (row !== undefined && r.id !== row) continue;
      out.set(r.x, k);
      k += set.dim;
      if (row !== undefined) break;
    }
    return out;
  }

  /** Normalised weights of a set in index order (for resampling). */
  weights(setId: number): Float64Array {
    const out: number[] = [];
    for (const r of this.db.prepare('SELECT w FROM samples WHERE set_id = ? ORDER BY idx').raw().iterate(setId) as Iterable<[number]>) out.push(r[0]);
    return Float64Array.from(out);
  }

  private layout(setId: number): { dim: number; rows: number } {
    const r = this.db.prepare('SELECT dim, chunk_rows FROM sample_sets WHERE id = ?').get(setId) as { dim: number; chunk_rows: number } | undefined;
    if (!r) throw new Error(`sample set ${setId} does not exist`);
    return { dim: r.dim, rows: r.chunk_rows };
  }

  private chunkRows(setId: number): number {
    return (this.db.prepare('SELECT chunk_rows FROM sample_sets WHERE id = ?').get(setId) as { chunk_rows: number }).chunk_rows;
  }
}

/**
 * Sample storage on the real code path (SamplesRepo on a WAL SQLite file): insert 10⁶ samples of
 * the 76-D dimer (coordinates in Float32 chunk blobs, scalars as indexed columns), then page 100
 * rows sorted by weight with coordinates — first, middle, last and random pages, as the sample
 * table does. Writes bench/results/samples-db.json.
 *
 *   node --import tsx bench/samples-db.ts [n]     (default 1 000 000)
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, Repositories } from '../db';
import { normalizedWeights } from '../engine/reweighting';
import { Rng } from '../engine/rng';

const N = Number(process.argv[2] ?? 1_000_000);
const DIM = 76;
const dir = mkdtempSync(join(tmpdir(), 'bgw-bench-db-'));
const dbPath = join(dir, 'bench.db');
const db = openDatabase(dbPath);
const repos = new Repositories(db);
const rng = new Rng(1);

// Synthetic but realistic columns: wide log-weights (a few samples carry most weight), as for the dimer.
const x = new Float32Array(N * DIM).map(() => 3 * rng.normal());
const u = Float64Array.from({ length: N }, () => 50 + 10 * rng.normal());
const logw = Float64Array.from({ length: N }, () => 5 * rng.normal());
const w = normalizedWeights(logw);
const rc = Float64Array.from({ length: N }, () => 1 + 0.5 * rng.normal());
const state = Int8Array.from(rc, (r) => (r < 1.2 ? 0 : r > 1.8 ? 1 : -1));

const project = repos.projects.create('bench');
const set = repos.samples.createSet({ projectId: project.id, runId: null, kind: 'generated', name: 'bench', system: 'dimer', dim: DIM, tau: 1, essFraction: null });
const t0 = performance.now();
await repos.samples.insertAll(set.id, { x, u, logw, w, rc, state }, N);
const insertSeconds = (performance.now() - t0) / 1000;

const pageMs = (offset: number, sort: 'w' | 'u' | 'rc', order: 'asc' | 'desc', coords = true): number => {
  const t = performance.now();
  const p = repos.samples.page(set.id, { offset, limit: 100, sort, order, coords });
  if (p.rows.length !== Math.min(100, N - offset)) throw new Error('short page');
  return performance.now() - t;
};
const median = (a: number[]): number => [...a].sort((p, q) => p - q)[Math.floor(a.length / 2)]!;
pageMs(0, 'w', 'desc'); // warm the statement cache
const pages = {
  firstByWeightMs: median(Array.from({ length: 5 }, () => pageMs(0, 'w', 'desc'))),
  middleByWeightMs: median(Array.from({ length: 5 }, () => pageMs(Math.floor(N / 2), 'w', 'desc'))),
  lastByWeightMs: median(Array.from({ length: 5 }, () => pageMs(N - 100, 'w', 'desc'))),
  randomByWeightMs: median(Array.from({ length: 20 }, () => pageMs(rng.int(N - 100), 'w', 'desc'))),
  randomByEnergyMs: median(Array.from({ length: 20 }, () => pageMs(rng.int(N - 100), 'u', 'asc'))),
  randomByRcMs: median(Array.from({ length: 20 }, () => pageMs(rng.int(N - 100), 'rc', 'asc'))),
  randomByWeightNoCoordsMs: median(Array.from({ length: 20 }, () => pageMs(rng.int(N - 100), 'w', 'desc', false))),
};
const t1 = performance.now();
const filtered = repos.samples.page(set.id, { offset: 1000, limit: 100, sort: 'w', order: 'desc', state: 'B', coords: true });
const filteredMs = performance.now() - t1;
const worst = Math.max(pages.firstByWeightMs, pages.middleByWeightMs, pages.lastByWeightMs, pages.randomByWeightMs);

const result = {
  bench: 'samples-db',
  date: new Date().toISOString(),
  samples: N,
  dim: DIM,
  insert: { seconds: insertSeconds, samplesPerSecond: N / insertSeconds, target: '≥ 200 000 samples/s', met: N / insertSeconds >= 200_000 },
  pages: { ...pages, stateFilteredMs: filteredMs, stateFilteredTotal: filtered.total, target: '< 50 ms per page of 100 sorted by weight', met: worst < 50 },
  databaseBytes: statSync(dbPath).size + (statSync(`${dbPath}-wal`, { throwIfNoEntry: false })?.size ?? 0),
};
db.close();
rmSync(dir, { recursive: true, force: true });
await mkdir('bench/results', { recursive: true });
await writeFile('bench/results/samples-db.json', `${JSON.stringify(result, null, 2)}\n`);
process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);

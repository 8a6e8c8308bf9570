import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiClient, type ApiClient } from '../../contract/client';
import type { ImportJobDto } from '../../contract/api';
import { cleanEnv, ROOT } from '../helpers/cli';

// Streamed imports through `bgw serve`, a child process whose peak RSS (VmHWM) is read from /proc.
const DIM = 100;
const GB = 1024 * 1024 * 1024;

let tmp: string;
let csv: string;
let rows = 0;
let server: ChildProcess;
let api: ApiClient;
let dbPath: string;

/** Rows of DIM coordinates, 6 decimals, until the file passes 1 GiB; row i's first coordinate encodes i. */
function writeBigCsv(path: string): number {
  const fd = openSync(path, 'w');
  writeSync(fd, `${Array.from({ length: DIM }, (_, j) => `x${j}`).join(',')}\n`);
  const tail = Array.from({ length: DIM - 1 }, (_, j) => (((j * 7919) % 4000) / 1000 - 2).toFixed(6)).join(',');
  let bytes = 0;
  let n = 0;
  while (bytes < GB) {
    const lines: string[] = [];
    for (let k = 0; k < 4096; k++, n++) lines.push(`${((n % 1_000_000) / 1e6).toFixed(6)},${tail}`);
    const block = `${lines.join('\n')}\n`;
    bytes += writeSync(fd, block);
  }
  closeSync(fd);
  return n;
}

function peakRssMb(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m![1]) / 1024;
}

async function startServe(db: string, extra: string[] = []): Promise<{ child: ChildProcess; api: ApiClient }> {
  const child = spawn(process.execPath, ['bin/bgw.mjs', 'serve', '--db', db, '--port', '0', '--workers', '1', ...extra], { cwd: ROOT, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve(out.split('\n')[0]!);
    });
    child.on('exit', (code) => reject(new Error(`bgw serve exited (${code}): ${err}`)));
  });
  const u = new URL(url);
  return { child, api: createApiClient({ url: u.origin, token: u.searchParams.get('token')! }) };
}

async function project(client: ApiClient): Promise<number> {
  return (await client.call('projects:list', {}))[0]?.id ?? (await client.call('projects:create', { name: 'imports' })).id;
}

/** Calls `imports:list` until the job ends, timing `projects:list` on every poll. */
async function follow(id: number, onPoll?: (job: ImportJobDto) => void): Promise<{ job: ImportJobDto; slowestMs: number; polls: number; bytesSeen: number[] }> {
  let slowestMs = 0;
  let polls = 0;
  const bytesSeen: number[] = [];
  for (;;) {
    const t0 = performance.now();
    await api.call('projects:list', {});
    slowestMs = Math.max(slowestMs, performance.now() - t0);
    polls++;
    const job = (await api.call('imports:list', {})).find((j) => j.id === id)!;
    bytesSeen.push(job.bytes);
    onPoll?.(job);
    if (job.status !== 'running') return { job, slowestMs, polls, bytesSeen };
    await new Promise((r) => setTimeout(r, 200));
  }
}

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'bgw-import-stream-'));
  csv = join(tmp, 'big.csv');
  rows = writeBigCsv(csv);
  dbPath = join(tmp, 'w.db');
  ({ child: server, api } = await startServe(dbPath));
}, 120_000);

afterAll(async () => {
  server?.kill('SIGTERM');
  await new Promise((r) => server?.once('exit', r));
  rmSync(tmp, { recursive: true, force: true });
});

describe('streamed imports (import:file)', () => {
  it('a 1 GiB CSV imports with the server under 500 MB peak RSS, answering other calls within 1 s, with progress', async () => {
    const projectId = await project(api);
    const started = await api.call('import:file', { projectId, system: { name: 'double-well', params: { dim: DIM } }, format: 'csv', path: csv, name: 'big' });
    expect(started.status).toBe('running');
    const { job, slowestMs, polls, bytesSeen } = await follow(started.id);
    expect(job.error).toBeNull();
    expect(job.status).toBe('done');
    expect(job.rows).toBe(rows);
    // Progress moved: several distinct byte counts between 0 and the whole file.
    expect(new Set(bytesSeen.filter((b) => b > 0 && b < job.totalBytes)).size).toBeGreaterThan(2);
    expect(polls).toBeGreaterThan(5);
    expect(slowestMs).toBeLessThan(1000);
    const peak = peakRssMb(server.pid!);
    expect(peak).toBeLessThan(500);
    // The stored rows are the file's: first, last, and a page sorted by the first coordinate's energy.
    const set = (await api.call('samples:sets', { projectId })).find((s) => s.id === job.setId)!;
    expect(set.n).toBe(rows);
    const first = await api.call('samples:page', { setId: set.id, offset: 0, limit: 1, sort: 'id', order: 'asc', coords: true });
    const last = await api.call('samples:page', { setId: set.id, offset: 0, limit: 1, sort: 'id', order: 'desc', coords: true });
    expect(first.rows[0]!.x![0]).toBeCloseTo(0, 6);
    expect(last.rows[0]!.id).toBe(rows - 1);
    expect(last.rows[0]!.x![0]).toBeCloseTo(((rows - 1) % 1_000_000) / 1e6, 6);
    expect(last.rows[0]!.w).toBeCloseTo(1 / rows, 15);
    const byU = await api.call('samples:page', { setId: set.id, offset: 0, limit: 50, sort: 'u', order: 'asc', coords: false });
    for (let i = 1; i < byU.rows.length; i++) expect(byU.rows[i]!.u!).toBeGreaterThanOrEqual(byU.rows[i - 1]!.u!);
    process.stdout.write(`import of ${(job.totalBytes / GB).toFixed(2)} GiB, ${rows} rows: server peak RSS ${peak.toFixed(0)} MB, slowest call ${slowestMs.toFixed(0)} ms over ${polls} polls\n`);
  }, 600_000);

  it('cancel stops a running import and leaves nothing stored', async () => {
    const projectId = await project(api);
    const before = (await api.call('samples:sets', { projectId })).length;
    const started = await api.call('import:file', { projectId, system: { name: 'double-well', params: { dim: DIM } }, format: 'csv', path: csv });
    let cancelled = false;
    const { job } = await follow(started.id, (j) => {
      if (!cancelled && j.rows > 0) {
        cancelled = true;
        void api.call('imports:cancel', { id: j.id });
      }
    });
    expect(cancelled).toBe(true);
    expect(job.status).toBe('cancelled');
    expect(job.rows).toBeLessThan(rows);
    expect((await api.call('samples:sets', { projectId })).length).toBe(before);
    // Not even an incomplete set or its rows remain (read beside the server: WAL readers never block).
    const db = new Sqlite(dbPath, { readonly: true });
    try {
      expect((db.prepare('SELECT COUNT(*) AS c FROM sample_sets WHERE complete = 0').get() as { c: number }).c).toBe(0);
      expect((db.prepare('SELECT COUNT(*) AS c FROM samples WHERE set_id NOT IN (SELECT id FROM sample_sets)').get() as { c: number }).c).toBe(0);
    } finally {
      db.close();
    }
  }, 300_000);

  it('a malformed line deep in a file fails the import with its line; nothing is stored; a missing file and the size limit are refused at once', async () => {
    const projectId = await project(api);
    const bad = join(tmp, 'bad.csv');
    const good = Array.from({ length: 30_000 }, (_, i) => `${i / 30_000},0.5`).join('\n');
    writeFileSync(bad, `x0,x1\n${good}\n0.1,oops\n`);
    const before = (await api.call('samples:sets', { projectId })).length;
    const started = await api.call('import:file', { projectId, system: { name: 'double-well', params: {} }, format: 'csv', path: bad });
    const { job } = await follow(started.id);
    expect(job.status).toBe('failed');
    expect(job.error).toMatch(/line 30002: column 2 is not a number: 'oops'/);
    expect((await api.call('samples:sets', { projectId })).length).toBe(before);
    await expect(api.call('import:file', { projectId, system: { name: 'double-well', params: {} }, format: 'csv', path: join(tmp, 'nope.csv') })).rejects.toThrow(/cannot read .*nope\.csv/);
    const twoMb = join(tmp, 'two-mb.csv');
    writeFileSync(twoMb, `x0,x1\n${'0.123456,-0.654321\n'.repeat(120_000)}`);
    const small = await startServe(join(tmp, 'small.db'), ['--max-import-mb', '1']);
    try {
      const p = await project(small.api);
      await expect(small.api.call('import:file', { projectId: p, system: { name: 'double-well', params: {} }, format: 'csv', path: twoMb })).rejects.toThrow(/two-mb\.csv is 2 MiB; imports take at most 1 MiB \(the setting bgw serve --max-import-mb\)/);
    } finally {
      small.child.kill('SIGTERM');
    }
  }, 120_000);
});

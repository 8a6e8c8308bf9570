import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBackend, type Backend } from '../../src-main/backend/backend';
import { createApiClient, type ApiClient } from '../../contract/client';
import { startApiServer, type ApiServer } from '../../src-main/backend/server/http';
import { generateToken } from '../../src-main/backend/server/security';
import type { SampleRowDto } from '../../contract/api';

// The real backend behind the real server on loopback, with a fresh SQLite file: refusals write
// nothing, and what a finished run exports parses back to the numbers in the database.

const SPEC = {
  name: 'api export',
  system: { name: 'double-well' },
  data: { source: 'metropolis', perState: 400, stride: 5, burnIn: 200 },
  flow: { layers: 'RR', hidden: [16] },
  training: { stages: [{ iterations: 60, lr: 1e-3, batch: 128, wML: 1 }] },
  sampling: { n: 1200 },
  analysis: { bootstrap: 5, pathPoints: 0 },
};

describe('API against the real backend', () => {
  let backend: Backend;
  let server: ApiServer;
  let api: ApiClient;
  let token: string;
  const dir = mkdtempSync(join(tmpdir(), 'bgw-api-'));
  const counts = () => backend.repos.db.prepare('SELECT (SELECT count(*) FROM projects) AS p, (SELECT count(*) FROM runs) AS r, (SELECT count(*) FROM sample_sets) AS s').get();
  const post = (channel: string, body: unknown, headers: Record<string, string>) =>
    fetch(`${server.url}/api/${channel}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

  beforeAll(async () => {
    backend = await createBackend({ dbPath: join(dir, 'w.db'), workers: 1 });
    token = generateToken();
    server = await startApiServer({ handlers: backend.handlers, subscribe: (l) => backend.events.subscribe(l), token });
    api = createApiClient({ url: server.url, token });
  });
  afterAll(async () => {
    await server?.close();
    await backend?.close();
  });

  it('refuses a missing token, a wrong token, a foreign Origin and an invalid spec, each with its own error, writing nothing', async () => {
    const before = counts();
    const start = { spec: SPEC };
    const missing = await post('runs:start', start, {});
    const wrong = await post('runs:start', start, { authorization: `Bearer ${generateToken()}` });
    const origin = await post('runs:start', start, { authorization: `Bearer ${token}`, origin: 'http://evil.example' });
    const invalid = await post('runs:start', { spec: { ...SPEC, training: { stages: [{ iterations: 10, lr: -1, batch: 8, wML: 1 }] } } }, { authorization: `Bearer ${token}` });
    const bodies = await Promise.all([missing, wrong, origin, invalid].map((r) => r.json() as Promise<{ error: { code: string; message: string; issues?: { path: string }[] } }>));
    expect([missing.status, wrong.status, origin.status, invalid.status]).toEqual([401, 401, 403, 422]);
    expect(bodies.map((b) => b.error.code)).toEqual(['unauthorized', 'unauthorized', 'forbidden', 'invalid_input']);
    expect(bodies[0]!.error.message).toMatch(/missing API token/);
    expect(bodies[1]!.error.message).toMatch(/wrong API token/);
    expect(bodies[2]!.error.message).toMatch(/Origin 'http:\/\/evil\.example' is not allowed/);
    expect(bodies[3]!.error.issues?.map((i) => i.path)).toEqual(['spec.training.stages[0].lr']);
    expect(new Set(bodies.map((b) => b.error.message)).size).toBe(4);
    expect(counts()).toEqual(before);
  });

  it('system:info names the backend, why it was chosen, and the cores', async () => {
    const info = await api.call('system:info', {});
    expect(info.backend.name).toMatch(/^(tensorflow|webgpu|wasm|cpu)$/);
    expect(info.backend.why.length).toBeGreaterThan(10);
    expect(info.cpuCores).toBeGreaterThanOrEqual(1);
    expect(info.workers).toBe(1);
  });

  it('a finished run exports CSV that parses back to the database numbers, and PDB with one model per sample', async () => {
    const project = await api.call('projects:create', { name: 'exports' });
    const run = await api.call('runs:start', { spec: SPEC, seed: 7, projectId: project.id });
    const done = await backend.scheduler.waitFor(run.id);
    expect(done.status, done.error ?? '').toBe('completed');
    const [set] = await api.call('samples:sets', { runId: run.id });
    // The database's rows, through the API, in index order with coordinates.
    const rows: SampleRowDto[] = [];
    for (let offset = 0; offset < set!.n; offset += 1000) rows.push(...(await api.call('samples:page', { setId: set!.id, offset, limit: 1000 })).rows);
    expect(rows).toHaveLength(1200);

    const csvPath = join(dir, 'weighted.csv');
    const ex = await api.call('export:samples', { setId: set!.id, format: 'csv', path: csvPath });
    expect(ex.rows).toBe(1200);
    const parsed = parse(readFileSync(csvPath, 'utf8'), { columns: true }) as Record<string, string>[];
    expect(parsed).toHaveLength(1200);
    parsed.forEach((p, i) => {
      const r = rows[i]!;
      expect(Number(p.id)).toBe(r.id);
      expect([Math.fround(Number(p.x0)), Math.fround(Number(p.x1))]).toEqual(r.x);
      expect(p.energy === '' ? null : Number(p.energy)).toBe(r.u);
      expect(p.logw === '' ? null : Number(p.logw)).toBe(r.logw);
      expect(Number(p.weight)).toBe(r.w);
      expect(p.state === '' ? null : p.state).toBe(r.state === null ? null : r.state === 'A' ? 'left' : 'right');
    });

    const pdbPath = join(dir, 'resampled.pdb');
    const pdb = await api.call('export:samples', { setId: set!.id, format: 'pdb', resample: 300, path: pdbPath });
    expect(pdb.rows).toBe(300);
    const lines = readFileSync(pdbPath, 'utf8').trimEnd().split('\n');
    expect(lines.filter((l) => l.startsWith('MODEL ')).length).toBe(300);
    expect(lines.filter((l) => l.startsWith('ENDMDL')).length).toBe(300);
    expect(lines.every((l) => l.length === 80 || l === 'END')).toBe(true);

    // Never the database's own files; an existing file only with overwrite.
    await expect(api.call('export:samples', { setId: set!.id, format: 'csv', path: join(dir, 'w.db') })).rejects.toMatchObject({ code: 'conflict', message: expect.stringMatching(/database's own files/) });
    await expect(api.call('export:samples', { setId: set!.id, format: 'csv', path: csvPath })).rejects.toMatchObject({ code: 'conflict', message: expect.stringMatching(/exists/) });
    expect((await api.call('export:samples', { setId: set!.id, format: 'csv', path: csvPath, overwrite: true, resample: 10 })).rows).toBe(10);
    // An unwritable path is a clear error, not a crash.
    await expect(api.call('export:samples', { setId: set!.id, format: 'csv', path: join(dir, 'no/such/dir/x.csv') })).rejects.toMatchObject({ code: 'bad_request' });
  });

  it('malformed PDB and CSV imports fail with the line number and store nothing', async () => {
    const before = counts();
    const project = (await api.call('projects:list', {}))[0]!;
    const pdb = ['MODEL        1', 'HETATM    1  P1  PNT A   1       1.000   2.000   0.000  1.00  1.00           C', 'ENDMDL', 'MODEL        2', 'HETATM    1  P1  PNT A   1       1.0x0   2.000   0.000  1.00  1.00           C', 'ENDMDL', 'END'].join('\n');
    await expect(api.call('import:samples', { projectId: project.id, system: { name: 'double-well' }, format: 'pdb', text: pdb })).rejects.toMatchObject({ code: 'invalid_input', message: expect.stringMatching(/line 5/) });
    const csv = 'x0,x1\n1,2\n3,4\n5,oops\n';
    await expect(api.call('import:samples', { projectId: project.id, system: { name: 'double-well' }, format: 'csv', text: csv })).rejects.toMatchObject({ code: 'invalid_input', message: expect.stringMatching(/line 4/) });
    expect(counts()).toEqual(before);
    // A good file imports, with energies computed.
    const ok = await api.call('import:samples', { projectId: project.id, system: { name: 'double-well' }, format: 'csv', text: 'x0,x1\n-1.5,0.2\n1.4,-0.3\n' });
    expect(ok.n).toBe(2);
    const page = await api.call('samples:page', { setId: ok.id, limit: 2 });
    expect(page.rows.map((r) => r.state)).toEqual(['A', 'B']);
  });

  it('imported configurations train a run (data.source "samples") and start an exploration (a stored row)', async () => {
    const project = (await api.call('projects:list', {}))[0]!;
    // Training data from "another tool": a CSV of configurations in both wells.
    const rows = Array.from({ length: 400 }, (_, i) => `${i % 2 ? 1.4 : -1.5},${((i % 7) - 3) / 4}`);
    const set = await api.call('import:samples', { projectId: project.id, system: { name: 'double-well' }, format: 'csv', text: `x0,x1\n${rows.join('\n')}\n` });
    const pdb = 'HETATM    1  P1  PNT A   1      -1.500   0.100   0.000  1.00  1.00           C\nEND\n';
    const start = await api.call('import:samples', { projectId: project.id, system: { name: 'double-well' }, format: 'pdb', text: pdb });
    const trained = await api.call('runs:start', { spec: { ...SPEC, data: { source: 'samples', setId: set.id } }, seed: 1 });
    const explored = await api.call('runs:start', {
      spec: { ...SPEC, data: { source: 'configuration', start: { setId: start.id }, bufferSize: 200 }, explore: { iterations: 20, batch: 32 }, training: { stages: [] } },
      seed: 2,
    });
    const [a, b] = await Promise.all([backend.scheduler.waitFor(trained.id), backend.scheduler.waitFor(explored.id)]);
    expect(a.status, a.error ?? '').toBe('completed');
    expect((await api.call('runs:get', { id: a.id })).result?.data?.n).toBe(400);
    expect(b.status, b.error ?? '').toBe('completed');
    const buffer = (await api.call('samples:sets', { runId: b.id })).find((s) => s.kind === 'explored')!;
    expect(buffer.n).toBe(200);
    // A missing set or a row past the end is refused at start, naming the field; nothing is stored.
    const before = counts();
    await expect(api.call('runs:start', { spec: { ...SPEC, data: { source: 'samples', setId: 9999 } } })).rejects.toMatchObject({ code: 'invalid_input', issues: [{ path: 'spec.data.setId' }] });
    await expect(api.call('runs:start', { spec: { ...SPEC, data: { source: 'configuration', start: { setId: start.id, index: 1 } }, explore: { iterations: 5 }, training: { stages: [] } } })).rejects.toMatchObject({ issues: [{ path: 'spec.data.start.index' }] });
    expect(counts()).toEqual(before);
  });
});

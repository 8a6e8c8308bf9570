import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createBackend, type Backend } from '../../src-main/backend/backend';
import { registerDownloads } from '../../src-main/backend/server/downloads';
import { startApiServer, type ApiServer } from '../../src-main/backend/server/http';
import { generateToken } from '../../src-main/backend/server/security';

// The download route over the real backend and server: the file is the exporter's, the token is
// required, and each download's temporary file is gone once it has been sent.

describe('GET /download/samples', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bgw-downloads-test-'));
  const tmpRoot = mkdtempSync(join(dir, 'tmp-'));
  const token = generateToken();
  let backend: Backend;
  let server: ApiServer;
  let setId: number;
  const get = (query: Record<string, string>) => fetch(`${server.url}/download/samples?${new URLSearchParams(query)}`);

  beforeAll(async () => {
    backend = await createBackend({ dbPath: join(dir, 'w.db'), workers: 1 });
    server = await startApiServer({
      handlers: backend.handlers,
      subscribe: (l) => backend.events.subscribe(l),
      token,
      routes: (app) => registerDownloads(app, { samples: backend.repos.samples, dbPath: backend.dbPath, tmpRoot }),
    });
    const project = await backend.call('projects:create', { name: 'downloads' });
    const set = await backend.call('import:samples', { projectId: project.id, system: { name: 'double-well' }, format: 'csv', text: 'x0,x1\n-1.5,0.2\n1.4,-0.3\n0.1,0.5\n' });
    setId = set.id;
  });
  afterAll(async () => {
    await server?.close();
    await backend?.close();
  });

  it('streams the set as CSV with a header and one line per sample', async () => {
    const r = await get({ setId: String(setId), format: 'csv', token });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(r.headers.get('content-disposition')).toMatch(new RegExp(`^attachment; filename="set-${setId}\\.csv"$`));
    const table = parse(await r.text()) as string[][];
    expect(table[0]).toEqual(['id', 'x0', 'x1', 'energy', 'logw', 'weight', 'rc', 'state']);
    expect(table.length).toBe(4);
    expect(table.slice(1).map((row) => Math.fround(Number(row[1])))).toEqual([-1.5, 1.4, 0.1].map(Math.fround)); // float32 coordinates
  });

  it('streams the set as PDB, one MODEL per sample, and resamples on request', async () => {
    const r = await get({ setId: String(setId), format: 'pdb', token });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('chemical/x-pdb');
    expect((await r.text()).match(/^MODEL /gm)?.length).toBe(3);
    const resampled = await get({ setId: String(setId), format: 'csv', resample: '5', token });
    expect(resampled.headers.get('content-disposition')).toMatch(/-resampled-5\.csv"$/);
    expect((parse(await resampled.text()) as string[][]).length).toBe(6);
  });

  it('refuses a missing token, a bad format and an unknown set', async () => {
    const missing = await get({ setId: String(setId), format: 'csv' });
    expect(missing.status).toBe(401);
    const bad = await get({ setId: String(setId), format: 'xlsx', token });
    expect(bad.status).toBe(422);
    expect(((await bad.json()) as { error: { code: string; message: string } }).error).toMatchObject({ code: 'invalid_input', message: expect.stringMatching(/format/) });
    expect((await get({ setId: 'abc', format: 'csv', token })).status).toBe(422);
    const unknown = await get({ setId: '9999', format: 'csv', token });
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: { code: string } }).error.code).toBe('not_found');
  });

  it('stops preparing a download whose client went away, and removes its file', async () => {
    const project = await backend.call('projects:create', { name: 'big' });
    const rows = Array.from({ length: 400_000 }, (_, i) => `${((i % 997) / 300 - 1.6).toFixed(4)},${((i % 89) / 60 - 0.7).toFixed(4)}`);
    const big = await backend.call('import:samples', { projectId: project.id, system: { name: 'double-well' }, format: 'csv', text: `x0,x1\n${rows.join('\n')}\n` });
    // The whole download, for scale.
    const t0 = performance.now();
    expect((await (await get({ setId: String(big.id), format: 'pdb', token })).arrayBuffer()).byteLength).toBeGreaterThan(1e7);
    const full = performance.now() - t0;
    await vi.waitFor(() => expect(readdirSync(tmpRoot)).toEqual([]), { timeout: 2000 });
    // Aborted while the export is being written: the temporary folder is gone well before a full export's time.
    const ac = new AbortController();
    const pending = fetch(`${server.url}/download/samples?${new URLSearchParams({ setId: String(big.id), format: 'pdb', token })}`, { signal: ac.signal }).catch((e: Error) => e);
    await vi.waitFor(() => expect(readdirSync(tmpRoot).length).toBe(1), { timeout: 2000, interval: 5 });
    const t1 = performance.now();
    ac.abort();
    await pending;
    await vi.waitFor(() => expect(readdirSync(tmpRoot)).toEqual([]), { timeout: full, interval: 10 });
    expect(performance.now() - t1).toBeLessThan(full / 2);
    // The server still answers, and at most two downloads are prepared at once.
    const three = await Promise.all([0, 1, 2].map(() => get({ setId: String(big.id), format: 'pdb', token })));
    expect(three.map((r) => r.status).sort()).toEqual([200, 200, 409]);
    await Promise.all(three.map((r) => r.arrayBuffer()));
  });

  it('leaves no temporary files behind', async () => {
    // The directory is removed when the file stream closes, just after the last byte is sent.
    await vi.waitFor(() => expect(readdirSync(tmpRoot)).toEqual([]), { timeout: 2000 });
  });
});

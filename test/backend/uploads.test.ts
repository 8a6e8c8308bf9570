import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImportJobDto } from '../../contract/api';
import { createBackend, type Backend } from '../../src-main/backend/backend';
import { startApiServer, type ApiServer } from '../../src-main/backend/server/http';
import { generateToken } from '../../src-main/backend/server/security';
import { registerUploads, UPLOAD_PATH } from '../../src-main/backend/server/uploads';
import { uploadOptions } from '../../src-main/cli/serve-api';

// The upload route over the real backend and server: the body streams to a file beside the
// database, the import job takes it from there and removes it; limits, bad queries and the token.

describe('PUT /upload/samples', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bgw-uploads-test-'));
  const dbPath = join(dir, 'w.db');
  const token = generateToken();
  let backend: Backend;
  let server: ApiServer;
  let projectId: number;
  const uploadsDir = `${dbPath}.uploads`;

  beforeAll(async () => {
    // A 2 MiB import limit, so "too large" needs no large file.
    backend = await createBackend({ dbPath, workers: 1, importMaxBytes: 2 * 1024 * 1024 });
    server = await startApiServer({ handlers: backend.handlers, subscribe: (l) => backend.events.subscribe(l), token, routes: (app) => registerUploads(app, uploadOptions(backend, dbPath)) });
    projectId = backend.repos.projects.defaultId();
  });

  afterAll(async () => {
    await server.close();
    await backend.close();
  });

  const put = (query: Record<string, string>, body: BodyInit, headers: Record<string, string> = { authorization: `Bearer ${token}` }) =>
    fetch(`${server.url}${UPLOAD_PATH}?${new URLSearchParams(query)}`, { method: 'PUT', body, headers, duplex: 'half' } as RequestInit);
  const ended = (id: number) =>
    new Promise<ImportJobDto>((resolve) => {
      const stop = backend.events.subscribe((m) => {
        if (m.event === 'imports:progress' && m.data.id === id && m.data.status !== 'running') (stop(), resolve(m.data));
      });
    });
  const csv = (rows: number): string => `x0,x1\n${Array.from({ length: rows }, (_, i) => `${(i % 7) - 3.5},${(i % 5) / 10}`).join('\n')}\n`;

  it('streams a chunked body (no declared length) into an import job; the set holds every row and the file is gone', async () => {
    const text = csv(60_000); // ~0.6 MB in 64 KiB pieces
    const pieces = Array.from({ length: Math.ceil(text.length / 65536) }, (_, i) => text.slice(i * 65536, (i + 1) * 65536));
    const res = await put({ projectId: String(projectId), system: 'double-well', format: 'csv', name: 'uploaded' }, Readable.toWeb(Readable.from(pieces)) as BodyInit);
    expect(res.status).toBe(200);
    const job = (await res.json()) as ImportJobDto;
    const end = job.status === 'running' ? await ended(job.id) : job;
    expect(end.status, end.error ?? '').toBe('done');
    const set = backend.repos.samples.getSet(end.setId!)!;
    expect([set.name, set.n, set.dim]).toEqual(['uploaded', 60_000, 2]);
    const last = Array.from(backend.repos.samples.coordinates(set.id, 59_999));
    expect(last[0]).toBeCloseTo((59_999 % 7) - 3.5, 6);
    expect(last[1]).toBeCloseTo((59_999 % 5) / 10, 6);
    await expect.poll(() => readdirSync(uploadsDir)).toEqual([]);
  });

  it('refuses a body over the import limit (declared or streamed) and keeps nothing', async () => {
    const big = csv(400_000); // ~3.3 MB
    const sets = backend.repos.samples.listSets({}).length;
    const declared = await put({ projectId: String(projectId), system: 'double-well', format: 'csv' }, big);
    expect(declared.status).toBe(413);
    expect(((await declared.json()) as { error: { message: string } }).error.message).toMatch(/import limit .* at most 2\.0 MiB/);
    const streamed = await put({ projectId: String(projectId), system: 'double-well', format: 'csv' }, Readable.toWeb(Readable.from([big.slice(0, 1_500_000), big.slice(1_500_000)])) as BodyInit);
    expect(streamed.status).toBe(413);
    expect(backend.repos.samples.listSets({}).length).toBe(sets);
    expect(existsSync(uploadsDir) ? readdirSync(uploadsDir) : []).toEqual([]);
  });

  it('refuses a bad query, an unknown project and a missing token before reading the body', async () => {
    const bad = await put({ projectId: String(projectId), system: 'double-well', format: 'xlsx' }, 'x');
    expect(bad.status).toBe(422);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toMatch(/format/);
    // A body that never ends: the refusal arrives all the same (nothing waited for the body).
    let sent = 0;
    const endless = () => new ReadableStream<Uint8Array>({ pull: (c) => new Promise((r) => setTimeout(() => r(c.enqueue(new TextEncoder().encode(`${sent++},1\n`))), 5)) });
    expect((await put({ projectId: '999', system: 'double-well', format: 'csv' }, endless() as BodyInit)).status).toBe(404);
    expect((await put({ projectId: String(projectId), system: 'double-well', format: 'xlsx' }, endless() as BodyInit)).status).toBe(422);
    expect(sent).toBeLessThan(5000);
    expect((await put({ projectId: String(projectId), system: '{"name":', format: 'csv' }, 'x')).status).toBe(422);
    expect((await put({ projectId: String(projectId), system: 'double-well', format: 'csv' }, 'x0,x1\n1,2\n', {})).status).toBe(401);
    // A malformed file fails its import (the job says where), and leaves no file either.
    const res = await put({ projectId: String(projectId), system: 'double-well', format: 'csv' }, 'x0,x1\n1,2\n3\n');
    const job = (await res.json()) as ImportJobDto;
    const end = job.status === 'running' ? await ended(job.id) : job;
    expect(end.status).toBe('failed');
    expect(end.error).toMatch(/line 3/);
    await expect.poll(() => readdirSync(uploadsDir)).toEqual([]);
  });
});

import { request, type IncomingHttpHeaders } from 'node:http';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { ApiError, type ApiHandlers, type EventMessage, type ProjectDto } from '../../contract/api';
import { connectEvents, createApiClient } from '../../contract/client';
import { startApiServer, type ApiServer } from '../../src-main/backend/server/http';
import { allowedHosts, checkRequest, generateToken, tokenMatches } from '../../src-main/backend/server/security';

const project: ProjectDto = { id: 1, name: 'alpha', createdAt: '2024-01-01T00:00:00.000Z', runCount: 0 };
const calls: { channel: string; input: unknown }[] = [];
const record = (channel: string, input: unknown): void => void calls.push({ channel, input });

/** Only the channels the tests use do anything; the rest would fail loudly if reached. */
const handlers = new Proxy({} as ApiHandlers, {
  get: (_t, channel: string) => async (input: unknown) => {
    record(channel, input);
    switch (channel) {
      case 'projects:create':
        return { ...project, name: (input as { name: string }).name };
      case 'projects:list':
        return [project];
      case 'runs:get':
        throw new ApiError('not_found', `run ${(input as { id: number }).id} not found`);
      case 'runs:delete':
        throw new Error('disk on fire');
      default:
        return { echo: input };
    }
  },
});

const listeners = new Set<(m: EventMessage) => void>();
const emit = (m: EventMessage): void => listeners.forEach((l) => l(m));
const subscribe = (l: (m: EventMessage) => void): (() => void) => {
  listeners.add(l);
  return () => listeners.delete(l);
};

const token = generateToken();
let server: ApiServer;
/** Every response header seen, to check that no CORS grant is ever made. */
const seenHeaders: IncomingHttpHeaders[] = [];

interface Raw {
  status: number;
  headers: IncomingHttpHeaders;
  body: any;
}

/** node:http, not fetch: fetch refuses to set Host. */
function raw(o: { path: string; method?: string; headers?: Record<string, string>; body?: string; auth?: boolean }): Promise<Raw> {
  const headers: Record<string, string> = { host: `127.0.0.1:${server.port}`, ...(o.auth === false ? {} : { authorization: `Bearer ${token}` }), ...o.headers };
  if (o.body !== undefined && !('content-type' in headers)) headers['content-type'] = 'application/json';
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, path: o.path, method: o.method ?? 'POST', headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => {
        seenHeaders.push(res.headers);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text ? JSON.parse(text) : undefined });
      });
    });
    req.on('error', reject);
    req.end(o.body);
  });
}

beforeAll(async () => {
  server = await startApiServer({ handlers, subscribe, token, host: '127.0.0.1', port: 0 });
});
afterAll(async () => {
  await server.close();
  // The CORS point: a browser page on another origin may never read our responses.
  expect(seenHeaders.length).toBeGreaterThan(10);
  for (const h of seenHeaders) expect(h['access-control-allow-origin']).toBeUndefined();
});

describe('HTTP API', () => {
  it('answers a good call with the handler output', async () => {
    calls.length = 0;
    const r = await raw({ path: '/api/projects:create', body: JSON.stringify({ name: 'beta' }) });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ ...project, name: 'beta' });
    expect(calls).toEqual([{ channel: 'projects:create', input: { name: 'beta' } }]);
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
  });

  it('treats an empty body as {} and applies schema defaults', async () => {
    calls.length = 0;
    expect((await raw({ path: '/api/projects:list' })).body).toEqual([project]);
    expect((await raw({ path: '/api/projects:list', body: '' })).status).toBe(200);
    await raw({ path: '/api/runs:metrics', body: '{"id":3}' });
    expect(calls.at(-1)).toEqual({ channel: 'runs:metrics', input: { id: 3, afterStep: -1 } });
  });

  it('refuses a missing token, then a wrong one, with different messages and no handler call', async () => {
    calls.length = 0;
    const missing = await raw({ path: '/api/projects:list', body: '{}', auth: false });
    expect(missing.status).toBe(401);
    expect(missing.body).toEqual({ error: { code: 'unauthorized', message: 'missing API token: send "Authorization: Bearer <token>" (printed by bgw serve)' } });
    const wrong = await raw({ path: '/api/projects:list', body: '{}', headers: { authorization: `Bearer ${generateToken()}` } });
    expect(wrong.status).toBe(401);
    expect(wrong.body).toEqual({ error: { code: 'unauthorized', message: 'wrong API token' } });
    // A query token is for GET (WebSocket) only.
    expect((await raw({ path: `/api/projects:list?token=${token}`, body: '{}', auth: false })).status).toBe(401);
    expect(calls).toEqual([]);
  });

  it('refuses a foreign Origin (even with the token) and accepts its own', async () => {
    calls.length = 0;
    const r = await raw({ path: '/api/projects:list', body: '{}', headers: { origin: 'http://evil.example' } });
    expect(r.status).toBe(403);
    expect(r.body.error).toEqual({ code: 'forbidden', message: "Origin 'http://evil.example' is not allowed" });
    const preflight = await raw({ path: '/api/projects:list', method: 'OPTIONS', auth: false, headers: { origin: 'http://evil.example', 'access-control-request-method': 'POST' } });
    expect(preflight.status).toBe(403);
    expect(calls).toEqual([]);
    const own = await raw({ path: '/api/projects:list', body: '{}', headers: { origin: `http://localhost:${server.port}` } });
    expect(own.status).toBe(200);
  });

  it('refuses a rebinding Host header before checking anything else', async () => {
    calls.length = 0;
    const r = await raw({ path: '/api/projects:list', body: '{}', auth: false, headers: { host: 'evil.com' } });
    expect(r.status).toBe(403);
    expect(r.body.error).toEqual({ code: 'forbidden', message: "Host 'evil.com' is not allowed (DNS-rebinding protection)" });
    expect((await raw({ path: '/api/projects:list', body: '{}', headers: { host: `evil.com:${server.port}` } })).status).toBe(403);
    expect((await raw({ path: '/api/projects:list', body: '{}', headers: { host: `localhost:${server.port}` } })).status).toBe(200);
    expect(calls).toHaveLength(1);
  });

  it('rejects invalid input with 422 naming the field', async () => {
    calls.length = 0;
    const r = await raw({ path: '/api/projects:create', body: JSON.stringify({ name: '' }) });
    expect(r.status).toBe(422);
    expect(r.body.error).toEqual({ code: 'invalid_input', message: 'name: a name is required', issues: [{ path: 'name', message: 'a name is required' }] });
    const extra = await raw({ path: '/api/projects:rename', body: JSON.stringify({ id: -1, name: 'x', bogus: 1 }) });
    expect(extra.status).toBe(422);
    expect(extra.body.error.issues.map((i: { path: string }) => i.path).sort()).toEqual(['id', 'input']);
    expect(calls).toEqual([]);
  });

  it('answers unknown channels and routes with a 404 envelope', async () => {
    for (const path of ['/api/nope:nothing', '/api/constructor', '/elsewhere']) {
      const r = await raw({ path, body: '{}' });
      expect(r.status).toBe(404);
      expect(r.body.error.code).toBe('not_found');
    }
    expect((await raw({ path: '/api/projects:list', method: 'GET' })).status).toBe(404);
  });

  it('answers malformed JSON and a wrong content type with 400 bad_request', async () => {
    calls.length = 0;
    const bad = await raw({ path: '/api/projects:list', body: '{"name":' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('bad_request');
    const text = await raw({ path: '/api/projects:list', body: '{}', headers: { 'content-type': 'text/plain' } });
    expect(text.status).toBe(400);
    expect(text.body.error.code).toBe('bad_request');
    expect(calls).toEqual([]);
  });

  it('turns a handler ApiError into its status and a plain Error into 500 internal', async () => {
    const nf = await raw({ path: '/api/runs:get', body: '{"id":7}' });
    expect(nf.status).toBe(404);
    expect(nf.body).toEqual({ error: { code: 'not_found', message: 'run 7 not found' } });
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const boom = await raw({ path: '/api/runs:delete', body: '{"id":7}' });
      expect(boom.status).toBe(500);
      expect(boom.body).toEqual({ error: { code: 'internal', message: 'disk on fire' } });
      expect(String(stderr.mock.calls[0]?.[0])).toContain('Error: disk on fire');
    } finally {
      stderr.mockRestore();
    }
  });
});

describe('client', () => {
  it('returns typed outputs and throws ApiError from an envelope', async () => {
    const client = createApiClient({ url: server.url, token });
    const p: ProjectDto = await client.call('projects:create', { name: 'gamma' });
    expect(p.name).toBe('gamma');
    const err = await client.call('projects:create', { name: '' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ code: 'invalid_input', issues: [{ path: 'name', message: 'a name is required' }] });
    const denied = await createApiClient({ url: server.url, token: 'nope' }).call('projects:list', {}).catch((e: unknown) => e);
    expect(denied).toMatchObject({ code: 'unauthorized', message: 'wrong API token' });
  });
});

describe('events WebSocket', () => {
  /** The HTTP status of a refused handshake. */
  const refusedWith = (url: string, options?: WebSocket.ClientOptions): Promise<number> =>
    new Promise((resolve, reject) => {
      const ws = new WebSocket(url, options);
      ws.on('unexpected-response', (_req, res) => {
        resolve(res.statusCode ?? 0);
        ws.terminate();
      });
      ws.on('open', () => reject(new Error('handshake unexpectedly succeeded')));
      ws.on('error', () => {});
    });

  it('refuses a handshake without a token, with a wrong one, or from a foreign origin', async () => {
    const base = `ws://127.0.0.1:${server.port}/events`;
    expect(await refusedWith(base)).toBe(401);
    expect(await refusedWith(`${base}?token=wrong`)).toBe(401);
    expect(await refusedWith(`${base}?token=${token}`, { origin: 'http://evil.example' })).toBe(403);
    await expect(connectEvents(server.url, 'wrong', () => {}).ready).rejects.toThrow();
    expect(listeners.size).toBe(0);
  });

  it('pushes every event in order to a connected client and unsubscribes on close', async () => {
    const got: EventMessage[] = [];
    const conn = connectEvents(server.url, token, (m) => got.push(m));
    await conn.ready;
    // A browser-style query token works too.
    const viaQuery: unknown[] = [];
    const q = new WebSocket(`ws://127.0.0.1:${server.port}/events?token=${token}`);
    q.on('message', (d) => viaQuery.push(JSON.parse(String(d))));
    await new Promise((r) => q.once('open', r));
    expect(listeners.size).toBe(2);
    const sent: EventMessage[] = Array.from({ length: 5 }, (_, i) => ({ event: 'runs:checkpoint', data: { runId: 1, step: i, phase: 'train' } }));
    sent.push({ event: 'runs:status', data: { runId: 1, status: 'completed', error: null } });
    sent.forEach(emit);
    await vi.waitFor(() => expect(got).toHaveLength(sent.length));
    expect(got).toEqual(sent);
    await vi.waitFor(() => expect(viaQuery).toEqual(sent));
    conn.close();
    q.close();
    await vi.waitFor(() => expect(listeners.size).toBe(0));
  });

  it('closes a client that falls more than 8 MB behind with 1013', async () => {
    let closeCode = 0;
    let received = 0;
    const conn = connectEvents(server.url, token, () => received++, (code) => (closeCode = code));
    await conn.ready;
    const big = 'x'.repeat(1024 * 1024);
    // Sent in one tick, most of it must wait in the socket buffer.
    for (let i = 0; i < 24; i++) emit({ event: 'runs:progress', data: { runId: 1, points: [], progress: { phase: 'train', step: i, total: 24, message: big } } });
    await vi.waitFor(() => expect(closeCode).toBe(1013), { timeout: 10_000 });
    expect(received).toBeLessThan(24);
    expect(listeners.size).toBe(0);
  });
});

describe('binding and security helpers', () => {
  it('will not bind a non-loopback address without allowRemote', async () => {
    await expect(startApiServer({ handlers, subscribe, token, host: '0.0.0.0' })).rejects.toThrow(/refusing to bind 0\.0\.0\.0/);
  });

  it('compares tokens exactly and lists loopback hosts with the port', () => {
    const t = generateToken();
    expect(t).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(tokenMatches(t, t)).toBe(true);
    expect(tokenMatches(t.slice(1), t)).toBe(false);
    expect(allowedHosts({ host: '127.0.0.1', port: 8080, allowRemote: false })).toEqual(['127.0.0.1:8080', 'localhost:8080', '[::1]:8080']);
    const policy = { hosts: allowedHosts({ host: '127.0.0.1', port: 8080, allowRemote: false }), token: t };
    expect(checkRequest({ hostHeader: '[::1]:8080', authorization: `Bearer ${t}` }, policy)).toBeNull();
    expect(checkRequest({ hostHeader: 'evil.com', origin: 'https://evil.example' }, policy)?.code).toBe('forbidden');
    expect(checkRequest({ hostHeader: 'localhost:8080', origin: 'https://evil.example' }, policy)?.message).toBe("Origin 'https://evil.example' is not allowed");
  });
});

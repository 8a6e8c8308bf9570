import Fastify, { type FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';
import { ApiError, ApiInputs, IMPORT_TEXT_LIMIT, type ApiHandlers, type Channel } from '../../../contract/api';
import { errorReply, invalidInput } from './envelope';
import { registerEvents, type EventSource } from './events';
import { allowedHosts, checkRequest, isLoopbackHost, type SecurityPolicy } from './security';
import { UPLOAD_PATH } from './uploads';

export interface ApiServerOptions {
  readonly handlers: ApiHandlers;
  readonly subscribe: EventSource;
  readonly token: string;
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** 0 (the default) picks a free port. */
  readonly port?: number;
  /** Required to bind anything but loopback; also admits this machine's addresses and name as Host. */
  readonly allowRemote?: boolean;
  /** Extra routes (file downloads, the renderer's static files), behind the same auth hook. */
  readonly routes?: (app: FastifyInstance) => void | Promise<void>;
  /**
   * GET paths served without the token (the renderer's own HTML, JS and CSS: code, no data; the
   * page then calls the API with the token from its URL). Host and Origin are still checked.
   */
  readonly isPublic?: (path: string) => boolean;
}

export interface ApiServer {
  readonly url: string;
  readonly port: number;
  readonly host: string;
  close(): Promise<void>;
}

/** `import:samples` carries a file's text in its JSON body (≤ IMPORT_TEXT_LIMIT; JSON escaping can double it). */
export const BODY_LIMIT = 2 * IMPORT_TEXT_LIMIT + 1024 * 1024;
/** Every other call: a spec with 10⁵ explicit coordinates is ~2 MB; more is refused before it is parsed. */
export const SMALL_BODY_LIMIT = 8 * 1024 * 1024;

/** The body limit of a request's channel (`import:samples` carries file texts; uploads check the import limit themselves, as they stream). */
function bodyLimitOf(url: string): number {
  const path = url.split('?')[0];
  if (path === UPLOAD_PATH) return Infinity;
  return path === '/api/import:samples' ? BODY_LIMIT : SMALL_BODY_LIMIT;
}

function tooLarge(url: string, bytes: number): ApiError {
  const limit = bodyLimitOf(url);
  return new ApiError('too_large', `request body of ${bytes} bytes exceeds the ${limit / (1024 * 1024)} MiB limit of ${url.split('?')[0]}`);
}

/** The HTTP API: `POST /api/<channel>` with a JSON body, `GET /events` WebSocket, all token-guarded. */
export async function startApiServer(o: ApiServerOptions): Promise<ApiServer> {
  const host = o.host ?? '127.0.0.1';
  const allowRemote = o.allowRemote ?? false;
  if (!allowRemote && !isLoopbackHost(host)) {
    throw new Error(`refusing to bind ${host}: other machines could reach the API there; bind 127.0.0.1, or allow remote access explicitly (allowRemote)`);
  }
  if (!o.token) throw new Error('the API token must not be empty');

  const app = Fastify({ logger: false, bodyLimit: BODY_LIMIT });
  // Known once listening (port 0 resolves then), and no request can arrive before that.
  let policy: SecurityPolicy | undefined;
  const currentPolicy = (): SecurityPolicy =>
    (policy ??= { hosts: allowedHosts({ host, port: (app.server.address() as AddressInfo).port, allowRemote }), token: o.token });

  // First, so that @fastify/websocket's onRequest hook runs before ours: it marks upgrade requests,
  // which is what makes it destroy the socket of a refused handshake. (Route hooks are resolved at
  // ready, so the auth hook below still covers /events.)
  await registerEvents(app, o.subscribe);

  app.addHook('onRequest', async (req, reply) => {
    // A query token only for GET (WebSocket, downloads): it can leak through logs and history.
    const query = req.query as { token?: unknown } | undefined;
    const queryToken = req.method === 'GET' && typeof query?.token === 'string' ? query.token : undefined;
    const isPublic = req.method === 'GET' && (o.isPublic?.(req.url.split('?')[0]!) ?? false);
    const refusal = checkRequest({ hostHeader: req.headers.host, origin: req.headers.origin, authorization: req.headers.authorization, queryToken }, currentPolicy(), !isPublic);
    if (refusal) {
      const r = errorReply(refusal);
      return reply.code(r.status).send(r.body);
    }
    // Refused before a byte of the body is read when the client says its size.
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > bodyLimitOf(req.url)) {
      const r = errorReply(tooLarge(req.url, declared));
      return reply.code(r.status).send(r.body);
    }
  });

  // JSON only: text/plain and forms are what browsers send cross-site without a preflight.
  app.removeAllContentTypeParsers();
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.length > bodyLimitOf(req.url)) done(tooLarge(req.url, text.length), undefined);
    else if (text.trim() === '') done(null, {});
    else parseJson(req, text, done);
  });

  app.setErrorHandler((err, _req, reply) => {
    const r = errorReply(err);
    return reply.code(r.status).send(r.body);
  });
  app.setNotFoundHandler((req, reply) => {
    const r = errorReply(new ApiError('not_found', `no route ${req.method} ${req.url.split('?')[0]}`));
    return reply.code(r.status).send(r.body);
  });

  app.post<{ Params: { channel: string } }>('/api/:channel', async (req, reply) => {
    const channel = req.params.channel;
    if (!isChannel(channel)) throw new ApiError('not_found', `unknown API channel '${channel}'`);
    const parsed = ApiInputs[channel].safeParse(req.body ?? {});
    if (!parsed.success) throw invalidInput(parsed.error);
    // The map is keyed by channel, so the parsed input matches its handler; TS cannot correlate the union.
    const handler = o.handlers[channel] as (input: unknown) => Promise<unknown>;
    const output = await handler(parsed.data);
    return reply.code(200).type('application/json; charset=utf-8').send(JSON.stringify(output ?? null));
  });

  await o.routes?.(app);

  try {
    await app.listen({ host, port: o.port ?? 0 });
  } catch (err) {
    await app.close();
    throw err;
  }
  const { port } = app.server.address() as AddressInfo;
  return { url: `http://${urlHost(host)}:${port}`, port, host, close: () => app.close() };
}

function isChannel(name: string): name is Channel {
  return Object.hasOwn(ApiInputs, name);
}

/** What a local client dials: the wildcard is not an address, and IPv6 needs brackets. */
function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '[::]') return '127.0.0.1';
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

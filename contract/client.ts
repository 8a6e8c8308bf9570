import { ApiError, ERROR_CODES, type ApiOutputs, type ApiRequest, type Channel, type ErrorCode, type EventMessage } from './api';

/** A typed client for the HTTP API, for Node (CLI, tests) and the browser alike: fetch plus WebSocket only. */

export interface ApiClient {
  call<C extends Channel>(channel: C, input: ApiRequest<C>): Promise<ApiOutputs[C]>;
}

export interface ApiClientOptions {
  /** The server's base URL, e.g. `http://127.0.0.1:5173`. */
  readonly url: string;
  readonly token: string;
  readonly fetch?: typeof globalThis.fetch;
}

export function createApiClient(o: ApiClientOptions): ApiClient {
  const doFetch = o.fetch ?? globalThis.fetch;
  return {
    async call<C extends Channel>(channel: C, input: ApiRequest<C>): Promise<ApiOutputs[C]> {
      const res = await doFetch(new URL(`/api/${channel}`, o.url), {
        method: 'POST',
        headers: { authorization: `Bearer ${o.token}`, 'content-type': 'application/json' },
        body: JSON.stringify(input ?? {}),
      });
      const text = await res.text();
      if (!res.ok) throw envelopeError(res.status, text);
      return JSON.parse(text) as ApiOutputs[C];
    },
  };
}

/** The server's envelope as an ApiError; a non-envelope body (a proxy's page, say) as `internal`. */
function envelopeError(status: number, text: string): ApiError {
  try {
    const e = (JSON.parse(text) as { error?: { code?: unknown; message?: unknown; issues?: { path: string; message: string }[] } }).error;
    if (e && typeof e.message === 'string' && (ERROR_CODES as readonly unknown[]).includes(e.code)) return new ApiError(e.code as ErrorCode, e.message, e.issues);
  } catch {
    // not JSON: fall through
  }
  return new ApiError('internal', `HTTP ${status}: ${text.slice(0, 500)}`);
}

export interface EventConnection {
  /** Resolves once the socket is open; rejects if the handshake fails (e.g. a wrong token). */
  readonly ready: Promise<void>;
  close(): void;
}

/** The part of the WebSocket API shared by browsers and `ws`. */
interface SocketLike {
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  close(code?: number, reason?: string): void;
}

/**
 * Subscribe to `GET /events` with the runtime's own WebSocket (browsers, Node ≥ 22). A WebSocket
 * cannot carry headers, so the token goes as `?token=`.
 * `onClose` hears the close code, e.g. 1013 when the server dropped a client too slow to keep up.
 */
export function connectEvents(url: string, token: string, onEvent: (m: EventMessage) => void, onClose?: (code: number, reason: string) => void): EventConnection {
  const target = new URL('/events', url);
  target.protocol = target.protocol === 'https:' ? 'wss:' : 'ws:';
  let socket: SocketLike | undefined;
  let closed = false;
  const ready = (async () => {
    socket = await openSocket(target, token);
    if (closed) socket.close();
    const s = socket;
    await new Promise<void>((resolve, reject) => {
      let open = false;
      s.onopen = () => {
        open = true;
        resolve();
      };
      s.onerror = () => {
        if (!open) reject(new Error(`could not connect to ${target.origin}/events (refused, wrong token, or server down)`));
      };
      s.onclose = (ev) => {
        if (!open) reject(new Error(`events connection closed before opening (code ${ev.code})`));
        else onClose?.(ev.code, ev.reason);
      };
      s.onmessage = (ev) => onEvent(JSON.parse(String(ev.data)) as EventMessage);
    });
  })();
  ready.catch(() => {}); // callers that never await `ready` must not see an unhandled rejection
  return {
    ready,
    close() {
      closed = true;
      socket?.close();
    },
  };
}

async function openSocket(target: URL, token: string): Promise<SocketLike> {
  const Native = (globalThis as { WebSocket?: new (url: string) => SocketLike }).WebSocket;
  if (!Native) throw new Error('connectEvents needs a global WebSocket (every browser; Node 22 or later)');
  target.searchParams.set('token', token);
  return new Native(target.href);
}

import websocket from '@fastify/websocket';
import type { FastifyInstance } from 'fastify';
import type { EventMessage } from '../../../contract/api';

/** Subscribe to the backend's events; returns the unsubscribe function. */
export type EventSource = (listener: (m: EventMessage) => void) => () => void;

/** Beyond this much unsent data a client is not keeping up; closing beats buffering without bound. */
export const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;
/** 1013 "Try Again Later": the client may reconnect and re-fetch what it missed. */
export const CLOSE_TOO_SLOW = 1013;

/**
 * `GET /events`: a one-way WebSocket carrying every EventMessage as JSON text. Auth, Host and Origin
 * are checked by the server's onRequest hook before the upgrade, so a refused client gets an HTTP
 * error instead of a handshake.
 */
export async function registerEvents(app: FastifyInstance, subscribe: EventSource): Promise<void> {
  // Clients send nothing; a small cap stops anyone from pushing large frames at us.
  await app.register(websocket, { options: { maxPayload: 64 * 1024 } });
  app.get('/events', { websocket: true }, (socket) => {
    let unsubscribe: (() => void) | undefined;
    const stop = (): void => {
      unsubscribe?.();
      unsubscribe = undefined;
    };
    unsubscribe = subscribe((m) => {
      if (socket.readyState !== socket.OPEN) return;
      if (socket.bufferedAmount > MAX_BUFFERED_BYTES) {
        stop();
        socket.close(CLOSE_TOO_SLOW, 'too slow: over 8 MB of events unsent');
        return;
      }
      socket.send(JSON.stringify(m));
    });
    socket.on('close', stop);
  });
}

import type { ApiEvents, EventMessage, EventName } from '../../contract/api';

export type EventListener = (m: EventMessage) => void;

/** The backend's pushed events, fanned out to WebSocket clients and in-process listeners (CLI). */
export class EventBus {
  private readonly listeners = new Set<EventListener>();

  emit<E extends EventName>(event: E, data: ApiEvents[E]): void {
    const m = { event, data } as EventMessage;
    for (const l of this.listeners) {
      try {
        l(m);
      } catch (e) {
        // One broken listener must not stop the others or the scheduler.
        process.stderr.write(`bgw: event listener failed: ${(e as Error).message}\n`);
      }
    }
  }

  subscribe(l: EventListener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
}

/** Cooperative cancellation shared by the engine's long loops (training, sampling). */

/** How often long loops yield, in ms. */
export const YIELD_MS = 50;

/** Let pending events (signals, messages) run; cheap enough to call every 50 ms. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** An `AbortError`, as thrown by fetch and piscina when a signal fires. */
export function abortError(): Error {
  return Object.assign(new Error('run cancelled'), { name: 'AbortError' });
}

import type { EventMessage } from '../../contract/api';
import { connectEvents, createApiClient, type ApiClient } from '../../contract/client';

/**
 * The renderer's one way to the backend. The per-launch token arrives in the page URL
 * (`bgw serve` prints it; the Electron shell loads it); it is kept for this tab's session so a
 * reload still works, and removed from the address bar so it is not bookmarked or shared.
 */
function takeToken(): string {
  const url = new URL(location.href);
  const fromUrl = url.searchParams.get('token');
  if (fromUrl) {
    sessionStorage.setItem('bgw-token', fromUrl);
    url.searchParams.delete('token');
    history.replaceState(null, '', url);
  }
  return fromUrl ?? sessionStorage.getItem('bgw-token') ?? '';
}

export const token = takeToken();
export const api: ApiClient = createApiClient({ url: location.origin, token });

/** Pushed events, reconnecting with backoff; `onStatus` hears connected/disconnected. */
export function subscribeEvents(onEvent: (m: EventMessage) => void, onStatus: (connected: boolean) => void): () => void {
  let stopped = false;
  let delay = 500;
  let close = (): void => {};
  const open = (): void => {
    const c = connectEvents(location.origin, token, onEvent, () => {
      onStatus(false);
      if (!stopped) setTimeout(open, (delay = Math.min(delay * 2, 10_000)));
    });
    close = () => c.close();
    c.ready.then(
      () => ((delay = 500), onStatus(true)),
      () => {},
    );
  };
  open();
  return () => ((stopped = true), close());
}

/** A download of a sample set (the backend streams the file; the browser saves it). */
export function downloadUrl(setId: number, format: 'csv' | 'pdb', resample?: number): string {
  const q = new URLSearchParams({ setId: String(setId), format, token });
  if (resample) q.set('resample', String(resample));
  return `${location.origin}/download/samples?${q}`;
}

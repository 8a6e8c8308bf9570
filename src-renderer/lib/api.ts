import type { EventMessage, ImportJobDto } from '../../contract/api';
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

/** What an upload holds: as `import:file`'s input, less the path (the backend stores the body). */
export interface UploadQuery {
  readonly projectId: number;
  readonly system: { readonly name: string; readonly params?: Record<string, number>; readonly forcefield?: string };
  readonly format: 'csv' | 'pdb' | 'json';
  readonly name?: string;
}

/**
 * Send a file of any size to the backend's upload route (`PUT /upload/samples`, streamed to disk
 * there, not through a JSON body): resolves to the import job, which `imports:progress` follows.
 */
export async function uploadSamples(file: Blob, q: UploadQuery): Promise<ImportJobDto> {
  const params = new URLSearchParams({ projectId: String(q.projectId), system: JSON.stringify(q.system), format: q.format });
  if (q.name) params.set('name', q.name);
  const res = await fetch(`${location.origin}/upload/samples?${params}`, { method: 'PUT', body: file, headers: { authorization: `Bearer ${token}` } });
  const body = (await res.json().catch(() => null)) as ImportJobDto | { error?: { message?: string } } | null;
  if (!res.ok) throw new Error((body as { error?: { message?: string } } | null)?.error?.message ?? `upload failed (HTTP ${res.status})`);
  return body as ImportJobDto;
}

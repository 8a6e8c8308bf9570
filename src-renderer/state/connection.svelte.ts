import type { SystemInfo } from '../../contract/api';
import { api } from '../lib/api';

/** The backend this window talks to: its system info and whether the event stream is up. */
export class ConnectionState {
  info = $state<SystemInfo | null>(null);
  connected = $state(false);
  error = $state<string | null>(null);

  async load(): Promise<void> {
    try {
      this.info = await api.call('system:info', {});
      this.error = null;
    } catch (e) {
      this.error = (e as Error).message;
    }
  }
}

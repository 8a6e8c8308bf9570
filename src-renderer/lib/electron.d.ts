import type { BgwBridge } from '../../contract/bridge';

declare global {
  /** What the Electron preload exposes (contract/bridge.ts); absent in a plain browser tab (`bgw serve`). */
  interface Window {
    bgw?: BgwBridge;
  }
}

export {};

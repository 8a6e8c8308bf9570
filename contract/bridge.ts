/**
 * The Electron bridge: the only native conveniences the renderer gets, as `window.bgw` (absent in
 * a plain browser tab under `bgw serve`). Declared once here: the preload exposes exactly this, the
 * main process handles exactly these channels, and the renderer types `window.bgw` with it.
 */
export interface BgwBridge {
  /** Save dialog, then the main process downloads `url` (a backend URL) there; null if cancelled. */
  saveFile(o: { url: string; defaultName: string }): Promise<string | null>;
  /** Shows a file the user saved in the system's file manager. */
  revealInFolder(path: string): Promise<void>;
}

/** The global the preload sets on the renderer's window. */
export const BRIDGE_GLOBAL = 'bgw';

/** IPC channel of each bridge method (ipcRenderer.invoke ↔ ipcMain.handle). */
export const BRIDGE_CHANNELS = {
  saveFile: 'bgw:save-file',
  revealInFolder: 'bgw:reveal',
} as const satisfies Record<keyof BgwBridge, string>;

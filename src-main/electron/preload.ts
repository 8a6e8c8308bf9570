import { contextBridge, ipcRenderer } from 'electron';

/**
 * The only native conveniences the renderer gets, as `window.bgw` (absent in a plain browser).
 * Sandboxed: this file runs as CommonJS with no Node, so it holds no logic; the main process
 * validates every argument and that the call comes from the backend's page. Nothing is exported:
 * an export would make the compiled file touch `module.exports`. The renderer declares this shape.
 */
interface BgwBridge {
  /** Save dialog, then the main process downloads `url` (a backend URL) there; null if cancelled. */
  saveFile(o: { url: string; defaultName: string }): Promise<string | null>;
  revealInFolder(path: string): Promise<void>;
}

const bridge: BgwBridge = {
  saveFile: (o) => ipcRenderer.invoke('bgw:save-file', { url: String(o.url), defaultName: String(o.defaultName) }),
  revealInFolder: (path) => ipcRenderer.invoke('bgw:reveal', String(path)),
};

contextBridge.exposeInMainWorld('bgw', bridge);

import { contextBridge, ipcRenderer } from 'electron';
import { BRIDGE_CHANNELS, BRIDGE_GLOBAL, type BgwBridge } from '../../contract/bridge';

/**
 * Exposes the bridge the contract declares. Sandboxed: this file is bundled to CommonJS with only
 * `electron` left external and runs with no Node, so it holds no logic; the main process validates
 * every argument and that the call comes from the backend's page.
 */
const bridge: BgwBridge = {
  saveFile: (o) => ipcRenderer.invoke(BRIDGE_CHANNELS.saveFile, { url: String(o.url), defaultName: String(o.defaultName) }),
  revealInFolder: (path) => ipcRenderer.invoke(BRIDGE_CHANNELS.revealInFolder, String(path)),
};

contextBridge.exposeInMainWorld(BRIDGE_GLOBAL, bridge);

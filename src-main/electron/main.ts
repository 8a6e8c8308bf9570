import { app, BrowserWindow, dialog, ipcMain, net, session, shell, type IpcMainInvokeEvent } from 'electron';
import { existsSync, mkdirSync } from 'node:fs';
import { basename, isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BRIDGE_CHANNELS } from '../../contract/bridge';
import config from '../../electron.config';
import { BackendSupervisor, downloadTo, type Backend } from './backend-process';

/**
 * The Electron shell: one window on the backend's URL, the backend kept alive (restarted with a
 * new port and token if it dies), and the native conveniences of the bridge (contract/bridge.ts). Nothing else.
 */

const CSP = "default-src 'self'; connect-src 'self' ws://127.0.0.1:*; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; object-src 'none'; base-uri 'self'";

let win: BrowserWindow | null = null;
let backend: Backend | null = null;
const supervisor = new BackendSupervisor({
  onStderr: (s) => process.stderr.write(s),
  onRestart: (b) => {
    backend = b;
    void win?.loadURL(b.url.href);
  },
  onGiveUp: (e) => {
    dialog.showErrorBox(`${config.productName}: the backend stopped`, e.message);
    app.quit();
  },
});

/** A packaged build ships preload.cjs beside main; in development it is compiled here (CommonJS, no Node). */
async function preloadPath(): Promise<string> {
  const built = fileURLToPath(new URL('./preload.cjs', import.meta.url));
  if (existsSync(built)) return built;
  const { buildSync } = await import('esbuild');
  const out = join(app.getPath('userData'), 'preload.cjs');
  mkdirSync(app.getPath('userData'), { recursive: true });
  // Bundled: the preload takes its channel names from the contract, and a sandboxed preload can require only electron.
  buildSync({ entryPoints: [fileURLToPath(new URL('./preload.ts', import.meta.url))], bundle: true, external: ['electron'], format: 'cjs', platform: 'node', target: 'chrome130', outfile: out });
  return out;
}

/** IPC only from a page the backend served (not from anything the window was tricked into loading). */
function fromBackendPage(e: IpcMainInvokeEvent): Backend {
  const frameUrl = e.senderFrame?.url;
  if (!backend || !frameUrl || new URL(frameUrl).origin !== backend.url.origin) throw new Error('not allowed from this page');
  return backend;
}

async function createWindow(): Promise<void> {
  win = new BrowserWindow({
    width: 1400, height: 900, title: config.productName,
    webPreferences: { contextIsolation: true, sandbox: true, nodeIntegration: false, preload: await preloadPath() },
  });
  win.on('closed', () => { win = null; });
  await win.loadURL(backend!.url.href);
}

app.setName(config.productName);
const primary = app.requestSingleInstanceLock(); // a second backend could not take the database anyway
if (!primary) app.exit(0);
app.on('second-instance', () => win?.focus());

app.on('web-contents-created', (_e, contents) => {
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  contents.on('will-navigate', (e, url) => {
    if (!backend || new URL(url).origin !== backend.url.origin) e.preventDefault();
  });
  contents.on('will-attach-webview', (e) => e.preventDefault());
});

ipcMain.handle(BRIDGE_CHANNELS.saveFile, async (e, o: unknown) => {
  const b = fromBackendPage(e);
  const { url, defaultName } = (o ?? {}) as { url?: unknown; defaultName?: unknown };
  if (typeof url !== 'string' || typeof defaultName !== 'string') throw new TypeError('saveFile({ url, defaultName }) takes two strings');
  const source = new URL(url, b.url);
  if (source.origin !== b.url.origin) throw new Error('saveFile downloads only from the workbench backend');
  source.searchParams.set('token', b.token);
  const options = { defaultPath: basename(defaultName) };
  const owner = BrowserWindow.fromWebContents(e.sender);
  const r = owner ? await dialog.showSaveDialog(owner, options) : await dialog.showSaveDialog(options);
  if (r.canceled || !r.filePath) return null;
  await downloadTo(source.href, r.filePath, (u) => net.fetch(u));
  return r.filePath;
});

ipcMain.handle(BRIDGE_CHANNELS.revealInFolder, (e, path: unknown) => {
  fromBackendPage(e);
  if (typeof path !== 'string' || !isAbsolute(path)) throw new TypeError('revealInFolder takes an absolute path');
  shell.showItemInFolder(path);
});

let stopped = false;
app.on('will-quit', (e) => {
  if (stopped) return;
  e.preventDefault(); // SIGTERM the backend and wait: its running runs are then marked interrupted
  void supervisor.stop().finally(() => { stopped = true; app.quit(); });
});
app.on('window-all-closed', () => { if (process.platform !== 'darwin') app.quit(); });
app.on('activate', () => { if (!win && backend) void createWindow(); });

if (primary) app.whenReady().then(async () => {
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    const headers = Object.fromEntries(Object.entries(details.responseHeaders ?? {}).filter(([k]) => k.toLowerCase() !== 'content-security-policy'));
    callback({ responseHeaders: { ...headers, 'Content-Security-Policy': [CSP] } });
  });
  session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  backend = await supervisor.start();
  await createWindow();
}).catch((e: unknown) => {
  dialog.showErrorBox(`${config.productName} could not start`, e instanceof Error ? e.message : String(e));
  app.exit(1);
});

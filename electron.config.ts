/**
 * Build and packaging config for the Electron shell: a plain typed object, no dependency. A
 * packaging step (not written yet) reads it to:
 *  1. compile `main.entry` to `main.outFile` (ESM) and `preload.entry` to `preload.outFile`
 *     (CommonJS: a sandboxed preload cannot be ESM), both with esbuild, platform node, `electron`
 *     external; main then finds the compiled preload next to itself (in development main compiles
 *     the preload itself, see src-main/electron/main.ts);
 *  2. copy `rendererDir` (the Vite build), `workersDir`, `backend` and their node_modules into the
 *     app, unpacking `nativeModules` from the asar archive (a .node file cannot load from it);
 *  3. ship a Node 22 runtime as `nodeRuntime` and point `BGW_NODE` at it: the backend is a plain
 *     Node child process, so better-sqlite3 stays built for Node's ABI, not Electron's;
 *  4. build `targets` per platform into `outputDir`.
 * In development nothing is built: `npm start` runs main.ts through tsx (bin/start.mjs).
 */
export interface ElectronBuildConfig {
  readonly appId: string;
  readonly productName: string;
  readonly main: { readonly entry: string; readonly outFile: string };
  readonly preload: { readonly entry: string; readonly outFile: string };
  readonly rendererDir: string;
  readonly workersDir: string;
  /** What the shell spawns (`node <backend> serve`, on a free port). */
  readonly backend: string;
  readonly nativeModules: readonly string[];
  readonly nodeRuntime: string;
  readonly outputDir: string;
  readonly targets: {
    readonly linux: readonly ('AppImage' | 'deb')[];
    readonly mac: readonly 'dmg'[];
    readonly win: readonly 'nsis'[];
  };
}

const config: ElectronBuildConfig = {
  appId: 'org.bgw.workbench',
  productName: 'Boltzmann Generator Workbench',
  main: { entry: 'src-main/electron/main.ts', outFile: 'dist/electron/main.mjs' },
  preload: { entry: 'src-main/electron/preload.ts', outFile: 'dist/electron/preload.cjs' },
  rendererDir: 'dist/renderer',
  workersDir: 'workers',
  backend: 'bin/bgw.mjs',
  nativeModules: ['better-sqlite3'],
  nodeRuntime: 'resources/node',
  outputDir: 'release',
  targets: { linux: ['AppImage', 'deb'], mac: ['dmg'], win: ['nsis'] },
};

export default config;

#!/usr/bin/env node
// `npm start`: the desktop workbench. No build step, so this file has two roles:
//  - under Node: find Electron's binary and run `electron bin/start.mjs` (this file again);
//  - under Electron (its main process, ESM): register tsx's loader, as bin/bgw.mjs does, and import
//    the TypeScript main. (Electron takes no `--import` flag; module.register hooks do work in its
//    main process, and this avoids relying on NODE_OPTIONS.)
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

if (process.versions.electron) {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src-main/electron/main.ts');
} else {
  const electron = electronBinary();
  if (!electron) {
    process.stderr.write("bgw: Electron's binary is not installed on this machine; run `npm run serve` and open the printed URL in a browser (or install Electron: npx electron@45.5.0 --version)\n");
    process.exit(1);
  }
  const env = { ...process.env };
  delete env.ELECTRON_RUN_AS_NODE; // else Electron would run this file as plain Node
  const child = spawn(electron, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit', env });
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

/** The binary's path, or null. `require('electron')` downloads the binary when it is missing, so it
 * is only called once path.txt and the file it names exist (or ELECTRON_OVERRIDE_DIST_PATH is set). */
function electronBinary() {
  const require = createRequire(import.meta.url);
  try {
    const dir = dirname(require.resolve('electron'));
    const txt = join(dir, 'path.txt');
    const present = existsSync(txt) && existsSync(join(dir, 'dist', readFileSync(txt, 'utf8').trim()));
    if (!present && !process.env.ELECTRON_OVERRIDE_DIST_PATH) return null;
    const path = require('electron');
    return typeof path === 'string' && existsSync(path) ? path : null;
  } catch {
    return null;
  }
}

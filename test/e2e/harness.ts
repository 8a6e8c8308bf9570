/// <reference lib="dom" />
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { spawnBackend } from '../../src-main/electron/backend-process';

export const ROOT = resolve(import.meta.dirname, '../..');
export const RESULTS = join(ROOT, 'test-results');
mkdirSync(RESULTS, { recursive: true });

/** Debian's Chromium: Playwright's own browser download fails on machines that reach only the npm registry and Debian's packages (.ci/run installs it). */
export const CHROMIUM = process.env.BGW_CHROMIUM ?? '/usr/bin/chromium';

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM}: the browser tests need it. Install Debian's package (apt-get install -y chromium, as root; .ci/run does) or set BGW_CHROMIUM to a Chrome/Chromium binary.`);
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
}

export interface Workbench {
  readonly url: string;
  readonly child: ChildProcess;
  close(): Promise<void>;
}

/** `bgw serve` on a fresh temporary database, as a user starts it (`npm run serve` minus the build). */
export async function startWorkbench(workers = 2): Promise<Workbench> {
  const db = join(mkdtempSync(join(tmpdir(), 'bgw-e2e-')), 'w.db');
  if (!existsSync(join(ROOT, 'dist/renderer/index.html'))) throw new Error('the renderer is not built: npm test runs `npm run build` first');
  const b = await spawnBackend({ node: process.execPath, args: ['--db', db, '--workers', String(workers)] });
  return { url: b.url.href, child: b.child, close: () => b.stop() };
}

/**
 * Choose a file in a file input once it is enabled. Playwright's setInputFiles does not wait for
 * that, and the import inputs stay disabled until the project has loaded (or while an import runs):
 * on a loaded host a file set before then was dropped, and the test waited for an import that never began.
 */
export async function chooseFile(input: Locator, file: { name: string; mimeType: string; buffer: Buffer }): Promise<void> {
  await expect.poll(() => input.isEnabled(), { message: 'the file input never became enabled' }).toBe(true);
  await input.setInputFiles(file);
}

/** Count of points a chart has drawn (LineChart exposes it as data-points). */
export async function chartPoints(page: Page, testid: string): Promise<number> {
  return Number((await page.getByTestId(testid).getAttribute('data-points')) ?? 0);
}

/**
 * Whether a screenshot has content: decoded in the browser itself (no image library here), the
 * share of pixels that differ from the most common colour.
 */
export async function nonBlankShare(page: Page, png: Buffer): Promise<number> {
  return page.evaluate(async (b64) => {
    const img = new Image();
    img.src = `data:image/png;base64,${b64}`;
    await img.decode();
    const c = document.createElement('canvas');
    c.width = img.width;
    c.height = img.height;
    const g = c.getContext('2d')!;
    g.drawImage(img, 0, 0);
    const d = g.getImageData(0, 0, c.width, c.height).data;
    const counts = new Map<number, number>();
    for (let i = 0; i < d.length; i += 4) {
      const k = (d[i]! << 16) | (d[i + 1]! << 8) | d[i + 2]!;
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    const top = Math.max(...counts.values());
    return 1 - top / (d.length / 4);
  }, png.toString('base64'));
}

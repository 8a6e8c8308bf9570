/// <reference lib="dom" />
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiClient, type ApiClient } from '../../contract/client';
import { chooseFile, launchBrowser, nonBlankShare, RESULTS, startWorkbench, type Workbench } from './harness';

// A molecule end to end: an alanine-dipeptide run started through the API on a real `bgw serve`,
// then its Ramachandran plot and 3-D structures in Debian's Chromium.

/** MD reference data, a tiny flow and a short training: seconds of work, every molecule view filled. */
const SPEC = {
  name: 'alanine tiny',
  seed: 3,
  system: { name: 'alanine-dipeptide' },
  data: { source: 'md', frames: 200, chains: 1, stride: 20, burnIn: 200 },
  flow: { layers: 'RR', hidden: [32], coordinates: 'mixed' },
  training: { stages: [{ iterations: 30, lr: 0.001, batch: 64, wML: 1 }] },
  sampling: { n: 500 },
  analysis: { bins: 36, bootstrap: 10, pathPoints: 5 },
};

const NO_WEBGL = `WebGL is unavailable in the test browser, so the 3-D viewer cannot be checked. Chromium needs a GPU or SwiftShader: add '--enable-unsafe-swiftshader' (and, if that is not enough, '--use-angle=swiftshader') to launchBrowser's args in test/e2e/harness.ts, or point BGW_CHROMIUM at a Chromium build that ships SwiftShader.`;

let wb: Workbench;
let browser: Browser;
let page: Page;
let api: ApiClient;

beforeAll(async () => {
  wb = await startWorkbench(1);
  const url = new URL(wb.url);
  api = createApiClient({ url: url.origin, token: url.searchParams.get('token') ?? '' });
  browser = await launchBrowser();
  page = await (await browser.newContext({ viewport: { width: 1400, height: 1000 } })).newPage();
});
afterAll(async () => {
  await browser?.close();
  await wb?.close();
});

/** The element's screenshot, saved under test-results/, and its share of non-background pixels. */
async function shot(el: Locator, name: string): Promise<number> {
  const png = await el.screenshot({ path: join(RESULTS, `${name}.png`) });
  return nonBlankShare(page, png);
}

/** Waits for the viewer to finish loading, then expects it drawn; a failure names the viewer's own message. */
async function expectDrawn(viewer: Locator): Promise<void> {
  await expect.poll(() => viewer.getAttribute('data-state'), { timeout: 30_000 }).toMatch(/^(ready|error)$/);
  const message = (await viewer.getAttribute('data-state')) === 'error' ? await viewer.getByRole('alert').textContent() : '';
  expect(await viewer.getAttribute('data-state'), `the viewer shows an error: ${message}`).toBe('ready');
}

async function axe(view: string): Promise<void> {
  const r = await new AxeBuilder({ page: page as any }).analyze();
  const bad = r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(bad.map((v) => `${view}: ${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => `${n.target.join(' ')} ${n.failureSummary ?? ''}`).join('; ')}`)).toEqual([]);
}

describe('molecules in the browser', () => {
  it('runs alanine dipeptide, shows its Ramachandran plot, and draws a selected sample and a latent-path point in 3-D', { timeout: 600_000 }, async () => {
    const project = await api.call('projects:create', { name: 'molecules e2e' });
    const started = await api.call('runs:start', { projectId: project.id, spec: SPEC });
    await expect.poll(async () => (await api.call('runs:get', { id: started.id })).status, { timeout: 540_000, interval: 1000 }).not.toMatch(/^(queued|running)$/);
    const run = await api.call('runs:get', { id: started.id });
    expect(run.status, `run ended ${run.status}: ${run.error ?? ''}`).toBe('completed');
    expect(run.result?.surface, 'a molecule run reports its Ramachandran surface').toBeTruthy();

    await page.goto(`${wb.url}#project=${project.id}&run=${run.id}`);
    const webgl = await page.evaluate(() => {
      const c = document.createElement('canvas');
      return !!(c.getContext('webgl2') ?? c.getContext('webgl'));
    });
    expect(webgl, NO_WEBGL).toBe(true);

    // The Ramachandran plot: generated points, both free-energy grids, the basin table.
    const rama = page.getByTestId('chart-ramachandran');
    await rama.waitFor({ timeout: 30_000 });
    expect(Number(await page.getByTestId('rama-samples').getAttribute('data-points'))).toBeGreaterThan(0);
    expect(Number(await page.getByTestId('rama-free').getAttribute('data-cells'))).toBeGreaterThan(0);
    expect(Number(await page.getByTestId('rama-reference').getAttribute('data-cells'))).toBeGreaterThan(0);
    // The 5-point latent path is drawn over the samples (≥ 5 points; more where it wraps across ±180°).
    expect(Number(await page.getByTestId('rama-samples').getAttribute('data-path'))).toBeGreaterThanOrEqual(5);
    const basins = page.getByTestId('basin-table').locator('tbody tr[data-basin]');
    expect(await basins.count()).toBe(run.result!.surface!.basins.length);
    expect(await basins.first().textContent()).toMatch(/\d+\.\d ± \d+\.\d %/);
    expect(await shot(rama, 'molecule-ramachandran'), 'the Ramachandran plot looks blank').toBeGreaterThan(0.05);

    // A sample from the table, drawn by 3Dmol from the backend's PDB.
    await expect.poll(() => page.getByTestId('sample-total').textContent(), { timeout: 30_000 }).toMatch(/500/);
    const row = page.getByTestId('sample-row').nth(2);
    const id = await row.getAttribute('data-id');
    await row.click();
    const panel = page.getByTestId('molecule-sample');
    const viewer = page.getByTestId('structure-viewer');
    await expect.poll(() => panel.getByRole('heading').textContent()).toBe(`Sample #${id}`);
    await expectDrawn(viewer);
    expect(await page.getByTestId('structure-u').textContent()).toMatch(/-?\d+\.\d+(e[+-]\d+)? kT/);
    expect(await page.getByTestId('structure-w').textContent()).toMatch(/\d\.\d{4}e[+-]\d+/);
    // ACE-ALA-NME: 22 atoms, 21 covalent bonds (acyclic), all from the PDB's CONECT records.
    expect(await viewer.getByRole('img').getAttribute('aria-label')).toMatch(/22 atoms and 21 bonds/);
    expect(await shot(viewer, 'molecule-viewer-sample'), 'the 3-D viewer drew nothing for the sample').toBeGreaterThan(0.02);

    // A point of the latent path: explicit coordinates, no stored row.
    await page.getByLabel('Latent path point (A → B)').fill('2');
    await expect.poll(() => panel.getByRole('heading').textContent()).toMatch(/^Latent path point 3 of \d+/);
    await expectDrawn(viewer);
    expect(await viewer.getByRole('img').getAttribute('aria-label')).toMatch(/22 atoms and 21 bonds/);
    expect(await shot(viewer, 'molecule-viewer-path'), 'the 3-D viewer drew nothing for the path point').toBeGreaterThan(0.02);

    await page.screenshot({ path: join(RESULTS, 'molecule-run-detail.png'), fullPage: true });
    await axe('molecule run detail');
  });

  it("imports a user's PDB in the new-run form and makes it the run's structure; a misnamed atom is refused with the residue", { timeout: 120_000 }, async () => {
    const project = await api.call('projects:create', { name: 'molecule import e2e' });
    await page.goto(`${wb.url}#project=${project.id}`);
    const nav = page.getByRole('navigation', { name: 'Views' });
    await nav.getByRole('button', { name: 'New run' }).click();
    await page.getByTestId('field-system.name').selectOption('molecule');
    const pdb = readFileSync('data/molecules/alanine-dipeptide.pdb', 'utf8');
    await chooseFile(page.getByTestId('molecule-import'), { name: 'my-peptide.pdb', mimeType: 'chemical/x-pdb', buffer: Buffer.from(pdb) });
    await expect.poll(async () => (await api.call('samples:sets', { projectId: project.id })).filter((s) => s.molecule).length).toBe(1);
    const [set] = (await api.call('samples:sets', { projectId: project.id })).filter((s) => s.molecule);
    await expect.poll(() => page.getByTestId('field-system.structure.setId').inputValue()).toBe(String(set!.id));
    expect(set).toMatchObject({ name: 'my-peptide.pdb', dim: 66, n: 1 });

    // The same file with ALA's CA renamed: nothing is stored, and the message names the residue.
    const bad = pdb.replace(/^(ATOM {2}.{6}) CA (.*ALA)/m, '$1 CX $2');
    expect(bad).not.toBe(pdb);
    await chooseFile(page.getByTestId('molecule-import'), { name: 'bad.pdb', mimeType: 'chemical/x-pdb', buffer: Buffer.from(bad) });
    await expect.poll(() => page.getByRole('alert').filter({ hasText: 'Import failed' }).textContent()).toMatch(/ALA.*CA/);
    expect((await api.call('samples:sets', { projectId: project.id })).filter((s) => s.molecule)).toHaveLength(1);
    await axe('new-run form, molecule');
  });
});

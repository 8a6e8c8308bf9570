/// <reference lib="dom" />
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chartPoints, chooseFile, launchBrowser, nonBlankShare, RESULTS, startWorkbench, type Workbench } from './harness';

// The workbench in Debian's Chromium against `bgw serve` on a fresh temporary database: what a
// user does, checked on what the page shows and on the files it saves.

type Spec = Record<string, any>;
/** The double-well preset, shortened so a run takes seconds (fewer steps and samples). */
const quick = (steps: number) => (s: Spec): void => {
  s.name = `double well ×${steps}`;
  s.data.perState = 1000;
  s.training.stages = [
    { name: 'ML', iterations: steps, lr: 1e-3, batch: 256, wML: 1 },
    { name: 'ML+KL', iterations: steps, lr: 1e-3, batch: 256, wML: 1, wKL: 1 },
  ];
  s.sampling.n = 10000;
  s.analysis.bootstrap = 20;
};

let wb: Workbench;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  wb = await startWorkbench(2);
  browser = await launchBrowser();
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 }, acceptDownloads: true });
  page = await context.newPage();
  page.on('dialog', (d) => void d.accept()); // confirmations
  // Long tasks are recorded from the first paint (the responsiveness check reads them).
  await page.addInitScript(() => {
    (window as any).__longTasks = [];
    new PerformanceObserver((l) => (window as any).__longTasks.push(...l.getEntries().map((e) => e.duration))).observe({ type: 'longtask', buffered: true });
  });
  await page.goto(wb.url);
});
afterAll(async () => {
  await browser?.close();
  await wb?.close();
});

const runIds = async (): Promise<number[]> => (await page.getByTestId('run-row').evaluateAll((rows) => rows.map((r) => Number(r.getAttribute('data-run-id')))));

async function startFromPreset(modify: (s: Spec) => void): Promise<number> {
  await nav('Runs').click();
  const before = await runIds();
  await nav('New run').click();
  await page.getByLabel('Preset').selectOption('double-well');
  const json = page.getByLabel('Run spec JSON');
  if (!(await json.isVisible())) await page.getByRole('button', { name: /JSON/ }).click();
  const spec = JSON.parse(await json.inputValue()) as Spec;
  modify(spec);
  await json.fill(JSON.stringify(spec, null, 2));
  await page.getByTestId('start-run').click();
  await expect.poll(async () => (await runIds()).filter((id) => !before.includes(id)).length).toBe(1);
  return (await runIds()).find((id) => !before.includes(id))!;
}

/** The header's view buttons (the empty run list has its own "New run"). */
const nav = (name: string | RegExp) => page.getByRole('navigation', { name: 'Views' }).getByRole('button', { name });
const row = (id: number) => page.locator(`[data-testid="run-row"][data-run-id="${id}"]`);
const status = (id: number) => row(id).getAttribute('data-status');

async function screenshot(name: string): Promise<void> {
  const png = await page.screenshot({ path: join(RESULTS, `${name}.png`), fullPage: true });
  expect(await nonBlankShare(page, png), `${name}.png looks blank`).toBeGreaterThan(0.05);
}

async function axe(view: string): Promise<void> {
  const r = await new AxeBuilder({ page: page as any }).analyze();
  const bad = r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(bad.map((v) => `${view}: ${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => `${n.target.join(' ')} ${n.failureSummary ?? ''}`).join('; ')}`)).toEqual([]);
}

describe('workbench in the browser', () => {
  let firstRun = 0;

  it('creates a project, starts the double-well preset, sees the loss chart grow live, then ΔF and the profile', async () => {
    await expect.poll(() => page.getByTestId('backend-name').textContent()).toMatch(/wasm|cpu|tensorflow|webgpu/);
    await page.getByLabel('New project').fill('e2e project');
    await page.getByRole('button', { name: 'Create' }).click();
    await expect.poll(() => page.getByRole('button', { name: /^e2e project/ }).count()).toBe(1);

    // Held-out frames give the run a second, bidirectional ΔF (BAR) and each state's KL(p‖q).
    firstRun = await startFromPreset((s) => {
      quick(400)(s);
      s.training.heldOut = { fraction: 0.2 };
    });
    await row(firstRun).getByRole('button', { name: new RegExp(`#${firstRun}`) }).click();
    // Counted, not assumed: the chart gains points while the run trains.
    await expect.poll(() => chartPoints(page, 'chart-loss'), { timeout: 60_000 }).toBeGreaterThan(0);
    const early = await chartPoints(page, 'chart-loss');
    await expect.poll(() => chartPoints(page, 'chart-loss'), { timeout: 60_000 }).toBeGreaterThan(early);
    await expect.poll(() => status(firstRun), { timeout: 120_000 }).toBe('completed');
    await expect.poll(() => page.getByTestId('delta-f').textContent(), { timeout: 30_000 }).toMatch(/-?\d+\.\d+ ± \d+\.\d+/);
    await expect.poll(() => page.getByTestId('chart-profile').count()).toBe(1);
    await expect.poll(() => chartPoints(page, 'chart-kl')).toBeGreaterThan(10);
    await expect.poll(() => page.getByTestId('delta-f-bar').textContent()).toMatch(/^-?\d+\.\d+ ± \d+\.\d+ kT KL\(p‖q\) left -?\d+\.\d, right -?\d+\.\d nats$/);
    // The scheduler's share of the cores, as the run page shows it.
    await expect.poll(() => page.getByTestId('run-cores').textContent()).toMatch(/^[1-9]\d*$/);
    await screenshot('run-detail');
    await axe('run detail');
  });

  it('pages and sorts the sample table', async () => {
    await expect.poll(() => page.getByTestId('sample-total').textContent(), { timeout: 30_000 }).toMatch(/10[ ,.]?000/);
    await page.getByTestId('sort-u').click();
    const energies = async (): Promise<number[]> => (await page.getByTestId('sample-row').evaluateAll((rows) => rows.map((r) => Number(r.getAttribute('data-u'))))).filter(Number.isFinite);
    await expect.poll(async () => (await energies()).length).toBeGreaterThan(10);
    const asc = await energies();
    expect(asc).toEqual([...asc].sort((a, b) => a - b));
    // Clicking a row shows that configuration.
    const first = page.getByTestId('sample-row').first();
    const id = await first.getAttribute('data-id');
    await first.click();
    await expect.poll(() => page.getByTestId('config-id').textContent()).toBe(id);
    await expect.poll(async () => (await page.getByTestId('config-coords').textContent())?.match(/-?\d+\.\d+/g)?.length ?? 0).toBeGreaterThanOrEqual(2);
    // Deep in the table: scroll to the end, the last rows load from the server.
    await page.getByTestId('sample-table').evaluate((el) => el.querySelector('[data-scroll]')?.scrollTo(0, 1e9));
    await expect.poll(async () => Math.max(...(await page.getByTestId('sample-row').evaluateAll((rows) => rows.map((r) => Number(r.getAttribute('data-index'))))))).toBeGreaterThan(9900);
    await screenshot('sample-table');
  });

  it('exports CSV and PDB, weighted and resampled', async () => {
    await page.getByTestId('export-format').selectOption('csv');
    await page.getByTestId('export-mode').selectOption('weighted');
    const [csv] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-download').click()]);
    const csvText = readFileSync((await csv.path())!, 'utf8').trimEnd().split('\n');
    expect(csvText[0]).toBe('id,x0,x1,energy,logw,weight,rc,state');
    expect(csvText).toHaveLength(10001);
    const weights = csvText.slice(1).map((l) => Number(l.split(',')[5]));
    expect(weights.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);

    await page.getByTestId('export-format').selectOption('pdb');
    await page.getByTestId('export-mode').selectOption('resampled');
    await page.getByTestId('export-n').fill('200');
    const [pdb] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-download').click()]);
    const pdbLines = readFileSync((await pdb.path())!, 'utf8').trimEnd().split('\n');
    expect(pdbLines.filter((l) => l.startsWith('MODEL ')).length).toBe(200);
    expect(pdbLines.filter((l) => l.startsWith('HETATM')).every((l) => l.length === 80 && l.slice(17, 20) === 'PNT')).toBe(true);
  });

  it('shows a field-level error for an invalid spec, and starts nothing', async () => {
    await nav('New run').click();
    await page.getByLabel('Preset').selectOption('double-well');
    const json = page.getByLabel('Run spec JSON');
    if (!(await json.isVisible())) await page.getByRole('button', { name: /JSON/ }).click();
    const spec = JSON.parse(await json.inputValue()) as Spec;
    spec.training.stages[0].lr = -1;
    await json.fill(JSON.stringify(spec));
    await page.getByRole('button', { name: /JSON/ }).click(); // back to the form: the error sits at its field
    await expect.poll(() => page.getByTestId('error-training.stages[0].lr').textContent()).toMatch(/./);
    await page.getByTestId('start-run').click();
    await expect.poll(() => page.getByRole('alert').first().textContent()).toMatch(/problem/);
    await screenshot('new-run-form');
    await axe('new-run form');
  });

  it('offers permutation reduction for the dimer only, and writes it into the spec', async () => {
    await nav('New run').click();
    await page.getByLabel('Preset').selectOption('double-well');
    await expect.poll(() => page.getByTestId('field-system.permutationReduction').count()).toBe(0);
    await page.getByTestId('field-system.name').selectOption('dimer');
    await page.getByTestId('field-system.permutationReduction').check();
    const json = page.getByLabel('Run spec JSON');
    if (!(await json.isVisible())) await page.getByRole('button', { name: /JSON/ }).click();
    expect((JSON.parse(await json.inputValue()) as Spec).system).toMatchObject({ name: 'dimer', permutationReduction: true });
    await page.getByRole('button', { name: /JSON/ }).click();
    await page.getByTestId('field-system.name').selectOption('double-well');
    await expect.poll(() => page.getByTestId('field-system.permutationReduction').count()).toBe(0);
  });

  it('sets AIS at sampling and the ESS probe from the form; an out-of-range level count is refused at its field', async () => {
    await nav('New run').click();
    await page.getByLabel('Preset').selectOption('double-well');
    const json = page.getByLabel('Run spec JSON');
    if (await json.isVisible()) await page.getByRole('button', { name: /JSON/ }).click();
    await expect.poll(() => page.getByTestId('sampling-ais').count()).toBe(0);
    await page.getByTestId('field-sampler').selectOption('ais');
    await page.getByTestId('field-sampling.ais.intermediate').fill('300');
    await expect.poll(() => page.getByTestId('error-sampling.ais.intermediate').textContent()).toMatch(/256/);
    await page.getByTestId('field-sampling.ais.intermediate').fill('32');
    await page.getByTestId('field-sampling.ais.kernel').selectOption('metropolis');
    await expect.poll(() => page.getByTestId('field-sampling.ais.leapfrog').count()).toBe(0);
    await page.getByTestId('field-training.essProbe.samples').fill('4096');
    await page.getByRole('button', { name: /JSON/ }).click();
    const spec = JSON.parse(await json.inputValue()) as Spec;
    expect(spec.sampling.ais).toEqual({ intermediate: 32, kernel: 'metropolis' });
    expect(spec.training.essProbe).toEqual({ samples: 4096 });
    await page.getByRole('button', { name: /JSON/ }).click();
    await page.getByTestId('field-sampler').selectOption('flow');
    await expect.poll(() => page.getByTestId('sampling-ais').count()).toBe(0);
    await page.getByRole('button', { name: /JSON/ }).click();
    expect((JSON.parse(await json.inputValue()) as Spec).sampling.ais).toBeUndefined();
    await page.getByRole('button', { name: /JSON/ }).click();
  });

  it('imports a CSV as training data from the form (a streamed upload); the new set becomes data.setId; a malformed file says where', async () => {
    await page.getByLabel('New project').fill('e2e import');
    await page.getByRole('button', { name: 'Create' }).click();
    await page.getByRole('button', { name: /^e2e import/ }).click();
    await nav('New run').click();
    await page.getByLabel('Preset').selectOption('double-well');
    if (await page.getByLabel('Run spec JSON').isVisible()) await page.getByRole('button', { name: /JSON/ }).click();
    await page.getByTestId('field-data.source').selectOption('samples');
    const rows = Array.from({ length: 50_000 }, (_, i) => `${(i % 2 ? 1.5 : -1.5) + (i % 13) / 50},${(i % 7) / 20}`);
    const uploaded = page.waitForRequest((r) => r.method() === 'PUT' && new URL(r.url()).pathname === '/upload/samples');
    await chooseFile(page.getByTestId('data-import'), { name: 'md-frames.csv', mimeType: 'text/csv', buffer: Buffer.from(`x0,x1\n${rows.join('\n')}\n`) });
    await uploaded; // the file went as a streamed body, not as JSON text
    const status = page.getByTestId('data-import-status');
    await expect.poll(() => status.textContent(), { timeout: 30_000 }).toMatch(/Imported md-frames\.csv: 50,000 rows as set #\d+/);
    const setId = /#(\d+)/.exec((await status.textContent())!)![1]!;
    await expect.poll(() => page.getByTestId('field-data.setId').inputValue()).toBe(setId);
    await chooseFile(page.getByTestId('data-import'), { name: 'broken.csv', mimeType: 'text/csv', buffer: Buffer.from('x0,x1\n1,2\n3\n') });
    await expect.poll(() => page.getByRole('alert').filter({ hasText: 'Import failed' }).textContent(), { timeout: 30_000 }).toMatch(/line 3/);
    await expect.poll(() => page.getByTestId('field-data.setId').inputValue()).toBe(setId);
    await axe('new-run form, data import');
    // Back to the suite's project (the tests after this one read its runs).
    const back = page.getByRole('button', { name: /^e2e project/ });
    if (await back.count()) await back.click();
  });

  it('turns a stage into FAB in the form, and the AIS charts fill while it trains from the energy alone', async () => {
    await nav('Runs').click();
    const before = await runIds();
    await nav('New run').click();
    await page.getByLabel('Preset').selectOption('double-well');
    const json = page.getByLabel('Run spec JSON');
    if (await json.isVisible()) await page.getByRole('button', { name: /JSON/ }).click(); // the form
    await page.getByLabel(/Trains by/).first().selectOption('fab');
    await expect.poll(() => page.getByTestId('stage-fab').count()).toBe(1);
    await page.getByRole('button', { name: /JSON/ }).click();
    const spec = JSON.parse(await json.inputValue()) as Spec;
    expect(spec.training.stages[0].fab.intermediate).toBe(8);
    expect(spec.training.stages[0].wML).toBeUndefined();
    delete spec.data;
    spec.name = 'double well, FAB';
    spec.training.stages = [{ ...spec.training.stages[0], epochs: undefined, iterations: 200, batch: 256, fab: { ...spec.training.stages[0].fab, intermediate: 2, chains: 256, bufferSize: 4096, minBuffer: 512 } }];
    spec.sampling.n = 10000;
    spec.analysis.bootstrap = 20;
    await json.fill(JSON.stringify(spec, null, 2));
    await page.getByTestId('start-run').click();
    await expect.poll(async () => (await runIds()).filter((id) => !before.includes(id)).length).toBe(1);
    const id = (await runIds()).find((r) => !before.includes(r))!;
    await row(id).getByRole('button', { name: new RegExp(`#${id}`) }).click();
    await expect.poll(() => status(id), { timeout: 120_000 }).toBe('completed');
    for (const chart of ['chart-sampler', 'chart-logz', 'chart-buffer']) await expect.poll(() => chartPoints(page, chart), { timeout: 30_000 }).toBeGreaterThan(10);
    await screenshot('run-detail-fab');
  });

  it('cancels a running run', async () => {
    const id = await startFromPreset(quick(20000));
    await expect.poll(() => status(id), { timeout: 60_000 }).toBe('running');
    // Cancel once it trains (the progress cell reads "train step/total").
    await expect.poll(() => row(id).textContent(), { timeout: 60_000 }).toMatch(/train [1-9]\d*\/\d+/);
    await row(id).getByTestId('cancel-run').click();
    await expect.poll(() => status(id), { timeout: 30_000 }).toBe('cancelled');
    // A cancel checkpoints first: the resume button says which step it continues from.
    await expect.poll(() => row(id).getByTestId('resume-run').textContent(), { timeout: 10_000 }).toMatch(/^Resume from step [1-9]\d*$/);
  });

  it('reload mid-run restores the charts from the database, then continues live; two runs stream and the page stays responsive', async () => {
    const a = await startFromPreset(quick(3000));
    const b = await startFromPreset(quick(3000));
    await row(a).getByRole('button', { name: new RegExp(`#${a}`) }).click();
    await expect.poll(() => chartPoints(page, 'chart-loss'), { timeout: 60_000 }).toBeGreaterThan(200);
    // Both runs stream for a while: record the longest task the page had.
    await expect.poll(() => status(b), { timeout: 60_000 }).toBe('running');
    // Only the streaming window counts (not the page load or the first chart build).
    await page.evaluate(() => ((window as any).__longTasks = []));
    await page.waitForTimeout(8000);
    const longest = await page.evaluate(() => Math.max(0, ...((window as any).__longTasks as number[])));
    writeFileSync(join(RESULTS, 'long-tasks.json'), `${JSON.stringify({ longestTaskMs: longest, note: 'two runs streaming into the run list and the loss chart' }, null, 2)}\n`);
    process.stdout.write(`longest task while two runs streamed: ${longest.toFixed(0)} ms\n`);
    expect(longest).toBeLessThan(1000);

    const before = await chartPoints(page, 'chart-loss');
    await page.reload();
    await expect.poll(() => chartPoints(page, 'chart-loss'), { timeout: 30_000 }).toBeGreaterThanOrEqual(before);
    const restored = await chartPoints(page, 'chart-loss');
    await expect.poll(() => chartPoints(page, 'chart-loss'), { timeout: 60_000 }).toBeGreaterThan(restored);
    await screenshot('run-list-live');
    for (const id of [a, b]) await row(id).getByTestId('cancel-run').click();
    await expect.poll(async () => [await status(a), await status(b)], { timeout: 30_000 }).toEqual(['cancelled', 'cancelled']);
  });

  it('compares runs', async () => {
    await row(firstRun).getByRole('checkbox').check();
    await nav(/Compare/).click();
    await expect.poll(() => page.getByTestId('compare-view').count()).toBe(1);
    await screenshot('compare');
    await axe('compare');
  });

  it('starts a sweep from the form (an axis of two seeds); the sweep view fills its aggregates and charts, and a run opens in one click', async () => {
    await nav('New run').click();
    await page.getByLabel('Preset').selectOption('double-well');
    const json = page.getByLabel('Run spec JSON');
    if (!(await json.isVisible())) await page.getByRole('button', { name: /JSON/ }).click();
    const spec = JSON.parse(await json.inputValue()) as Spec;
    quick(300)(spec);
    spec.name = 'dw sweep';
    await json.fill(JSON.stringify(spec, null, 2));
    await page.getByTestId('add-axis').click();
    await expect.poll(() => page.getByTestId('axis-path').inputValue()).toBe('seed');
    await page.getByTestId('axis-values').fill('1, 2');
    await expect.poll(() => page.getByTestId('start-run').textContent()).toMatch(/Start sweep/);
    await page.getByTestId('start-run').click();
    await expect.poll(() => page.getByTestId('sweep-detail').count(), { timeout: 30_000 }).toBe(1);
    await expect.poll(() => page.getByTestId('sweep-run').count()).toBe(2);
    await expect.poll(() => page.getByTestId('sweep-detail').getAttribute('data-completed'), { timeout: 240_000 }).toBe('2');
    await expect.poll(() => page.getByTestId('sweep-group').count()).toBe(1);
    await expect.poll(() => page.getByTestId('sweep-group').textContent()).toMatch(/all runs\s*2\s*-?\d+\.\d{3} ± \d+\.\d{3}/);
    await expect.poll(() => chartPoints(page, 'sweep-deltaf-chart')).toBe(2);
    await screenshot('sweep-view');
    await axe('sweep view');
    const first = await page.getByTestId('sweep-open-run').first().textContent();
    await page.getByTestId('sweep-open-run').first().click();
    await expect.poll(() => page.locator('[data-testid="run-row"].selected').getAttribute('data-run-id')).toBe(first!.replace('#', ''));
    // And back: the run page names its sweep.
    await page.getByTestId('run-sweep').click();
    await expect.poll(() => page.getByTestId('sweep-detail').count()).toBe(1);
    await page.getByTestId('sweep-seeds').fill('3');
    await page.getByTestId('sweep-add-seeds').click();
    await expect.poll(() => page.getByTestId('sweep-run').count(), { timeout: 20_000 }).toBe(3);
  });
});

import type { ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { EventMessage } from '../../contract/api';
import { connectEvents, createApiClient, type ApiClient } from '../../contract/client';
import { spawnBackend } from '../../src-main/electron/backend-process';

// The backend process (`bgw serve`) is SIGKILLed while a run trains. After a restart the run is
// `interrupted`; resume continues from its last checkpoint (the step counter carries on) and the
// run completes, with every training step's point in the database.

const ROOT = resolve(import.meta.dirname, '../..');
const children: ChildProcess[] = [];
afterEach(() => children.forEach((c) => c.kill('SIGKILL')));

/** A real `bgw serve` (the launcher the Electron shell uses), with a 1 s checkpoint interval. */
async function serve(db: string): Promise<{ child: ChildProcess; url: string; token: string; api: ApiClient }> {
  const b = await spawnBackend({ node: process.execPath, args: ['--db', db, '--workers', '1', '--checkpoint-every', '1'] });
  children.push(b.child);
  return { child: b.child, url: b.url.origin, token: b.token, api: createApiClient({ url: b.url.origin, token: b.token }) };
}

const spec = {
  name: 'killed mid-run',
  system: { name: 'double-well' },
  data: { source: 'metropolis', perState: 500, stride: 5, burnIn: 200 },
  flow: { layers: 'RR', hidden: [32] },
  training: {
    stages: [
      { name: 'warm-up', iterations: 100, lr: 1e-3, batch: 128, wML: 1 },
      { name: 'long', iterations: 2500, lr: 1e-3, batch: 128, wML: 1 },
    ],
  },
  sampling: { n: 2000 },
  analysis: { bootstrap: 10, pathPoints: 0 },
};

describe('crash and resume', () => {
  it('SIGKILL mid-run → interrupted → resume continues from the checkpoint and completes', async () => {
    const db = join(mkdtempSync(join(tmpdir(), 'bgw-crash-')), 'w.db');
    const first = await serve(db);
    const events: EventMessage[] = [];
    const ws = connectEvents(first.url, first.token, (m) => events.push(m));
    await ws.ready;
    const run = await first.api.call('runs:start', { spec, seed: 4 });
    // Wait for a mid-stage (time-based) checkpoint inside the long stage, then kill the process.
    await until(() => events.some((m) => m.event === 'runs:checkpoint' && m.data.runId === run.id && m.data.phase === 'train' && m.data.step > 150));
    first.child.kill('SIGKILL');
    await new Promise((r) => first.child.once('exit', r));
    ws.close();

    const second = await serve(db);
    // While it owns the database, another backend (a one-shot `bgw run`) is refused, naming it.
    const { spawnSync } = await import('node:child_process');
    const other = spawnSync(process.execPath, ['bin/bgw.mjs', 'run', 'test/fixtures/double-well-ci.json', '--db', db, '--quiet'], { cwd: ROOT, encoding: 'utf8' });
    expect(other.status).toBe(1);
    expect(other.stderr).toMatch(new RegExp(`in use by another bgw backend \\(pid ${second.child.pid}: bgw serve`));
    const after = await second.api.call('runs:get', { id: run.id });
    expect(after.status).toBe('interrupted');
    const checkpointStep = after.lastCheckpointStep!;
    expect(checkpointStep).toBeGreaterThan(150);
    expect(checkpointStep).toBeLessThan(2600);

    const resumed: EventMessage[] = [];
    const ws2 = connectEvents(second.url, second.token, (m) => resumed.push(m));
    await ws2.ready;
    await second.api.call('runs:resume', { id: run.id });
    await until(() => resumed.some((m) => m.event === 'runs:status' && m.data.runId === run.id && ['completed', 'failed'].includes(m.data.status)), 120_000);
    ws2.close();
    const done = await second.api.call('runs:get', { id: run.id });
    expect(done.status, done.error ?? '').toBe('completed');

    // The first training point after the resume is the step after the checkpoint, not step 1.
    const steps = resumed.flatMap((m) => (m.event === 'runs:progress' ? m.data.points.filter((p) => p.series === 'train.loss').map((p) => p.step) : []));
    expect(steps[0]).toBe(checkpointStep + 1);
    expect(Math.min(...steps)).toBe(checkpointStep + 1);
    expect(steps.at(-1)).toBe(2600);
    // Every step 1…2600 has its point (earlier ones from before the crash).
    const loss = await second.api.call('runs:metrics', { id: run.id, series: ['train.loss'] });
    expect(loss.map((p) => p.step)).toEqual(Array.from({ length: 2600 }, (_, i) => i + 1));
    expect(done.result?.training?.steps).toBe(2600);
    expect(done.result?.nSamples).toBe(2000);
    second.child.kill('SIGTERM');
  });
});

async function until(cond: () => boolean, timeoutMs = 90_000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > timeoutMs) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 25));
  }
}

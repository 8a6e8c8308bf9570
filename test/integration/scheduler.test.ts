import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkIntegrity } from '../../db';
import { createBackend, type Backend } from '../../src-main/backend/backend';
import type { ApiRequest, Channel, EventMessage, RunStatus } from '../../contract/api';
import type { JobFaults } from '../../contract/jobs';
import type { RunSpec } from '../../contract/run-spec';

// Three runs on a pool of two workers, against a real SQLite file: one cancelled while it trains,
// one that fails (its energy throws at step k), and one that completes. The failure must not
// disturb the others, and everything the finished run produced must be in the database.

const spec = (name: string, stages: object[]) => ({
  name,
  system: { name: 'double-well' },
  data: { source: 'metropolis', perState: 500, stride: 5, burnIn: 200 },
  flow: { layers: 'RR', hidden: [32] },
  training: { stages },
  sampling: { n: 3000 },
  analysis: { bootstrap: 10, pathPoints: 0 },
});

/** Failures injected by run name through the backend's test hook (the run spec has no such field). */
const FAULTS: Record<string, JobFaults> = { 'to fail': { energyThrowsAtStep: 25 }, 'worker dies': { workerExitsAtStep: 30 } };
const injected = ({ spec: s }: { spec: RunSpec }): JobFaults | undefined => FAULTS[s.name ?? ''];

describe('scheduler: three runs on a pool of two', () => {
  let backend: Backend;
  const events: EventMessage[] = [];

  beforeAll(async () => {
    const db = join(mkdtempSync(join(tmpdir(), 'bgw-sched-')), 'w.db');
    backend = await createBackend({ dbPath: db, workers: 2, checkpointEverySeconds: 3600, faults: injected });
    backend.events.subscribe((m) => events.push(m));
  });
  afterAll(async () => backend?.close());

  const statuses = (runId: number): RunStatus[] => events.flatMap((m) => (m.event === 'runs:status' && m.data.runId === runId ? [m.data.status] : []));

  it('cancels one, fails one, completes one; the database stays sound', async () => {
    const h = <C extends Channel>(c: C, i: ApiRequest<C>) => backend.call(c, i);
    const long = await h('runs:start', { spec: spec('to cancel', [{ iterations: 20000, lr: 1e-3, batch: 64, wML: 1 }]), seed: 1 });
    const failing = await h('runs:start', { spec: spec('to fail', [{ iterations: 200, lr: 1e-3, batch: 64, wML: 1, wKL: 1 }]), seed: 2 });
    const good = await h('runs:start', { spec: spec('to finish', [{ iterations: 120, lr: 1e-3, batch: 128, wML: 1 }, { iterations: 60, lr: 1e-3, batch: 128, wML: 1, wKL: 0.5 }]), seed: 3 });
    // Two workers: the third waits.
    expect((await h('runs:get', { id: good.id })).status).toBe('queued');

    // Cancel the long run once it is really training (a progress point past step 10).
    await until(() => events.some((m) => m.event === 'runs:progress' && m.data.runId === long.id && m.data.points.some((p) => p.series === 'train.loss' && p.step > 10)));
    await h('runs:cancel', { id: long.id });

    const [a, b, c] = await Promise.all([long, failing, good].map((r) => backend.scheduler.waitFor(r.id)));
    expect(a!.status).toBe('cancelled');
    expect(b!.status).toBe('failed');
    expect(b!.error).toContain('injected fault: energy threw at training step 25');
    expect(c!.status, c!.error ?? '').toBe('completed');
    expect(statuses(good.id)).toEqual(['queued', 'running', 'completed']);
    expect(statuses(failing.id)).toEqual(['queued', 'running', 'failed']);

    // The failed run's points up to the fault were kept; the good run has every step's point.
    const failedLoss = await h('runs:metrics', { id: failing.id, series: ['train.loss'] });
    expect(failedLoss.length).toBeGreaterThanOrEqual(20);
    expect(Math.max(...failedLoss.map((p) => p.step))).toBeLessThan(25);
    const loss = await h('runs:metrics', { id: good.id, series: ['train.loss', 'train.kl'] });
    expect(loss.filter((p) => p.series === 'train.loss').map((p) => p.step)).toEqual(Array.from({ length: 180 }, (_, i) => i + 1));
    expect(loss.filter((p) => p.series === 'train.kl' && p.step > 120).every((p) => Number.isFinite(p.value))).toBe(true);

    // Checkpoint (the trained generator), samples and the result are all stored.
    const cp = backend.repos.checkpoints.latest(good.id);
    expect(cp?.phase).toBe('trained');
    expect(cp?.step).toBe(180);
    expect(cp?.flow.byteLength).toBeGreaterThan(1000);
    const detail = await h('runs:get', { id: good.id });
    expect(detail.result?.nSamples).toBe(3000);
    expect(detail.deltaF?.value).toBeCloseTo(detail.result!.deltaF.value!, 12);
    const sets = await h('samples:sets', { runId: good.id });
    expect(sets.map((s) => [s.kind, s.n, s.dim])).toEqual([['generated', 3000, 2], ['reference', 1000, 2]]);
    const page = await h('samples:page', { setId: sets[0]!.id, sort: 'w', order: 'desc', limit: 50 });
    expect(page.total).toBe(3000);
    const w = page.rows.map((r) => r.w);
    expect(w).toEqual([...w].sort((x, y) => y - x));
    // Normalised weights sum to 1 over the set (summed in SQL, independent of the page code).
    const sum = backend.repos.db.prepare('SELECT sum(w) AS s FROM samples WHERE set_id = ?').get(sets[0]!.id) as { s: number };
    expect(sum.s).toBeCloseTo(1, 9);
    // Nothing was stored for the runs that did not finish.
    expect(await h('samples:sets', { runId: long.id })).toEqual([]);
    expect(await h('samples:sets', { runId: failing.id })).toEqual([]);

    expect(checkIntegrity(backend.repos.db)).toEqual([]);
  });

  it('sample more from the finished run: a new run from its saved generator, no training', async () => {
    const h = <C extends Channel>(c: C, i: ApiRequest<C>) => backend.call(c, i);
    const src = (await h('runs:list', {})).find((r) => r.name === 'to finish')!;
    const more = await h('runs:sampleMore', { id: src.id, n: 1500, seed: 9 });
    const done = await backend.scheduler.waitFor(more.id);
    expect(done.status, done.error ?? '').toBe('completed');
    expect(done.parentId).toBe(src.id);
    expect(await h('runs:metrics', { id: more.id, series: ['train.loss'] })).toEqual([]);
    const sets = await h('samples:sets', { runId: more.id });
    expect(sets[0]?.n).toBe(1500);
    // A run without a saved generator cannot be sampled from.
    const failed = (await h('runs:list', {})).find((r) => r.name === 'to fail')!;
    await expect(h('runs:sampleMore', { id: failed.id })).rejects.toMatchObject({ code: 'conflict' });
  });
});

describe('scheduler: a worker that dies', () => {
  it('fails its run with the exit, and the next run completes on a fresh worker', async () => {
    const db = join(mkdtempSync(join(tmpdir(), 'bgw-sched-exit-')), 'w.db');
    const backend = await createBackend({ dbPath: db, workers: 1, faults: injected });
    try {
      const dies = await backend.call('runs:start', { spec: spec('worker dies', [{ iterations: 200, lr: 1e-3, batch: 64, wML: 1 }]), seed: 1 });
      const next = await backend.call('runs:start', { spec: spec('after the crash', [{ iterations: 40, lr: 1e-3, batch: 64, wML: 1 }]), seed: 2 });
      const [a, b] = await Promise.all([backend.scheduler.waitFor(dies.id), backend.scheduler.waitFor(next.id)]);
      expect(a.status).toBe('failed');
      expect(a.error).toMatch(/worker exited with code 3/);
      expect(b.status, b.error ?? '').toBe('completed');
      expect(checkIntegrity(backend.repos.db)).toEqual([]);
    } finally {
      await backend.close();
    }
  });
});

describe('scheduler: stopping', () => {
  it('a job that ignores cancel is terminated after the grace period; the next run gets a fresh worker', async () => {
    const db = join(mkdtempSync(join(tmpdir(), 'bgw-sched-term-')), 'w.db');
    const backend = await createBackend({ dbPath: db, workers: 1, cancelGraceMs: 300 });
    try {
      // Metropolis data generation is one synchronous loop: the cancel message cannot land there.
      const stuck = await backend.call('runs:start', { spec: { ...spec('stuck', [{ iterations: 10, lr: 1e-3, batch: 64, wML: 1 }]), data: { source: 'metropolis', perState: 3_000_000, stride: 10, burnIn: 0 } }, seed: 1 });
      const next = await backend.call('runs:start', { spec: spec('next', [{ iterations: 30, lr: 1e-3, batch: 64, wML: 1 }]), seed: 2 });
      const events: string[] = [];
      backend.events.subscribe((m) => m.event === 'runs:progress' && m.data.runId === stuck.id && events.push(m.data.progress.phase));
      await until(() => events.includes('data'));
      expect(await backend.call('runs:cancel', { id: stuck.id })).toMatchObject({ id: stuck.id });
      const [a, b] = await Promise.all([backend.scheduler.waitFor(stuck.id), backend.scheduler.waitFor(next.id)]);
      expect(a.status).toBe('cancelled');
      expect(b.status, b.error ?? '').toBe('completed');
    } finally {
      await backend.close();
    }
  });

  it('closing the backend leaves a running run interrupted (resumable), not failed', async () => {
    const db = join(mkdtempSync(join(tmpdir(), 'bgw-sched-close-')), 'w.db');
    const backend = await createBackend({ dbPath: db, workers: 1 });
    const run = await backend.call('runs:start', { spec: spec('closed under it', [{ iterations: 20000, lr: 1e-3, batch: 64, wML: 1 }]), seed: 1 });
    await until(() => backend.repos.runs.get(run.id)?.progress?.phase === 'train');
    await backend.close();
    const reopened = await createBackend({ dbPath: db, workers: 1, startQueued: false });
    try {
      expect(reopened.repos.runs.get(run.id)?.status).toBe('interrupted');
      expect(checkIntegrity(reopened.repos.db)).toEqual([]);
    } finally {
      await reopened.close();
    }
  });

  it('a stale lock (its process is gone) is taken over; the lock is released on close', async () => {
    const { spawnSync } = await import('node:child_process');
    const { existsSync, readFileSync, writeFileSync } = await import('node:fs');
    const db = join(mkdtempSync(join(tmpdir(), 'bgw-sched-lock-')), 'w.db');
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
    writeFileSync(`${db}.lock`, `${dead} bgw serve (killed)\n`);
    const backend = await createBackend({ dbPath: db, workers: 1, owner: 'taker' });
    expect(readFileSync(`${db}.lock`, 'utf8')).toBe(`${process.pid} taker\n`);
    await backend.close();
    expect(existsSync(`${db}.lock`)).toBe(false);
  });
});

async function until(cond: () => boolean, timeoutMs = 60_000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > timeoutMs) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}

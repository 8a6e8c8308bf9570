import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError } from '../../contract/api';
import { createBackend, type Backend } from '../../src-main/backend/backend';
import { bgw, ROOT } from '../helpers/cli';

// Sweeps on the local executor: refusals before anything is queued, runs and aggregates, more
// seeds, cancel and delete; and the CLI (`bgw sweep`, `bgw ls --sweep`).
const FIXTURE = JSON.parse(readFileSync(join(ROOT, 'test/fixtures/double-well-ci.json'), 'utf8')) as Record<string, any>;
// Shorter still: these tests check bookkeeping, not accuracy.
const BASE = { ...FIXTURE, training: { stages: [{ ...FIXTURE.training.stages[0], iterations: 40 }] }, sampling: { n: 2000 } };

let tmp: string;
let b: Backend;

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'bgw-sweeps-'));
  b = await createBackend({ dbPath: join(tmp, 'w.db'), workers: 2, cores: 2, maxSweepRuns: 6 });
});
afterAll(async () => {
  await b.close();
  rmSync(tmp, { recursive: true, force: true });
});

const refusal = async (sweep: unknown): Promise<ApiError> => {
  const e = await b.call('sweeps:start', { sweep }).catch((x: unknown) => x);
  expect(e).toBeInstanceOf(ApiError);
  return e as ApiError;
};

describe('sweeps (local executor)', () => {
  it('refuses bad sweeps before anything is queued, naming the axis or the combination', async () => {
    expect((await refusal({ base: BASE, axes: { 'flow.hiddn': [[8]] } })).message).toMatch(/axes\.flow\.hiddn: .*unknown field/);
    expect((await refusal({ base: BASE, axes: { seed: [] } })).message).toMatch(/axes\.seed: .*no values/);
    const bad = await refusal({ base: BASE, axes: { seed: [1, 2], 'training.stages[0].lr': [0.001, -1] } });
    expect(bad.message).toMatch(/seed=1, training\.stages\[0\]\.lr=-1: training\.stages\[0\]\.lr/);
    expect(bad.issues?.some((i) => i.path.startsWith('runs['))).toBe(true);
    expect((await refusal({ base: BASE, axes: { seed: [1, 2, 3, 4, 5, 6, 7] } })).message).toMatch(/7 runs.*6/);
    expect(await b.call('sweeps:list', {})).toEqual([]);
    expect(await b.call('runs:list', {})).toEqual([]);
  });

  it('runs a seeds × flow-size grid, aggregates per flow size, adds seeds, cancels and deletes', async () => {
    const s = await b.call('sweeps:start', { sweep: { name: 'grid', base: BASE, axes: { 'flow.hidden': [[16], [32]], seed: [1, 2] } } });
    expect(s.runCount).toBe(4);
    const waitAll = async (): Promise<void> => {
      for (const r of b.repos.runs.ofSweep(s.id)) await b.scheduler.waitFor(r.id);
    };
    await waitAll();
    let d = await b.call('sweeps:get', { id: s.id });
    expect(d.runs.map((r) => [r.combination, r.seed, r.status])).toEqual([
      [{ 'flow.hidden': [16], seed: 1 }, 1, 'completed'],
      [{ 'flow.hidden': [16], seed: 2 }, 2, 'completed'],
      [{ 'flow.hidden': [32], seed: 1 }, 1, 'completed'],
      [{ 'flow.hidden': [32], seed: 2 }, 2, 'completed'],
    ]);
    expect(d.groups.map((g) => [g.combination, g.n])).toEqual([[{ 'flow.hidden': [16] }, 2], [{ 'flow.hidden': [32] }, 2]]);
    const v = d.runs.slice(0, 2).map((r) => r.deltaF!.value!);
    expect(d.groups[0]!.deltaF.mean).toBeCloseTo((v[0]! + v[1]!) / 2, 12);
    expect(d.groups[0]!.deltaF.spread).toBeCloseTo(Math.abs(v[0]! - v[1]!) / Math.SQRT2, 12);

    await b.call('sweeps:addSeeds', { id: s.id, seeds: [3] });
    d = await b.call('sweeps:get', { id: s.id });
    expect(d.runs).toHaveLength(6);
    expect(d.axes.find((a) => a.path === 'seed')!.values).toEqual([1, 2, 3]);
    const added = d.runs.slice(4);
    expect(added.map((r) => [r.combination, r.seed])).toEqual([[{ 'flow.hidden': [16], seed: 3 }, 3], [{ 'flow.hidden': [32], seed: 3 }, 3]]);
    await expect(b.call('sweeps:delete', { id: s.id })).rejects.toThrow(/cancel it before deleting/);
    const c = await b.call('sweeps:cancel', { id: s.id });
    expect((c.counts.cancelled ?? 0) + (c.counts.completed ?? 0)).toBeGreaterThanOrEqual(4);
    await waitAll();
    expect(b.repos.runs.ofSweep(s.id).every((r) => ['completed', 'cancelled'].includes(r.status))).toBe(true);
    expect(await b.call('sweeps:delete', { id: s.id })).toEqual({ deleted: s.id });
    expect(await b.call('runs:list', {})).toEqual([]);
  }, 180_000);

  it('a run handed to the executor twice (a sweep queued, then followed) runs once', async () => {
    const s = await b.call('sweeps:start', { sweep: { base: BASE, axes: { seed: [7] } } });
    const [run] = b.repos.runs.ofSweep(s.id);
    const steps: number[] = [];
    const off = b.events.subscribe((m) => {
      if (m.event === 'runs:progress' && m.data.runId === run!.id) for (const p of m.data.points) if (p.series === 'train.loss') steps.push(p.step);
    });
    await b.executors.local.submit([run!.id]); // what `bgw sweep` does for queued runs; two free workers would both take it
    await b.scheduler.waitFor(run!.id);
    off();
    expect(b.repos.runs.get(run!.id)!.status).toBe('completed');
    expect(steps.length).toBeGreaterThan(10);
    expect(new Set(steps).size).toBe(steps.length);
  }, 60_000);

  it('bgw sweep runs a sweep file to the end and prints the aggregates; bgw ls --sweep lists it', async () => {
    writeFileSync(join(tmp, 'base.json'), JSON.stringify(BASE));
    writeFileSync(join(tmp, 'sweep.json'), JSON.stringify({ name: 'cli seeds', base: 'base.json', axes: { seed: [4, 5] } }));
    const db = join(tmp, 'cli.db');
    const r = await bgw(['sweep', join(tmp, 'sweep.json'), '--db', db, '--workers', '2'], { timeoutMs: 120_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/sweep 1 queued: 2 run\(s\) on local/);
    expect(r.stdout).toMatch(/COMBINATION\s+N\s+ΔF MEAN ± SE\s+SEED SPREAD\s+MEAN RUN ERROR/);
    expect(r.stdout).toMatch(/\(all\)\s+2\s+-?\d+\.\d{3} ± \d+\.\d{3}/);
    const ls = await bgw(['ls', '--sweep', '--db', db]);
    expect(ls.stdout).toMatch(/1\s+cli seeds\s+local\s+seed×2\s+2\s+2 completed/);
    const bad = await bgw(['sweep', join(tmp, 'nope.json'), '--db', db]);
    expect(bad.code).toBe(2);
  }, 150_000);
});

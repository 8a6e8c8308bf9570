import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBackend, type Backend } from '../../src-main/backend/backend';
import { admit, regrow, type Holding } from '../../src-main/backend/scheduler/cores';
import type { EventMessage } from '../../contract/api';

const holding = (...cores: number[]): Map<number, Holding> => new Map(cores.map((c, i) => [i + 1, { cores: c, max: c }]));

describe('core allotment', () => {
  it('gives a lone run every core and several runs fair shares, shrinking runs above theirs', () => {
    const base = { total: 8, running: holding(), waiting: 0, slots: 8 };
    expect(admit(base)).toEqual({ grant: 8, shrink: new Map() });
    expect(admit({ ...base, waiting: 3 }).grant).toBe(2);
    expect(admit({ ...base, requested: 3, waiting: 7 }).grant).toBe(3);
    expect(admit({ ...base, requested: 64 }).grant).toBe(8);
    expect(admit({ ...base, slots: 2, waiting: 5 }).grant).toBe(4); // two run at a time: halves
    // A run holding all 8 gives half back to a newcomer.
    expect(admit({ ...base, running: holding(8) })).toEqual({ grant: 4, shrink: new Map([[1, 4]]) });
    // 2 cores, 2 running with 1 each, a third arrives: nothing to shrink, it waits.
    expect(admit({ ...base, total: 2, running: holding(1, 1), slots: 3 })).toEqual({ grant: null, shrink: new Map() });
  });

  it('lets runs grow back into freed cores, up to the threads they started with', () => {
    expect(regrow(8, new Map([[1, { cores: 4, max: 8 }]]))).toEqual(new Map([[1, 8]]));
    expect(regrow(8, new Map([[1, { cores: 2, max: 8 }], [2, { cores: 2, max: 2 }]]))).toEqual(new Map([[1, 6]]));
    expect(regrow(2, holding(1, 1))).toEqual(new Map());
  });
});

const spec = (name: string) => ({
  name,
  system: { name: 'double-well' },
  data: { source: 'metropolis', perState: 300, stride: 5, burnIn: 200 },
  flow: { layers: 'RR', hidden: [32] },
  training: { stages: [{ iterations: 150, lr: 1e-3, batch: 128, wML: 1, wKL: 0.5 }] },
  sampling: { n: 1000 },
  analysis: { bootstrap: 5, pathPoints: 0 },
});

describe('scheduler: three runs submitted together on 2 cores', () => {
  let backend: Backend;
  const events: EventMessage[] = [];
  beforeAll(async () => {
    const db = join(mkdtempSync(join(tmpdir(), 'bgw-cores-')), 'w.db');
    backend = await createBackend({ dbPath: db, workers: 3, cores: 2, checkpointEverySeconds: 3600 });
    backend.events.subscribe((m) => events.push(m));
  });
  afterAll(async () => backend?.close());

  it('share the cores (never more than 2 in use), none starves, each says how many it used', async () => {
    const runs = await Promise.all(['a', 'b', 'c'].map((n, i) => backend.call('runs:start', { spec: spec(n), seed: i + 1 })));
    const done = await Promise.all(runs.map((r) => backend.scheduler.waitFor(r.id)));
    for (const d of done) expect(d!.status, d!.error ?? '').toBe('completed');
    // Replay the status events: cores held by running runs never exceed the machine's.
    const held = new Map<number, number>();
    let peak = 0;
    for (const m of events) {
      if (m.event !== 'runs:status') continue;
      if (m.data.status === 'running') {
        expect(m.data.cores).toBeGreaterThanOrEqual(1);
        held.set(m.data.runId, m.data.cores!);
      } else held.delete(m.data.runId);
      peak = Math.max(peak, [...held.values()].reduce((a, b) => a + b, 0));
    }
    expect(peak).toBe(2);
    // The first started alone with both cores and gave one back when the second arrived.
    const first = events.flatMap((m) => (m.event === 'runs:status' && m.data.runId === runs[0]!.id && m.data.status === 'running' ? [m.data.cores] : []));
    expect(first.slice(0, 2)).toEqual([2, 1]);
    for (const r of runs) expect((await backend.call('runs:get', { id: r.id })).cores).toBeGreaterThanOrEqual(1);
  });

  it('a run alone gets both cores and trains on two threads', async () => {
    const r = await backend.call('runs:start', { spec: spec('alone'), seed: 9 });
    const d = await backend.scheduler.waitFor(r.id);
    expect(d!.status, d!.error ?? '').toBe('completed');
    const detail = await backend.call('runs:get', { id: r.id });
    expect(detail.cores).toBe(2);
    expect(detail.result!.timing.cores).toBe(2);
  });
});

import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSweepSpec } from '../../contract/sweep-spec';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRunSpec } from '../../contract/run-spec';
import { costIssues, estimateCost } from '../../contract/run-spec/cost';
import { createBackend, type Backend } from '../../src-main/backend/backend';
import { bgw, ROOT } from '../helpers/cli';

// Issue 16's reproductions, each now a quick, clear refusal or the right behaviour, with nothing
// lost (docs/backend.md, "Bounds").

const FIXTURE = JSON.parse(readFileSync(join(ROOT, 'test/fixtures/double-well-ci.json'), 'utf8')) as Record<string, any>;
let tmp: string;
let backend: Backend;

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'bgw-bounds-'));
  backend = await createBackend({ dbPath: join(tmp, 'api.db'), workers: 1, startQueued: false });
});
afterAll(async () => {
  await backend?.close();
});

/** What runs:start answers for a spec: the refusal's issues, or the run it queued. */
async function start(spec: unknown): Promise<{ path: string; message: string }[]> {
  try {
    const run = await backend.call('runs:start', { spec: spec as never });
    await backend.call('runs:cancel', { id: run.id });
    return [];
  } catch (e) {
    return ((e as { issues?: { path: string; message: string }[] }).issues ?? [{ path: '?', message: (e as Error).message }]);
  }
}

const withFixture = (change: (s: Record<string, any>) => void): Record<string, any> => {
  const s = structuredClone(FIXTURE);
  change(s);
  return s;
};

describe('specs that cannot fit or cannot end are refused at the field, quickly', () => {
  it.each([
    ['flow.hidden = [4096 × 8]', (s: Record<string, any>) => (s.flow.hidden = Array(8).fill(4096)), 'spec.flow.hidden', /memory/],
    ['data.stride = 1e9', (s: Record<string, any>) => (s.data.stride = 1e9), 'spec.data.stride', /would take about .* h on one core \(Metropolis steps/],
    ['data.burnIn = 1e12', (s: Record<string, any>) => (s.data.burnIn = 1e12), 'spec.data.stride', /would take about .* h on one core \(Metropolis steps/],
    ['exploration with 10⁷ iterations', (s: Record<string, any>) => Object.assign(s, { data: { source: 'configuration' }, explore: { iterations: 1e7 }, training: { stages: [] } }), 'spec.explore.iterations', /exploration iterations/],
    ['system.params.dim = 10⁶', (s: Record<string, any>) => (s.system.params = { dim: 1e6 }), 'spec.system.params.dim', /\[1, 1000\]/],
  ])('%s', async (_what, change, path, message) => {
    const t0 = performance.now();
    const issues = await start(withFixture(change));
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(issues.find((i) => i.path === path)?.message).toMatch(message);
  });

  it('umbrella sampling with 500 windows × 10⁹ steps', async () => {
    const issues = await start({ method: 'umbrella', system: { name: 'double-well' }, umbrella: { windows: 500, k: 10, stepsPerWindow: 1e9 } });
    expect(issues).toEqual([{ path: 'spec.umbrella.stepsPerWindow', message: expect.stringMatching(/needs about .* of memory \(window samples/) }]);
  });

  it('a 2·10⁷-element array is refused by its size before its elements are checked', () => {
    const big = new Array(2e7).fill(0);
    const t0 = performance.now();
    const r = parseRunSpec(withFixture((s) => (s.analysis = { pathFrom: big })));
    expect(performance.now() - t0).toBeLessThan(500);
    expect(r).toEqual({ ok: false, issues: [{ path: 'analysis.pathFrom', message: expect.stringMatching(/20000000 elements/) }] });
  });

  it('every shipped example fits the default limits on a machine with 4 GB free', () => {
    for (const f of readdirSync(join(ROOT, 'examples')).filter((n) => n.endsWith('.json'))) {
      const r = parseRunSpec(JSON.parse(readFileSync(join(ROOT, 'examples', f), 'utf8')));
      if (!r.ok) throw new Error(f);
      expect([f, costIssues(estimateCost(r.spec, 76), { memoryBytes: 4e9, seconds: 24 * 3600 })]).toEqual([f, []]);
    }
    // The shipped sweeps (their base a spec file beside them, as `bgw sweep` reads it): every run fits too.
    for (const f of readdirSync(join(ROOT, 'examples/sweeps'))) {
      const sweep = JSON.parse(readFileSync(join(ROOT, 'examples/sweeps', f), 'utf8')) as { base: unknown };
      sweep.base = JSON.parse(readFileSync(join(ROOT, 'examples/sweeps', sweep.base as string), 'utf8'));
      const r = parseSweepSpec(sweep);
      if (!r.ok) throw new Error(`${f}: ${JSON.stringify(r.issues)}`);
      for (const run of r.sweep.runs) expect([f, run.index, costIssues(estimateCost(run.spec, 76), { memoryBytes: 4e9, seconds: 24 * 3600 })]).toEqual([f, run.index, []]);
    }
  });
});

describe('the CLI', () => {
  it('import with system.params.dim = 10⁹ is refused by name, not killed by the allocation', async () => {
    writeFileSync(join(tmp, 'good.csv'), 'x0,x1\n0.1,0.2\n0.3,0.4\n');
    const r = await bgw(['import', join(tmp, 'good.csv'), '--system', 'double-well', '--params', '{"dim":1e9}', '--db', join(tmp, 'imp.db')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/system\.params\.dim must be an integer in \[1, 1000\]/);
  });

  it('import refuses a file over its size limit before reading it, naming the limit and the flag', async () => {
    writeFileSync(join(tmp, 'big.csv'), `x0,x1\n${'0.123456,-0.654321\n'.repeat(120_000)}`);
    const r = await bgw(['import', join(tmp, 'big.csv'), '--system', 'double-well', '--max-mb', '1', '--db', join(tmp, 'imp.db')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/big\.csv is 2 MiB; imports take at most 1 MiB \(--max-mb raises it/);
  });

  it('reads a spec that starts with a UTF-8 byte-order mark', async () => {
    writeFileSync(join(tmp, 'bom.json'), `\ufeff${JSON.stringify(FIXTURE)}`);
    const r = await bgw(['validate', join(tmp, 'bom.json')]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  it('a run whose --out cannot take its files at the end says it completed, why the move failed, and keeps the files', async () => {
    const out = join(tmp, 'out-blocked');
    // flow.bgwf is a non-empty folder: the final move of the file onto it fails (as root too).
    mkdirSync(join(out, 'flow.bgwf', 'blocker'), { recursive: true });
    const spec = join(tmp, 'quick.json');
    writeFileSync(spec, JSON.stringify(withFixture((s) => ((s.training.stages = [{ iterations: 20, lr: 1e-3, batch: 64, wML: 1 }]), (s.sampling.n = 500)))));
    const db = join(tmp, 'out.db');
    const r = await bgw(['run', spec, '--out', out, '--db', db, '--quiet'], { timeoutMs: 120_000 });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/run 1 completed and is stored in .*out\.db, but moving its files into --out .* failed: .*flow\.bgwf.*; the written files are kept in .*\.bgw-partial-/);
    // samples.csv was moved before flow.bgwf failed; the rest waits in the staging folder, and no
    // result.json in --out claims a complete set of files.
    const partial = readdirSync(out).find((f) => f.startsWith('.bgw-partial-'))!;
    expect(readdirSync(join(out, partial)).sort()).toEqual(['flow.bgwf', 'result.json']);
    expect(existsSync(join(out, 'result.json'))).toBe(false);
    const ls = await bgw(['ls', '--db', db]);
    expect(ls.stdout).toMatch(/completed/);
    const again = await bgw(['export', '1', '--format', 'csv', '-o', join(tmp, 'again.csv'), '--db', db]);
    expect(again.code).toBe(0);
    expect(existsSync(join(tmp, 'again.csv'))).toBe(true);
  }, 150_000);
});

describe('nothing lost when a run stops', () => {
  const long = (steps: number) => withFixture((s) => ((s.training.stages = [{ name: 'long', iterations: steps, lr: 1e-3, batch: 64, wML: 1 }]), (s.sampling.n = 500), (s.analysis = { bootstrap: 10, pathPoints: 0 })));

  it('cancel checkpoints first: resume continues from the step where the run stopped', async () => {
    const b = await createBackend({ dbPath: join(tmp, 'cancel.db'), workers: 1, checkpointEverySeconds: 3600 });
    try {
      const steps: number[] = [];
      b.events.subscribe((m) => {
        if (m.event === 'runs:progress') for (const p of m.data.points) if (p.series === 'train.loss') steps.push(p.step);
      });
      const run = await b.call('runs:start', { spec: long(100_000) as never, seed: 3 });
      await until(() => steps.some((s) => s >= 40));
      await b.call('runs:cancel', { id: run.id });
      await until(() => b.repos.runs.get(run.id)!.status === 'cancelled');
      const reached = Math.max(...steps);
      const saved = b.repos.checkpoints.latest(run.id)!;
      expect(saved.phase).toBe('train');
      expect(saved.step).toBeGreaterThanOrEqual(40);
      expect(saved.step).toBeGreaterThanOrEqual(reached);
      expect(b.repos.runs.detail(run.id)!.lastCheckpointStep).toBe(saved.step);
      steps.length = 0;
      await b.call('runs:resume', { id: run.id });
      await until(() => steps.length > 0);
      expect(steps[0]).toBe(saved.step + 1);
      await b.call('runs:cancel', { id: run.id });
      await until(() => b.repos.runs.get(run.id)!.status === 'cancelled');
    } finally {
      await b.close();
    }
  }, 120_000);

  it('SIGKILL of `bgw run --out` at random points: the run is resumable and completes, no partial folder or lock is left', async () => {
    const spec = join(tmp, 'kill.json');
    writeFileSync(spec, JSON.stringify(long(400)));
    const out = join(tmp, 'kill-out');
    mkdirSync(out);
    let resumedRuns = 0;
    for (let trial = 0; trial < 10; trial++) {
      const db = join(tmp, `kill-${trial}.db`);
      // Random points from start-up (before the run exists) to deep in training.
      const after = 300 + ((trial * 7919) % 10) * 700;
      await bgw(['run', spec, '--out', out, '--db', db, '--quiet'], { timeoutMs: 120_000, killAfterMs: after });
      const ls = await bgw(['ls', '--db', db]);
      if (existsSync(db)) {
        expect(ls.stdout).not.toMatch(/running/);
        expect(existsSync(`${db}.lock`)).toBe(false);
        if (/interrupted|queued/.test(ls.stdout)) {
          const resumed = await bgw(['resume', '1', '--out', out, '--db', db, '--quiet'], { timeoutMs: 120_000 });
          expect([trial, resumed.code, resumed.stderr]).toEqual([trial, 0, expect.not.stringMatching(/error/)]);
          expect(existsSync(join(out, 'result.json'))).toBe(true);
          resumedRuns++;
        }
      }
      expect([trial, readdirSync(out).filter((f) => f.startsWith('.bgw-partial-'))]).toEqual([trial, []]);
      expect(existsSync(`${db}.lock`)).toBe(false);
    }
    // Not vacuous: most kills landed after the run existed, and those runs were resumed to the end.
    expect(resumedRuns).toBeGreaterThanOrEqual(5);
  }, 900_000);

  it('a database with a corrupt second half: bgw serve refuses to start, naming the file; reading commands name it too', async () => {
    const db = join(tmp, 'corrupt.db');
    const r = await bgw(['run', join(ROOT, 'test/fixtures/double-well-ci.json'), '--db', db, '--quiet'], { timeoutMs: 120_000 });
    expect(r.code).toBe(0);
    const bytes = readFileSync(db);
    bytes.fill(0x5a, Math.floor(bytes.length / 2));
    writeFileSync(db, bytes);
    const serve = await bgw(['serve', '--db', db, '--port', '0'], { timeoutMs: 30_000 });
    expect(serve.code).not.toBe(0);
    expect(serve.stderr).toMatch(new RegExp(`corrupt\\.db.*corrupt|corrupt.*corrupt\\.db`));
    // `bgw ls` reads only intact pages and works; reading the samples hits the damage, and says where.
    const ls = await bgw(['ls', '--db', db]);
    expect(ls.stdout).toMatch(/completed/);
    const read = await bgw(['export', '1', '--format', 'csv', '-o', join(tmp, 'from-corrupt.csv'), '--db', db]);
    expect(read.code).not.toBe(0);
    expect(read.stderr).toMatch(/database .*corrupt\.db is corrupt \(.*malformed/);
  }, 150_000);
});

async function until(ok: () => boolean, timeoutMs = 60_000): Promise<void> {
  const t0 = Date.now();
  while (!ok()) {
    if (Date.now() - t0 > timeoutMs) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}

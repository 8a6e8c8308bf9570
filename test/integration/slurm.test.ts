import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunDto } from '../../contract/api';
import { createBackend, type Backend } from '../../src-main/backend/backend';
import { parseSlurmSettings, type SlurmSettingsInput } from '../../src-main/backend/executors/slurm/settings';
import { SlurmJobsRepo } from '../../src-main/backend/executors/slurm/slurm-jobs-repo';
import { ROOT } from '../helpers/cli';
import { requireSlurm, squeueState } from '../helpers/slurm';

// The Slurm executor against a real one-node cluster (scripts/slurm/setup.sh): sweeps as job
// arrays, results imported bit-identical to local runs, cancel, a killed job resumed, a bad setting.
const BASE = JSON.parse(readFileSync(join(ROOT, 'test/fixtures/double-well-ci.json'), 'utf8')) as Record<string, unknown>;
const FINAL = ['completed', 'failed', 'cancelled', 'interrupted'];

let tmp: string;
const open: Backend[] = [];

async function backend(name: string, slurm?: Partial<SlurmSettingsInput>): Promise<Backend> {
  const settings = slurm ? parseSlurmSettings({ runRoot: join(tmp, `cluster-${name}`), pollSeconds: 0.5, checkpointEverySeconds: 1, ...slurm }) : undefined;
  const b = await createBackend({ dbPath: join(tmp, `${name}.db`), workers: 1, cores: 1, slurm: settings });
  open.push(b);
  return b;
}

async function until<T>(what: string, f: () => T | undefined | false, timeoutMs = 240_000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = f();
    if (v) return v;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const ended = (b: Backend, id: number): RunDto | false => {
  const r = b.repos.runs.get(id)!;
  return FINAL.includes(r.status) && r;
};

beforeAll(() => {
  requireSlurm();
  tmp = mkdtempSync(join(tmpdir(), 'bgw-slurm-'));
});

afterAll(async () => {
  await Promise.all(open.map((b) => b.close()));
  rmSync(tmp, { recursive: true, force: true });
});

describe('the slurm executor (one-node cluster)', () => {
  let seed1: RunDto;

  it('a 3-run sweep runs as a job array; every run completes and is imported with the local runs\' exact figures and samples', async () => {
    const cluster = await backend('sweep', {});
    const sweep = await cluster.call('sweeps:start', { sweep: { name: 'dw seeds', base: BASE, axes: { seed: [1, 2, 3] }, executor: 'slurm' } });
    expect(sweep.executor).toBe('slurm');
    const runs = cluster.repos.runs.ofSweep(sweep.id);
    const jobs = new SlurmJobsRepo(cluster.repos.db);
    // One array: tasks 0, 1, 2 of the same job.
    expect(new Set(runs.map((r) => jobs.get(r.id)!.jobId!.split('_')[0])).size).toBe(1);
    const done = await until('the sweep', () => (runs.every((r) => ended(cluster, r.id)) ? runs.map((r) => cluster.repos.runs.get(r.id)!) : false));
    for (const r of done) expect(r.status, r.error ?? '').toBe('completed');

    const local = await backend('local');
    for (const r of done) {
      const l = local.startRun({ spec: cluster.repos.runs.detail(r.id)!.spec, seed: r.seed });
      const lr = await local.scheduler.waitFor(l.id);
      expect(lr.status).toBe('completed');
      expect(r.deltaF, `seed ${r.seed}`).toEqual(lr.deltaF);
      expect(r.essFraction).toBe(lr.essFraction);
      const [cs, ls] = [cluster.repos.samples.listSets({ runId: r.id }), local.repos.samples.listSets({ runId: l.id })];
      expect(cs.map((s) => [s.kind, s.n])).toEqual(ls.map((s) => [s.kind, s.n]));
      const page = (b: Backend, setId: number) => b.repos.samples.page(setId, { offset: 0, limit: 20, sort: 'w', order: 'desc', coords: true }).rows;
      expect(page(cluster, cs[0]!.id)).toEqual(page(local, ls[0]!.id));
      expect(cluster.repos.metrics.list(r.id, {}).length).toBeGreaterThan(100);
    }
    const detail = await cluster.call('sweeps:get', { id: sweep.id });
    expect(detail.groups).toHaveLength(1);
    expect(detail.groups[0]!.n).toBe(3);
    seed1 = done.find((r) => r.seed === 1)!;
  }, 400_000);

  it('cancels a queued job: the task leaves the queue and the run is cancelled', async () => {
    const b = await backend('cancel', { sbatchArgs: ['--begin=now+1hour'] });
    const run = await b.call('runs:start', { spec: BASE, seed: 5, executor: 'slurm' });
    const jobId = new SlurmJobsRepo(b.repos.db).get(run.id)!.jobId!;
    expect(squeueState(jobId)).toBe('PENDING');
    await b.call('runs:cancel', { id: run.id });
    const r = await until('the cancel', () => ended(b, run.id), 30_000);
    expect(r.status).toBe('cancelled');
    expect(['CANCELLED', 'gone']).toContain(squeueState(jobId));
  }, 60_000);

  it('a running job killed with scancel --signal=KILL is resubmitted and resumes from its checkpoint to the uninterrupted result', async () => {
    expect(seed1, 'needs the sweep test').toBeDefined();
    const b = await backend('kill', {});
    const run = await b.call('runs:start', { spec: BASE, seed: 1, executor: 'slurm' });
    const jobs = new SlurmJobsRepo(b.repos.db);
    const checkpointed = new Promise<number>((resolve) =>
      b.events.subscribe((m) => {
        if (m.event === 'runs:checkpoint' && m.data.runId === run.id && m.data.phase === 'train' && m.data.step > 150) resolve(m.data.step);
      }),
    );
    const step = await checkpointed;
    const jobId = jobs.get(run.id)!.jobId!;
    execFileSync('scancel', ['--signal=KILL', jobId]);
    const r = await until('the resumed run', () => ended(b, run.id));
    expect(r.status, r.error ?? '').toBe('completed');
    expect(jobs.get(run.id)!.submissions).toBe(2);
    expect(step).toBeLessThan(300);
    expect(r.deltaF).toEqual(seed1.deltaF);
    expect(r.essFraction).toBe(seed1.essFraction);
  }, 300_000);

  it('a backend restarted while its job runs follows the job again and imports the run', async () => {
    const settings = { runRoot: join(tmp, 'cluster-restart'), pollSeconds: 0.5, checkpointEverySeconds: 1 };
    const first = await createBackend({ dbPath: join(tmp, 'restart.db'), workers: 1, cores: 1, slurm: parseSlurmSettings(settings) });
    const run = await first.call('runs:start', { spec: BASE, seed: 2, executor: 'slurm' });
    await first.close();
    const again = await backend('restart', {});
    expect(again.repos.runs.get(run.id)!.status).not.toBe('interrupted'); // a cluster job goes on without its backend
    const r = await until('the followed run', () => ended(again, run.id));
    expect(r.status, r.error ?? '').toBe('completed');
    expect(again.repos.samples.listSets({ runId: run.id }).length).toBeGreaterThan(0);
  }, 240_000);

  it('a run on an imported sample set takes the set to the node and ends with the local run\'s figures; the set is not imported back', async () => {
    const b = await backend('stored', {});
    const local = await backend('stored-local');
    const project = b.repos.projects.defaultId();
    // 2 000 rows of the double well (both states), through the API as a user's CSV would come.
    const rng = (i: number): number => Math.sin(12.9898 * i) * 43758.5453 % 1;
    const rows = Array.from({ length: 2000 }, (_, i) => `${(i % 2 ? 1.7 : -1.7) + 0.3 * rng(2 * i)},${0.5 * rng(2 * i + 1)}`);
    const text = `x0,x1\n${rows.join('\n')}\n`;
    const set = await b.call('import:samples', { projectId: project, system: { name: 'double-well' }, format: 'csv', text });
    const localSet = await local.call('import:samples', { projectId: local.repos.projects.defaultId(), system: { name: 'double-well' }, format: 'csv', text });
    const spec = (setId: number) => ({ ...BASE, data: { source: 'samples', setId } });
    const run = await b.call('runs:start', { spec: spec(set.id), seed: 4, executor: 'slurm' });
    const r = await until('the run on stored data', () => ended(b, run.id));
    expect(r.status, r.error ?? '').toBe('completed');
    const l = await local.call('runs:start', { spec: spec(localSet.id), seed: 4 });
    const lr = await local.scheduler.waitFor(l.id);
    expect(lr.status, lr.error ?? '').toBe('completed');
    expect(r.deltaF).toEqual(lr.deltaF);
    expect(r.essFraction).toBe(lr.essFraction);
    // The run's own sets came back; the copy of the input stayed in the run directory.
    expect(b.repos.samples.listSets({ runId: run.id }).map((s) => s.kind)).toEqual(local.repos.samples.listSets({ runId: l.id }).map((s) => s.kind));
    expect(b.repos.samples.listSets({}).filter((s) => s.kind === 'imported').map((s) => s.id)).toEqual([set.id]);
  }, 240_000);

  it('an unknown partition is refused with sbatch\'s reason, and nothing is stored', async () => {
    const b = await backend('bad', { partition: 'nosuch' });
    await expect(b.call('sweeps:start', { sweep: { base: BASE, axes: { seed: [1, 2] }, executor: 'slurm' } })).rejects.toThrow(/invalid partition/i);
    await expect(b.call('runs:start', { spec: BASE, executor: 'slurm' })).rejects.toThrow(/invalid partition/i);
    expect(await b.call('sweeps:list', {})).toEqual([]);
    expect(await b.call('runs:list', {})).toEqual([]);
    const left = readdirSync(join(tmp, 'cluster-bad'), { recursive: true }).filter((f) => String(f).includes('run-'));
    expect(left).toEqual([]);
  }, 60_000);
});

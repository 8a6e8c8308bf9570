import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApiError, type RunDto, type RunStatus } from '../../../../contract/api';
import type { Repositories } from '../../../../db';
import type { EventBus } from '../../events';
import type { CancelOutcome, RunExecutor } from '../executor';
import { ACTIVE_STATES, sbatch, scancel, squeue, type TaskState } from './commands';
import { exportRunInputsInThread, storedInputSets } from './export-inputs';
import { importClusterRun } from './import-run';
import { outputTail, readClusterEvents, readClusterStatus, runDirFiles, writeClusterJob } from './run-dir';
import type { SlurmSettings } from './settings';
import { SlurmJobsRepo } from './slurm-jobs-repo';

export type { SlurmSettings };

const BGW = fileURLToPath(new URL('../../../../bin/bgw.mjs', import.meta.url));
const FINAL: readonly RunStatus[] = ['completed', 'failed', 'cancelled'];

/** Single-quoted for bash. */
const sh = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * Runs as Slurm jobs (docs/scale-out.md). Each submission is an array job whose task k runs
 * `bgw cluster-job <run dir k>` on a node; the backend polls squeue and the run directories,
 * streams the progress the jobs append, imports a finished run into the project database, and
 * resubmits a job that was preempted, timed out or killed (it resumes from its own checkpoint).
 */
export class SlurmExecutor implements RunExecutor {
  readonly name = 'slurm';
  private readonly jobs: SlurmJobsRepo;
  private readonly offsets = new Map<number, number>();
  private timer: NodeJS.Timeout | null = null;
  private polling: Promise<void> | null = null;
  private readonly root: string;

  constructor(
    private readonly settings: SlurmSettings,
    private readonly deps: { readonly repos: Repositories; readonly events: EventBus; readonly dbPath: string },
  ) {
    this.jobs = new SlurmJobsRepo(deps.repos.db);
    // One folder per database: two workbenches sharing a run root never mix their runs.
    this.root = join(settings.runRoot, `bgw-${createHash('sha1').update(deps.dbPath).digest('hex').slice(0, 10)}`);
  }

  /** Follow the runs an earlier backend left on the cluster, then poll. */
  async start(): Promise<void> {
    this.timer = setInterval(() => void this.poll(), this.settings.pollSeconds * 1000);
    this.timer.unref();
    await this.poll();
  }

  async submit(runIds: readonly number[]): Promise<void> {
    const runs = runIds.map((id) => this.deps.repos.runs.detail(id)!);
    // A fresh token per run: a database recreated at the same path never meets an old run's directory.
    const dirs = runs.map((r) => join(this.root, `run-${r.id}-${randomBytes(4).toString('hex')}`));
    try {
      for (const [k, r] of runs.entries()) {
        const job = this.deps.repos.runs.job(r.id)!;
        writeClusterJob(dirs[k]!, { format: 'bgw-cluster-job/1', name: r.name, spec: r.spec, seed: r.seed, molecule: job.molecule, cores: this.settings.cpusPerTask, checkpointEverySeconds: this.settings.checkpointEverySeconds });
        await exportRunInputsInThread(this.deps.repos.db, this.deps.dbPath, runDirFiles(dirs[k]!).db, storedInputSets(r.spec));
        this.jobs.upsert(r.id, dirs[k]!);
      }
      await this.sbatchArray(runs.map((r) => r.id), dirs);
    } catch (e) {
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
      throw e instanceof ApiError ? e : new ApiError('bad_request', `nothing was queued: ${(e as Error).message}`);
    }
  }

  async cancel(runId: number): Promise<CancelOutcome> {
    const run = this.deps.repos.runs.get(runId);
    const row = this.jobs.get(runId);
    if (!run || !row?.jobId || FINAL.includes(run.status) || run.status === 'interrupted') return 'inactive';
    this.jobs.mark(runId, 'cancelling');
    await scancel([row.jobId]);
    void this.poll();
    return 'cancelled';
  }

  isActive(runId: number): boolean {
    const s = this.deps.repos.runs.get(runId)?.status;
    return s === 'queued' || s === 'running';
  }

  async resume(runId: number): Promise<void> {
    const row = this.jobs.get(runId);
    if (!row) throw new ApiError('conflict', `run ${runId} has no run directory to resume from`);
    await this.sbatchArray([runId], [row.runDir]);
    this.setStatus(runId, 'queued');
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.polling;
  }

  private sbatchArgs(n: number, tag: string): string[] {
    const s = this.settings;
    return [
      `--array=0-${n - 1}`, `--job-name=bgw-${tag}`, `--output=${join(this.root, `slurm-%A_%a.out`)}`, '--open-mode=append', '--requeue',
      `--cpus-per-task=${s.cpusPerTask}`,
      ...(s.gpusPerTask > 0 ? [`--gpus-per-task=${s.gpusPerTask}`] : []),
      ...(s.partition ? [`--partition=${s.partition}`] : []),
      ...(s.timeLimit ? [`--time=${s.timeLimit}`] : []),
      ...s.sbatchArgs,
    ];
  }

  /** One array job: task k runs run directory k; its output goes to the run directory's job.out. */
  private async sbatchArray(runIds: readonly number[], dirs: readonly string[]): Promise<void> {
    mkdirSync(this.root, { recursive: true });
    const tag = `${runIds[0]}${runIds.length > 1 ? `-${runIds.at(-1)}` : ''}`;
    const script = join(this.root, `submit-${tag}-${Date.now()}.sh`);
    const command = (this.settings.command ?? [process.execPath, BGW]).map(sh).join(' ');
    writeFileSync(
      script,
      [
        '#!/bin/bash',
        '# Written by the bgw backend: task k of this array runs the k-th run directory.',
        `DIRS=(${dirs.map(sh).join(' ')})`,
        'DIR="${DIRS[$SLURM_ARRAY_TASK_ID]}"',
        `exec ${command} cluster-job "$DIR" >> "$DIR/job.out" 2>&1`,
        '',
      ].join('\n'),
      { mode: 0o755 },
    );
    const arrayId = await sbatch(this.sbatchArgs(runIds.length, tag), script);
    runIds.forEach((id, k) => this.jobs.submitted(id, `${arrayId}_${k}`));
  }

  /** One pass over the active Slurm runs (never two at once). */
  poll(): Promise<void> {
    this.polling ??= this.pollOnce()
      .catch((e: Error) => void process.stderr.write(`bgw: slurm: ${e.message}\n`))
      .finally(() => {
        this.polling = null;
      });
    return this.polling;
  }

  private async pollOnce(): Promise<void> {
    const runs = this.deps.repos.runs.withExecutor('slurm', ['queued', 'running']);
    const rows = runs.map((r) => this.jobs.get(r.id)).filter((r) => r?.jobId);
    if (!rows.length) return;
    const arrays = [...new Set(rows.map((r) => r!.jobId!.split('_')[0]!))];
    const states = await squeue(arrays);
    for (const run of runs) await this.follow(run, states);
  }

  private async follow(run: RunDto, states: readonly TaskState[]): Promise<void> {
    const row = this.jobs.get(run.id);
    if (!row?.jobId) return;
    this.stream(run.id, row.runDir);
    const [arrayId, task] = row.jobId.split('_');
    const st = states.find((s) => s.arrayId === arrayId && s.task === Number(task));
    const status = readClusterStatus(row.runDir);
    if (status?.state === 'completed') return this.importRun(run);
    if (st && ACTIVE_STATES.has(st.state)) {
      if (st.state === 'RUNNING' && run.status === 'queued') this.setStatus(run.id, 'running');
      return;
    }
    // The job has ended (or Slurm has forgotten it) without a completed run.
    if (row.state === 'cancelling') {
      this.jobs.mark(run.id, null);
      return this.setStatus(run.id, 'cancelled', 'cancelled');
    }
    if (status?.state === 'failed') return this.setStatus(run.id, 'failed', status.error ?? 'the run failed on the cluster');
    const why = st ? `${st.state}${st.reason && st.reason !== 'None' ? ` (${st.reason})` : ''}` : 'without a trace in squeue';
    if (row.submissions < this.settings.maxSubmissions) {
      this.progress(run.id, `job ${row.jobId} ended ${why}: resubmitted to resume from its last checkpoint`);
      await this.sbatchArray([run.id], [row.runDir]).catch((e: Error) => this.setStatus(run.id, 'failed', `resubmission failed: ${e.message}`));
      return;
    }
    const tail = outputTail(row.runDir);
    this.setStatus(run.id, 'failed', `job ${row.jobId} ended ${why}, ${row.submissions} submission(s); ${tail ? `last output: ${tail}` : 'no output'}`);
  }

  /** Re-emit the progress the job appended since the last poll, as a local run's events. */
  private stream(runId: number, dir: string): void {
    const { events, offset } = readClusterEvents(dir, this.offsets.get(runId) ?? 0);
    this.offsets.set(runId, offset);
    for (const e of events) {
      if (e.type === 'progress') {
        this.deps.repos.metrics.append(runId, e.points);
        this.deps.repos.runs.setProgress(runId, e.progress);
        this.deps.events.emit('runs:progress', { runId, points: e.points, progress: e.progress });
      } else this.deps.events.emit('runs:checkpoint', { runId, step: e.step, phase: e.phase });
    }
  }

  private progress(runId: number, message: string): void {
    const p = this.deps.repos.runs.get(runId)?.progress;
    const progress = { phase: p?.phase ?? 'queued', step: p?.step ?? 0, total: p?.total ?? 0, message };
    this.deps.repos.runs.setProgress(runId, progress);
    this.deps.events.emit('runs:progress', { runId, points: [], progress });
  }

  private importRun(run: RunDto): void {
    const row = this.jobs.get(run.id)!;
    try {
      importClusterRun(this.deps.repos.db, runDirFiles(row.runDir).db, { runId: run.id, projectId: run.projectId });
    } catch (e) {
      return this.setStatus(run.id, 'failed', `the job completed but its results could not be imported from ${row.runDir}: ${(e as Error).message}`);
    }
    this.offsets.delete(run.id);
    const done = this.deps.repos.runs.get(run.id)!;
    this.deps.events.emit('runs:status', { runId: run.id, status: done.status, error: null });
  }

  private setStatus(runId: number, status: RunStatus, error: string | null = null): void {
    this.deps.repos.runs.setStatus(runId, status, { error });
    this.deps.events.emit('runs:status', { runId, status, error });
  }
}

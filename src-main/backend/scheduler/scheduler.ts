import type { Repositories } from '../../../db';
import type { RunJob } from '../../../db/repositories/runs';
import type { RunDto, RunStatus } from '../../../contract/api';
import type { JobFaults, JobOutput, JobRequest } from '../../../contract/jobs';
import type { RunSpec } from '../../../contract/run-spec';
import type { MoleculeSource } from '../../../contract/systems';
import { readRunInputs } from './stored-inputs';
import { resolveMolecule } from '../molecules';
import type { EventBus } from '../events';
import type { WorkerPool } from './pool';
import { admit, regrow, type Holding } from './cores';

export interface SchedulerOptions {
  /** Mid-stage checkpoint interval; stage ends always checkpoint. */
  readonly checkpointEverySeconds: number;
  /** Cores the runs share (`allotCores`). */
  readonly cores: number;
  /** Sees each finished job's output before it is persisted (`bgw run --out` writes files from it). */
  readonly onOutput?: ((runId: number, output: JobOutput) => Promise<void>) | undefined;
  /** Tests only: failures to inject into a run's job. */
  readonly faults?: ((run: { runId: number; spec: RunSpec }) => JobFaults | undefined) | undefined;
}

const FINAL: readonly RunStatus[] = ['completed', 'failed', 'cancelled'];

/**
 * Queues runs onto the worker pool and is the single writer of what they produce: every progress
 * point, checkpoints, sample sets and the result go to the database here, and every change is
 * pushed as an event. A run's failure (a throw, a dead worker) marks that run `failed` and the
 * queue goes on. A run with a checkpoint continues from it (resume after `interrupted`).
 */
export class Scheduler {
  private readonly queue: number[] = [];
  private readonly active = new Set<number>();
  /** Cores each working run uses now, and the threads it started with. */
  private readonly allotted = new Map<number, Holding>();
  private readonly cancelling = new Set<number>();
  private readonly settled = new Map<number, Promise<void>>();
  private closed = false;

  constructor(
    private readonly repos: Repositories,
    private readonly pool: WorkerPool,
    private readonly events: EventBus,
    private readonly o: SchedulerOptions,
  ) {}

  /**
   * After a restart: runs left `running` become `interrupted`; queued runs are queued again unless
   * `startQueued` is false (a one-shot `bgw run` must not pick up a server's queue).
   */
  recover(startQueued = true): number[] {
    const interrupted = this.repos.runs.markInterrupted();
    for (const id of interrupted) this.events.emit('runs:status', { runId: id, status: 'interrupted', error: 'the backend stopped while this run was running' });
    if (startQueued) for (const id of this.repos.runs.queued()) this.queue.push(id);
    this.pump();
    return interrupted;
  }

  /** Queue a run; a run already queued or running here is left as it is (it must never run twice at once). */
  enqueue(runId: number): void {
    if (this.isActive(runId)) return;
    this.setStatus(runId, 'queued');
    this.queue.push(runId);
    this.pump();
  }

  /**
   * Cancel a queued or running run. 'finishing': its job has answered and its output is being
   * saved, too late to cancel; 'inactive': it is neither queued nor running.
   */
  cancel(runId: number): 'cancelled' | 'finishing' | 'inactive' {
    const q = this.queue.indexOf(runId);
    if (q >= 0) {
      this.queue.splice(q, 1);
      this.setStatus(runId, 'cancelled', 'cancelled before it started');
      return 'cancelled';
    }
    if (!this.active.has(runId)) return 'inactive';
    if (!this.pool.cancel(runId)) return 'finishing';
    this.cancelling.add(runId);
    return 'cancelled';
  }

  isActive(runId: number): boolean {
    return this.active.has(runId) || this.queue.includes(runId);
  }

  /** Resolves when the run has settled (tests, `bgw run`). */
  async waitFor(runId: number): Promise<RunDto> {
    while (this.isActive(runId)) await (this.settled.get(runId) ?? new Promise((r) => setTimeout(r, 20)));
    return this.repos.runs.get(runId)!;
  }

  /**
   * Stop: workers are terminated and runs still working are left `interrupted` (resumable from
   * their last checkpoint); a run being saved finishes saving first, so the caller can close the
   * database after this resolves.
   */
  async close(): Promise<void> {
    this.closed = true;
    await this.pool.close();
    await Promise.allSettled(this.settled.values());
  }

  private pump(): void {
    while (!this.closed && this.queue.length > 0 && this.pool.hasFreeSlot) {
      const cores = this.coresFor(this.queue[0]!);
      if (cores === null) return;
      const runId = this.queue.shift()!;
      this.allotted.set(runId, { cores, max: cores });
      const p = this.execute(runId, cores).catch((e: Error) => void process.stderr.write(`bgw: run ${runId}: ${e.message}\n`)).finally(() => {
        this.allotted.delete(runId);
        this.active.delete(runId);
        this.cancelling.delete(runId);
        this.settled.delete(runId);
        this.pump();
        // Cores no queued run took go back to the runs that gave them up.
        if (!this.closed) this.resize(regrow(this.o.cores, this.allotted));
      });
      this.settled.set(runId, p);
    }
  }

  /** The next run's cores (running runs above their fair share give some back), or null while none is free. */
  private coresFor(runId: number): number | null {
    const spec = this.repos.runs.job(runId)?.spec;
    const requested = spec?.method === 'generator' ? spec.cores : 1;
    const { grant, shrink } = admit({ total: this.o.cores, running: this.allotted, waiting: this.queue.length - 1, slots: this.pool.size, requested });
    this.resize(shrink);
    return grant;
  }

  /** New core counts for working runs: told to their jobs, stored, and pushed as a status event. */
  private resize(changes: ReadonlyMap<number, number>): void {
    for (const [runId, cores] of changes) {
      const h = this.allotted.get(runId);
      if (!h || !this.pool.resize(runId, cores)) continue;
      this.allotted.set(runId, { ...h, cores });
      this.repos.runs.setCores(runId, cores);
      this.events.emit('runs:status', { runId, status: 'running', error: null, cores });
    }
  }

  private async execute(runId: number, cores: number): Promise<void> {
    const job = this.repos.runs.job(runId);
    if (!job) return; // deleted while queued
    this.active.add(runId);
    // A database write that fails while the job runs (disk full, locked too long) fails this run
    // only; it must not escape into the worker's message handler and take the process down.
    let writeError: Error | null = null;
    const guard = (write: () => void): void => {
      if (writeError) return;
      try {
        write();
      } catch (e) {
        writeError = e as Error;
        this.pool.cancel(runId);
      }
    };
    try {
      const { request, molecule } = this.request(runId, job, cores);
      this.repos.runs.setCores(runId, cores);
      this.setStatus(runId, 'running', null, cores);
      this.repos.samples.deleteSets(runId); // a resumed run replaces what an earlier attempt left
      let backend: string | undefined;
      const output = await this.pool.run(runId, request, {
        onProgress: (m) =>
          guard(() => {
            this.repos.metrics.append(runId, m.points);
            this.repos.runs.setProgress(runId, m.progress);
            if (m.backend && m.backend !== backend) this.repos.runs.setBackend(runId, (backend = m.backend));
            this.events.emit('runs:progress', { runId, points: m.points, progress: m.progress });
          }),
        onCheckpoint: (c) =>
          guard(() => {
            this.repos.checkpoints.save(runId, c);
            this.events.emit('runs:checkpoint', { runId, step: c.step, phase: c.phase });
          }),
      });
      if (writeError) throw writeError;
      await this.persist(runId, job.projectId, job.spec.system, molecule, output);
      this.setStatus(runId, 'completed');
      // After the run is safely stored: a failure here (an unwritable --out) is the caller's.
      await this.o.onOutput?.(runId, output);
    } catch (e) {
      this.settle(runId, e as Error, writeError);
    }
  }

  private settle(runId: number, err: Error, writeError: Error | null): void {
    try {
      if (!this.repos.runs.get(runId) || this.repos.runs.get(runId)?.status === 'completed') return;
      if (this.closed) this.setStatus(runId, 'interrupted', 'the backend stopped while this run was running');
      else if (writeError) this.setStatus(runId, 'failed', `could not save the run's progress: ${writeError.message}`);
      else if (err.name === 'AbortError' || this.cancelling.has(runId)) this.setStatus(runId, 'cancelled', 'cancelled');
      else this.setStatus(runId, 'failed', err.message);
    } catch (e) {
      // The database itself is failing: say so; the run shows as running and recovery marks it interrupted.
      process.stderr.write(`bgw: could not record the end of run ${runId}: ${(e as Error).message}\n`);
    }
  }

  /**
   * The job and the run's molecule (stored with each of its sets). Stored inputs are read while
   * training remains, and a stored training set also after it (the run's reference); a "sample
   * more" run samples without them, but every run of a molecule needs its structure and force field.
   */
  private request(runId: number, job: RunJob, cores: number): { request: JobRequest; molecule: MoleculeSource | null } {
    const base = { spec: job.spec, seed: job.seed, cores, checkpointEverySeconds: this.o.checkpointEverySeconds, faults: this.o.faults?.({ runId, spec: job.spec }) };
    // Runs stored before runs kept their molecule resolve it now, as they did when started.
    const molecule = job.molecule ?? resolveMolecule(job.spec.system, this.repos.samples);
    if (job.kind === 'sample') {
      const from = job.parentId === null ? null : this.repos.checkpoints.latest(job.parentId);
      if (from?.phase !== 'trained') throw new Error(`run ${runId} samples from run ${job.parentId}, which has no saved generator`);
      return { request: { ...base, resume: from, sampleOnly: true, inputs: readRunInputs(this.repos.samples, job.spec, molecule, false) }, molecule };
    }
    const resume = this.repos.checkpoints.latest(runId);
    // After training, a stored training set is still the run's reference (its surface compares with it).
    const inputs = readRunInputs(this.repos.samples, job.spec, molecule, resume?.phase !== 'trained' || (job.spec.method === 'generator' && job.spec.data?.source === 'samples'));
    return { request: { ...base, resume, sampleOnly: false, inputs }, molecule };
  }

  private async persist(runId: number, projectId: number, system: { name: string; params: Record<string, number> }, molecule: MoleculeSource | null, out: JobOutput): Promise<void> {
    for (const s of out.sets) {
      const n = s.w.length;
      const set = this.repos.samples.createSet({ projectId, runId, kind: s.kind, name: s.name, system: system.name, params: system.params, dim: s.x.length / Math.max(1, n), tau: s.tau, essFraction: s.essFraction, molecule });
      await this.repos.samples.insertAll(set.id, s, n);
    }
    this.repos.runs.saveResult(runId, out.result);
  }

  private setStatus(runId: number, status: RunStatus, error: string | null = null, cores?: number): void {
    this.repos.runs.setStatus(runId, status, { error });
    const run = this.repos.runs.get(runId);
    this.events.emit('runs:status', { runId, status, error: FINAL.includes(status) || status === 'interrupted' ? (run?.error ?? error) : null, ...(cores ? { cores } : {}) });
  }
}

import { Worker } from 'node:worker_threads';

import type { FromWorker, JobOutput, JobRequest } from '../../../contract/jobs';
import type { JobCheckpoint } from '../../../contract/checkpoint';

const ENTRY = new URL('../../../workers/worker-start.mjs', import.meta.url);

export interface JobHandlers {
  onProgress(m: Extract<FromWorker, { type: 'progress' }>): void;
  onCheckpoint(c: JobCheckpoint): void;
}

interface Slot {
  readonly index: number;
  worker: Worker;
  job: { runId: number; handlers: JobHandlers; resolve: (o: JobOutput) => void; reject: (e: Error) => void; cancelTimer?: NodeJS.Timeout } | null;
}

/** Error of a job whose worker died (native crash, out of memory, terminate()). */
export class WorkerExitError extends Error {
  override name = 'WorkerExitError';
}

const abortError = (message: string): Error => Object.assign(new Error(message), { name: 'AbortError' });

/**
 * A fixed number of job workers, one job each at a time (after piscina). Cancel is cooperative —
 * the job checks its AbortSignal between steps and answers with an AbortError — and `terminate()`
 * only after `cancelGraceMs` without an answer. A worker that dies fails its job and is replaced
 * on next use; the other workers' jobs go on.
 */
export class WorkerPool {
  private readonly slots: (Slot | null)[];

  constructor(
    readonly size: number,
    private readonly o: { cancelGraceMs?: number; entry?: URL } = {},
  ) {
    if (!(Number.isInteger(size) && size >= 1)) throw new Error(`worker pool size must be an integer ≥ 1, got ${size}`);
    this.slots = Array.from({ length: size }, () => null);
  }

  get busy(): number {
    return this.slots.filter((s) => s?.job).length;
  }

  get hasFreeSlot(): boolean {
    return this.busy < this.size;
  }

  run(runId: number, job: JobRequest, handlers: JobHandlers): Promise<JobOutput> {
    const i = this.slots.findIndex((s) => !s?.job);
    if (i < 0) return Promise.reject(new Error('worker pool is full'));
    const slot = this.slots[i] ?? this.spawn(i);
    // Stored inputs (a training set can be hundreds of MB) move to the worker instead of being copied.
    const transfer = [job.inputs.data, job.inputs.start].flatMap((a) => (a ? [a.buffer as ArrayBuffer] : []));
    return new Promise<JobOutput>((resolve, reject) => {
      slot.job = { runId, handlers, resolve, reject };
      slot.worker.postMessage({ type: 'start', runId, job }, transfer);
    });
  }

  /** Tell the run's job how many threads it may train on now; false when no worker is running it. */
  resize(runId: number, cores: number): boolean {
    const slot = this.slots.find((s) => s?.job?.runId === runId);
    if (!slot?.job) return false;
    slot.worker.postMessage({ type: 'cores', runId, cores });
    return true;
  }

  /** Ask the run's job to stop; false when no worker is running it (it already answered). */
  cancel(runId: number): boolean {
    const slot = this.slots.find((s) => s?.job?.runId === runId);
    if (!slot?.job) return false;
    slot.worker.postMessage({ type: 'cancel', runId });
    // Fallback: a job stuck in one long op (or a hung native call) never reads the signal.
    slot.job.cancelTimer ??= setTimeout(() => {
      const job = slot.job;
      if (job?.runId !== runId) return;
      slot.job = null;
      // Retire the slot before the job settles: the scheduler starts the next run at once, and it
      // must get a fresh worker, not this dying one.
      if (this.slots[slot.index] === slot) this.slots[slot.index] = null;
      job.reject(abortError('cancelled (the worker did not stop in time and was terminated)'));
      void slot.worker.terminate();
    }, this.o.cancelGraceMs ?? 10_000);
    return true;
  }

  async close(): Promise<void> {
    await Promise.all(this.slots.map((s) => s?.worker.terminate()));
  }

  private spawn(i: number): Slot {
    const worker = new Worker(this.o.entry ?? ENTRY);
    const slot: Slot = { index: i, worker, job: null };
    this.slots[i] = slot;
    worker.on('message', (m: FromWorker) => this.receive(slot, m));
    const die = (err: Error): void => {
      if (this.slots[i] === slot) this.slots[i] = null;
      const job = slot.job;
      slot.job = null;
      if (job) (clearTimeout(job.cancelTimer), job.reject(err));
    };
    worker.on('error', (e) => die(new WorkerExitError(`worker crashed: ${e.message}`)));
    worker.on('exit', (code) => die(new WorkerExitError(`worker exited with code ${code}`)));
    return slot;
  }

  private receive(slot: Slot, m: FromWorker): void {
    const job = slot.job;
    if (!job || job.runId !== m.runId) return; // a late message from a job already settled
    if (m.type === 'progress') job.handlers.onProgress(m);
    else if (m.type === 'checkpoint') job.handlers.onCheckpoint(m.checkpoint);
    else {
      slot.job = null;
      clearTimeout(job.cancelTimer);
      if (m.type === 'result') job.resolve(m.output);
      else job.reject(Object.assign(new Error(m.error.message), { name: m.error.name, stack: m.error.stack }));
    }
  }
}

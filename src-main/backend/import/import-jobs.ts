import { rm, stat } from 'node:fs/promises';
import { Worker } from 'node:worker_threads';
import { ApiError, type ImportJobDto, type SampleSetDto } from '../../../contract/api';
import type { SamplesRepo } from '../../../db/repositories/samples';
import type { EventBus } from '../events';
import { importSampleSet, type ImportRequest } from './import-set';
import type { FromImportThread, ToImportThread } from './thread/messages';

const ENTRY = new URL('./thread/import-thread-start.mjs', import.meta.url);
/** An import thread's heap: batches are ~4 MB; a thread that grows past this dies alone, not the server. */
const THREAD_HEAP_MB = 384;
const CANCEL_GRACE_MS = 5000;

interface Job {
  dto: ImportJobDto;
  worker: Worker | null;
  setId: number | null;
  cancelRequested: boolean;
  readonly ended: Promise<ImportJobDto>;
  end: (d: ImportJobDto) => void;
}

export interface ImportJobsOptions {
  readonly dbPath: string;
  readonly samples: SamplesRepo;
  readonly events: EventBus;
  /** The largest file `import:file` takes, in bytes (a setting). */
  readonly maxBytes: number;
  /** How the limit is raised, for the error (e.g. "bgw serve --max-import-mb"). */
  readonly limitSetting: string;
}

/**
 * The backend's imports: each in a worker thread of its own (parsing and SQLite writes off the
 * server's event loop), followed by `imports:progress` events, cancellable. A thread that dies
 * (out of memory, a native crash) fails its import alone; its partial set is discarded here.
 */
export class ImportJobs {
  private next = 1;
  private readonly jobs = new Map<number, Job>();

  constructor(private readonly o: ImportJobsOptions) {}

  /** The largest file an import takes, and the setting that raises it (for errors elsewhere, e.g. uploads). */
  get limit(): { readonly maxBytes: number; readonly setting: string } {
    return { maxBytes: this.o.maxBytes, setting: this.o.limitSetting };
  }

  /**
   * Start streaming a file; answers once the file is known to exist and fit the limit. `owned`: the
   * file is the import's (an upload's temporary copy) and is removed when the import ends, however.
   */
  async startFile(r: ImportRequest & { source: { path: string } }, o: { owned?: boolean } = {}): Promise<ImportJobDto> {
    const path = r.source.path;
    const info = await stat(path).catch((e: NodeJS.ErrnoException) => {
      throw new ApiError(e.code === 'ENOENT' ? 'not_found' : 'bad_request', `cannot read ${path}: ${e.message}`);
    });
    if (!info.isFile()) throw new ApiError('bad_request', `${path} is not a file`);
    if (info.size > this.o.maxBytes)
      throw new ApiError('too_large', `${path} is ${mib(info.size)} MiB; imports take at most ${mib(this.o.maxBytes)} MiB (the setting ${this.o.limitSetting})`);
    const dto = this.start(r, path, info.size);
    // A file that cannot be removed now (still open on Windows, permissions) is cleared at the next server start.
    if (o.owned) void this.jobs.get(dto.id)!.ended.then(() => rm(path, { force: true })).catch(() => {});
    return dto;
  }

  /** Import a text (`import:samples`) in a thread too, and wait for the set. */
  async importText(r: ImportRequest & { source: { text: string } }): Promise<SampleSetDto> {
    const job = this.start(r, null, Buffer.byteLength(r.source.text));
    const end = await this.jobs.get(job.id)!.ended;
    if (end.status !== 'done') throw new ApiError('invalid_input', `import failed: ${end.error}`);
    return this.o.samples.getSet(end.setId!)!;
  }

  list(): ImportJobDto[] {
    return [...this.jobs.values()].map((j) => j.dto).sort((a, b) => Number(b.status === 'running') - Number(a.status === 'running') || b.id - a.id);
  }

  cancel(id: number): ImportJobDto {
    const job = this.jobs.get(id);
    if (!job) throw new ApiError('not_found', `import ${id} does not exist`);
    if (job.dto.status !== 'running') throw new ApiError('conflict', `import ${id} is ${job.dto.status}`);
    job.cancelRequested = true;
    job.worker?.postMessage({ type: 'cancel' } satisfies ToImportThread);
    // A thread stuck in one long SQLite statement still goes: terminated after the grace period.
    const w = job.worker;
    setTimeout(() => void w?.terminate(), CANCEL_GRACE_MS).unref();
    return job.dto;
  }

  /** Cancel every running import and wait for them (backend shutdown). */
  async close(): Promise<void> {
    const running = [...this.jobs.values()].filter((j) => j.dto.status === 'running');
    for (const j of running) this.cancel(j.dto.id);
    await Promise.all(running.map((j) => j.ended));
  }

  private start(r: ImportRequest, path: string | null, totalBytes: number): ImportJobDto {
    const id = this.next++;
    let end!: (d: ImportJobDto) => void;
    const ended = new Promise<ImportJobDto>((res) => (end = res));
    const dto: ImportJobDto = {
      id, projectId: r.projectId, name: r.name ?? path ?? `imported ${r.format}`, path, format: r.format, system: r.system.name,
      status: 'running', bytes: 0, totalBytes, rows: 0, setId: null, error: null, startedAt: new Date().toISOString(), endedAt: null,
    };
    const job: Job = { dto, worker: null, setId: null, cancelRequested: false, ended, end };
    this.jobs.set(id, job);
    if (this.o.dbPath === ':memory:') void this.runInline(job, r);
    else this.runThread(job, r);
    return dto;
  }

  private update(job: Job, patch: Partial<ImportJobDto>): void {
    job.dto = { ...job.dto, ...patch };
    this.o.events.emit('imports:progress', job.dto);
  }

  private finish(job: Job, patch: Partial<ImportJobDto>): void {
    if (job.dto.status !== 'running') return;
    this.update(job, { ...patch, endedAt: new Date().toISOString() });
    job.end(job.dto);
  }

  private runThread(job: Job, r: ImportRequest): void {
    const worker = new Worker(ENTRY, { resourceLimits: { maxOldGenerationSizeMb: THREAD_HEAP_MB } });
    job.worker = worker;
    worker.on('message', (m: FromImportThread) => {
      if (m.type === 'created') job.setId = m.setId;
      else if (m.type === 'progress') this.update(job, m.progress);
      else if (m.outcome === 'done') this.finish(job, { status: 'done', setId: m.setId, rows: this.o.samples.getSet(m.setId)?.n ?? job.dto.rows, bytes: job.dto.totalBytes });
      else this.finish(job, { status: m.outcome, error: m.error });
    });
    worker.on('error', (e) => void this.died(job, e.message));
    worker.on('exit', (code) => void this.died(job, `the import's thread exited (code ${code})`));
    worker.postMessage({ type: 'start', dbPath: this.o.dbPath, request: r, pid: process.pid } satisfies ToImportThread);
  }

  /** The thread ended without answering (crash, out of memory, terminated): discard its part. */
  private async died(job: Job, why: string): Promise<void> {
    if (job.dto.status !== 'running') return;
    if (job.setId !== null) await this.o.samples.discardSet(job.setId).catch(() => {});
    this.finish(job, job.cancelRequested ? { status: 'cancelled', error: 'cancelled' } : { status: 'failed', error: why });
  }

  /** `:memory:` databases have no second connection: the import runs on this thread. */
  private async runInline(job: Job, r: ImportRequest): Promise<void> {
    try {
      const set = await importSampleSet(this.o.samples, r, { onProgress: (p) => this.update(job, p) });
      this.finish(job, { status: 'done', setId: set.id, rows: set.n });
    } catch (e) {
      this.finish(job, { status: 'failed', error: (e as Error).message });
    }
  }
}

const mib = (b: number): string => (b / (1024 * 1024)).toFixed(0);

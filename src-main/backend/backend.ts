import { mkdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname } from 'node:path';
import { openDatabase, Repositories } from '../../db';
import { acquireLock } from '../../db/lock';
import { ApiInputs, type ApiHandlers, type RunDto, type ApiOutputs, type ApiRequest, type Channel, type SystemInfo } from '../../contract/api';
import { invalidInput } from './server/envelope';
import { EventBus } from './events';
import { WorkerPool } from './scheduler/pool';
import { Scheduler, type SchedulerOptions } from './scheduler/scheduler';
import type { ServiceContext } from './services/context';
import { projectHandlers } from './services/projects';
import { runHandlers } from './services/runs';
import { startRun, type StartRun } from './services/start-run';
import { sampleHandlers } from './services/samples';
import { structureHandlers } from './services/structures';
import { nvidiaGpus, systemHandlers, systemInfo } from './services/system';
import { costLimits, type CostSettings } from './scheduler/cost-limits';
import { ImportJobs } from './import/import-jobs';
import { localExecutor } from './executors/local';
import { SlurmExecutor, type SlurmSettings } from './executors/slurm/slurm-executor';
import { sweepHandlers } from './services/sweeps';
import { DEFAULT_MAX_SWEEP_RUNS } from '../../contract/sweep-spec';
import { DEFAULT_IMPORT_FILE_LIMIT } from '../../contract/api';
import { isProcessAlive } from '../../db/lock';

export interface BackendOptions {
  readonly dbPath: string;
  /** Concurrent runs; default: one per core on CPU backends, one per GPU on a GPU backend. */
  readonly workers?: number;
  /** Cores the runs share as training threads (fair shares, `spec.cores` within it); default: the machine's. */
  readonly cores?: number;
  readonly checkpointEverySeconds?: number;
  readonly cancelGraceMs?: number;
  readonly onOutput?: SchedulerOptions['onOutput'];
  /** Start runs left queued by an earlier backend (default true; false for one-shot CLI commands). */
  readonly startQueued?: boolean;
  /** Tests only: failures to inject into a run's job (the run spec has no such field). */
  readonly faults?: SchedulerOptions['faults'];
  /** Shown to another process that finds the database locked (e.g. "bgw serve"). */
  readonly owner?: string;
  /** `bgw run --out` staging folders: recorded in the lock, so whoever takes over a dead owner's lock removes them. */
  readonly partials?: readonly string[];
  /** Bounds on one run's memory and work (docs/backend.md, "Bounds"). */
  readonly limits?: CostSettings;
  /** The largest file `import:file` takes, in bytes (default DEFAULT_IMPORT_FILE_LIMIT). */
  readonly importMaxBytes?: number;
  /** The most runs one sweep may expand to (default DEFAULT_MAX_SWEEP_RUNS). */
  readonly maxSweepRuns?: number;
  /** The Slurm executor's settings (docs/scale-out.md); without them Slurm runs are refused. */
  readonly slurm?: SlurmSettings | undefined;
}

export interface Backend extends ServiceContext {
  readonly handlers: ApiHandlers;
  /** Validate like the server does (defaults applied, ApiError on bad input), then handle. */
  call<C extends Channel>(channel: C, input: ApiRequest<C>): Promise<ApiOutputs[C]>;
  /** Queue a spec already validated where it entered (the CLI's file): what `runs:start` does after parsing. */
  startRun(r: StartRun): RunDto;
  readonly workers: number;
  close(): Promise<void>;
}

/** GPU backends run one job per GPU (they would contend for it); CPU backends one per core. */
async function defaultWorkers(): Promise<number> {
  const { resolveComputeChoice } = await import('../../engine/compute/select');
  const choice = resolveComputeChoice();
  const gpus = choice === 'wasm' || choice === 'cpu' ? [] : await nvidiaGpus();
  return gpus.length > 0 ? gpus.length : availableParallelism();
}

/**
 * The headless backend: database (migrated), worker pool, scheduler, services. `bgw serve` puts
 * the HTTP API in front of `handlers`; the CLI and tests call them directly.
 */
export async function createBackend(o: BackendOptions): Promise<Backend> {
  // The lock comes first: a second backend must not even migrate a database another one owns.
  if (o.dbPath !== ':memory:') mkdirSync(dirname(o.dbPath), { recursive: true });
  const release = o.dbPath === ':memory:' ? () => {} : acquireLock(o.dbPath, o.owner ?? 'bgw', { partials: o.partials ?? [] });
  let db;
  try {
    // A backend checks the file first: a corrupt one is refused by name, not answered with 500s.
    db = openDatabase(o.dbPath, { check: true });
  } catch (e) {
    release();
    throw e;
  }
  const repos = new Repositories(db);
  // Imports a killed process left half-stored: nobody can finish them.
  await repos.samples.discardAbandonedImports(isProcessAlive);
  const workers = o.workers ?? (await defaultWorkers());
  const pool = new WorkerPool(workers, { ...(o.cancelGraceMs !== undefined ? { cancelGraceMs: o.cancelGraceMs } : {}) });
  const events = new EventBus();
  const cores = o.cores ?? availableParallelism();
  if (!(Number.isInteger(cores) && cores >= 1)) throw new Error(`cores must be an integer ≥ 1, got ${cores}`);
  const scheduler = new Scheduler(repos, pool, events, { checkpointEverySeconds: o.checkpointEverySeconds ?? 180, cores, onOutput: o.onOutput, faults: o.faults });
  let info: Promise<SystemInfo> | null = null;
  const imports = new ImportJobs({ dbPath: o.dbPath, samples: repos.samples, events, maxBytes: o.importMaxBytes ?? DEFAULT_IMPORT_FILE_LIMIT, limitSetting: 'bgw serve --max-import-mb' });
  const local = localExecutor(scheduler);
  const slurm = o.slurm ? new SlurmExecutor(o.slurm, { repos, events, dbPath: o.dbPath }) : null;
  const ctx: ServiceContext = { repos, scheduler, events, dbPath: o.dbPath, imports, executors: { local, slurm }, maxSweepRuns: o.maxSweepRuns ?? DEFAULT_MAX_SWEEP_RUNS, limits: () => costLimits(o.limits), info: () => (info ??= systemInfo({ workers, database: o.dbPath })) };
  const handlers: ApiHandlers = { ...systemHandlers(ctx), ...projectHandlers(ctx), ...runHandlers(ctx), ...sampleHandlers(ctx), ...structureHandlers(ctx), ...sweepHandlers(ctx) };
  scheduler.recover(o.startQueued ?? true);
  await slurm?.start();
  const call = async <C extends Channel>(channel: C, input: ApiRequest<C>): Promise<ApiOutputs[C]> => {
    const parsed = ApiInputs[channel].safeParse(input);
    if (!parsed.success) throw invalidInput(parsed.error);
    return (handlers[channel] as (i: unknown) => Promise<ApiOutputs[C]>)(parsed.data);
  };
  return {
    ...ctx,
    handlers,
    call,
    startRun: (r) => startRun(ctx, r),
    workers,
    close: async () => {
      await slurm?.close();
      await imports.close();
      await scheduler.close();
      db.close();
      release();
    },
  };
}

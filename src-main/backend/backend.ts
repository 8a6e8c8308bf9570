import { availableParallelism } from 'node:os';
import { openDatabase, Repositories } from '../../db/index';
import { acquireLock } from '../../db/lock';
import type { ApiHandlers, SystemInfo } from '../contract/api';
import { EventBus } from './events';
import { WorkerPool } from './scheduler/pool';
import { Scheduler, type SchedulerOptions } from './scheduler/scheduler';
import type { ServiceContext } from './services/context';
import { projectHandlers } from './services/projects';
import { runHandlers } from './services/runs';
import { sampleHandlers } from './services/samples';
import { nvidiaGpus, systemHandlers, systemInfo } from './services/system';

export interface BackendOptions {
  readonly dbPath: string;
  /** Concurrent runs; default: one per core on CPU backends, one per GPU on a GPU backend. */
  readonly workers?: number;
  readonly checkpointEverySeconds?: number;
  readonly cancelGraceMs?: number;
  readonly onOutput?: SchedulerOptions['onOutput'];
  /** Start runs left queued by an earlier backend (default true; false for one-shot CLI commands). */
  readonly startQueued?: boolean;
  /** Shown to another process that finds the database locked (e.g. "bgw serve"). */
  readonly owner?: string;
}

export interface Backend extends ServiceContext {
  readonly handlers: ApiHandlers;
  readonly workers: number;
  close(): Promise<void>;
}

/** GPU backends run one job per GPU (they would contend for it); CPU backends one per core. */
async function defaultWorkers(): Promise<number> {
  const { resolveBackendChoice } = await import('../../workers/backend');
  const choice = resolveBackendChoice();
  const gpus = choice === 'wasm' || choice === 'cpu' ? [] : await nvidiaGpus();
  return gpus.length > 0 ? gpus.length : availableParallelism();
}

/**
 * The headless backend: database (migrated), worker pool, scheduler, services. `bgw serve` puts
 * the HTTP API in front of `handlers`; the CLI and tests call them directly.
 */
export async function createBackend(o: BackendOptions): Promise<Backend> {
  const db = openDatabase(o.dbPath);
  let release: () => void;
  try {
    release = o.dbPath === ':memory:' ? () => {} : acquireLock(o.dbPath, o.owner ?? 'bgw');
  } catch (e) {
    db.close();
    throw e;
  }
  const repos = new Repositories(db);
  const workers = o.workers ?? (await defaultWorkers());
  const pool = new WorkerPool(workers, { ...(o.cancelGraceMs !== undefined ? { cancelGraceMs: o.cancelGraceMs } : {}) });
  const events = new EventBus();
  const scheduler = new Scheduler(repos, pool, events, { checkpointEverySeconds: o.checkpointEverySeconds ?? 180, ...(o.onOutput ? { onOutput: o.onOutput } : {}) });
  let info: Promise<SystemInfo> | null = null;
  const ctx: ServiceContext = { repos, scheduler, events, info: () => (info ??= systemInfo({ workers, database: o.dbPath })) };
  const handlers: ApiHandlers = { ...systemHandlers(ctx), ...projectHandlers(ctx), ...runHandlers(ctx), ...sampleHandlers(ctx) };
  scheduler.recover(o.startQueued ?? true);
  return {
    ...ctx,
    handlers,
    workers,
    close: async () => {
      await scheduler.close();
      db.close();
      release();
    },
  };
}

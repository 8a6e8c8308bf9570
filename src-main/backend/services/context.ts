import type { Repositories } from '../../../db';
import type { EventBus } from '../events';
import type { Scheduler } from '../scheduler/scheduler';
import type { ImportJobs } from '../import/import-jobs';
import type { RunExecutor } from '../executors/executor';
import type { SystemInfo } from '../../../contract/api';
import type { CostLimits } from '../../../contract/run-spec/cost';

/** What every service works on: the repositories (one connection), the scheduler and the events. */
export interface ServiceContext {
  readonly repos: Repositories;
  readonly scheduler: Scheduler;
  readonly events: EventBus;
  readonly info: () => Promise<SystemInfo>;
  readonly dbPath: string;
  /** Where runs execute: this backend's workers, and a Slurm cluster when configured. */
  readonly executors: { readonly local: RunExecutor; readonly slurm: RunExecutor | null };
  /** The most runs one sweep may expand to (a setting). */
  readonly maxSweepRuns: number;
  /** Streamed imports, each in a thread of its own. */
  readonly imports: ImportJobs;
  /** The bounds a run must fit when it is started (free memory is read at each call). */
  readonly limits: () => CostLimits;
}

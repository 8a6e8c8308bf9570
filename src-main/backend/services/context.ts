import type { Repositories } from '../../../db';
import type { EventBus } from '../events';
import type { Scheduler } from '../scheduler/scheduler';
import type { ImportJobs } from '../import/import-jobs';
import type { SystemInfo } from '../../../contract/api';
import type { CostLimits } from '../../../contract/run-spec/cost';

/** What every service works on: the repositories (one connection), the scheduler and the events. */
export interface ServiceContext {
  readonly repos: Repositories;
  readonly scheduler: Scheduler;
  readonly events: EventBus;
  readonly info: () => Promise<SystemInfo>;
  readonly dbPath: string;
  /** Streamed imports, each in a thread of its own. */
  readonly imports: ImportJobs;
  /** The bounds a run must fit when it is started (free memory is read at each call). */
  readonly limits: () => CostLimits;
}

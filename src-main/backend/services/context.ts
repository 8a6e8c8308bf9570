import type { Repositories } from '../../../db';
import type { EventBus } from '../events';
import type { Scheduler } from '../scheduler/scheduler';
import type { SystemInfo } from '../../../contract/api';
import type { CostLimits } from '../../../contract/run-spec/cost';

/** What every service works on: the repositories (one connection), the scheduler and the events. */
export interface ServiceContext {
  readonly repos: Repositories;
  readonly scheduler: Scheduler;
  readonly events: EventBus;
  readonly info: () => Promise<SystemInfo>;
  readonly dbPath: string;
  /** The bounds a run must fit when it is started (free memory is read at each call). */
  readonly limits: () => CostLimits;
}

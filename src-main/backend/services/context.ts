import type { Repositories } from '../../../db';
import type { EventBus } from '../events';
import type { Scheduler } from '../scheduler/scheduler';
import type { SystemInfo } from '../../../contract/api';

/** What every service works on: the repositories (one connection), the scheduler and the events. */
export interface ServiceContext {
  readonly repos: Repositories;
  readonly scheduler: Scheduler;
  readonly events: EventBus;
  readonly info: () => Promise<SystemInfo>;
  readonly dbPath: string;
}

import type { Scheduler } from '../scheduler/scheduler';
import type { RunExecutor } from './executor';

/** This backend's worker pool (the scheduler): the default executor. */
export function localExecutor(scheduler: Scheduler): RunExecutor {
  return {
    name: 'local',
    submit: async (ids) => ids.forEach((id) => scheduler.enqueue(id)),
    cancel: async (id) => scheduler.cancel(id),
    isActive: (id) => scheduler.isActive(id),
    resume: async (id) => scheduler.enqueue(id),
    // The scheduler is closed by the backend itself (it also serves runs started outside sweeps).
    close: async () => {},
  };
}

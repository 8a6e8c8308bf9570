import type { ApiHandlers } from '../../../contract/api';
import { addSeeds, cancelSweep, deleteSweep, resumeSweep, startSweep, sweepDetail } from '../sweeps/sweep-service';
import type { ServiceContext } from './context';

type Channels = 'sweeps:start' | 'sweeps:list' | 'sweeps:get' | 'sweeps:cancel' | 'sweeps:resume' | 'sweeps:delete' | 'sweeps:addSeeds';

export function sweepHandlers(c: ServiceContext): Pick<ApiHandlers, Channels> {
  return {
    'sweeps:start': async (r) => startSweep(c, r),
    'sweeps:list': async ({ projectId }) => c.repos.sweeps.list(projectId),
    'sweeps:get': async ({ id }) => sweepDetail(c, id),
    'sweeps:cancel': async ({ id }) => cancelSweep(c, id),
    'sweeps:resume': async ({ id }) => resumeSweep(c, id),
    'sweeps:delete': async ({ id }) => deleteSweep(c, id),
    'sweeps:addSeeds': async ({ id, seeds }) => addSeeds(c, id, seeds),
  };
}

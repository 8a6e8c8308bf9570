import { ApiError, type ApiHandlers } from '../../../contract/api';
import type { ServiceContext } from './context';

export function projectHandlers(c: ServiceContext): Pick<ApiHandlers, 'projects:list' | 'projects:create' | 'projects:rename' | 'projects:delete'> {
  const { projects, runs } = c.repos;
  return {
    'projects:list': async () => projects.list(),
    'projects:create': async ({ name }) => projects.create(name),
    'projects:rename': async ({ id, name }) => {
      if (!projects.rename(id, name)) throw new ApiError('not_found', `project ${id} does not exist`);
      return projects.get(id)!;
    },
    'projects:delete': async ({ id }) => {
      if (!projects.get(id)) throw new ApiError('not_found', `project ${id} does not exist`);
      const busy = runs.list(id).filter((r) => c.scheduler.isActive(r.id));
      if (busy.length) throw new ApiError('conflict', `project ${id} has ${busy.length} queued or running run(s) (${busy.map((r) => r.id).join(', ')}): cancel them first`);
      projects.delete(id);
      return { deleted: id };
    },
  };
}

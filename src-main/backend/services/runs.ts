import { ApiError, type ApiHandlers, type RunDto } from '../../../contract/api';
import type { GeneratorSpec } from '../../../contract/run-spec';
import type { ServiceContext } from './context';
import { newSeed, startRun, validateSpec } from './start-run';

type RunChannels = 'runs:list' | 'runs:get' | 'runs:start' | 'runs:cancel' | 'runs:resume' | 'runs:duplicate' | 'runs:rename' | 'runs:delete' | 'runs:sampleMore' | 'runs:metrics';
const RESUMABLE = new Set(['interrupted', 'failed', 'cancelled']);

export function runHandlers(c: ServiceContext): Pick<ApiHandlers, RunChannels> {
  const { runs, projects, metrics, checkpoints } = c.repos;
  const mustGet = (id: number): RunDto => {
    const r = runs.get(id);
    if (!r) throw new ApiError('not_found', `run ${id} does not exist`);
    return r;
  };
  const enqueue = (r: RunDto): RunDto => (c.scheduler.enqueue(r.id), runs.get(r.id)!);
  return {
    'runs:list': async ({ projectId }) => runs.list(projectId),
    'runs:get': async ({ id }) => {
      const d = runs.detail(id);
      if (!d) throw new ApiError('not_found', `run ${id} does not exist`);
      return d;
    },
    'runs:start': async ({ projectId, spec, seed, name }) => startRun(c, { spec: validateSpec(spec), seed, projectId, name }),
    'runs:cancel': async ({ id }) => {
      const r = mustGet(id);
      const outcome = c.scheduler.cancel(id);
      if (outcome === 'inactive') throw new ApiError('conflict', `run ${id} is ${r.status}, not queued or running`);
      if (outcome === 'finishing') throw new ApiError('conflict', `run ${id} has finished computing and is being saved; it can no longer be cancelled`);
      return runs.get(id)!;
    },
    'runs:resume': async ({ id }) => {
      const r = mustGet(id);
      if (!RESUMABLE.has(r.status) || c.scheduler.isActive(id)) throw new ApiError('conflict', `run ${id} is ${r.status}: only interrupted, failed or cancelled runs resume`);
      return enqueue(r);
    },
    'runs:duplicate': async ({ id, seed }) => {
      const src = runs.detail(id);
      if (!src) throw new ApiError('not_found', `run ${id} does not exist`);
      const s = seed === 'same' ? src.seed : seed === 'new' ? newSeed() : seed;
      return enqueue(runs.create({ projectId: src.projectId, name: `${src.name} (copy)`, spec: src.spec, seed: s, parentId: id, molecule: runs.job(id)!.molecule }));
    },
    'runs:rename': async ({ id, name }) => {
      mustGet(id);
      runs.rename(id, name);
      return runs.get(id)!;
    },
    'runs:delete': async ({ id }) => {
      const r = mustGet(id);
      if (c.scheduler.isActive(id)) throw new ApiError('conflict', `run ${id} is ${r.status}: cancel it before deleting`);
      runs.delete(id);
      return { deleted: id };
    },
    'runs:sampleMore': async ({ id, n, seed }) => {
      const src = runs.detail(id);
      if (!src) throw new ApiError('not_found', `run ${id} does not exist`);
      if (src.spec.method !== 'generator' || src.status !== 'completed' || checkpoints.latest(id)?.phase !== 'trained') {
        throw new ApiError('conflict', `run ${id} has no saved generator to sample from (it must be a completed generator run)`);
      }
      const spec: GeneratorSpec = { ...src.spec, sampling: { ...src.spec.sampling, n: n ?? src.spec.sampling.n } };
      return enqueue(runs.create({ projectId: src.projectId, name: `${src.name} (more samples)`, spec, seed: seed ?? newSeed(), kind: 'sample', parentId: id, molecule: runs.job(id)!.molecule }));
    },
    'runs:metrics': async ({ id, series, afterStep }) => {
      mustGet(id);
      return metrics.list(id, { ...(series ? { series } : {}), afterStep });
    },
  };
}

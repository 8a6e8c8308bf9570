import { ApiError, type ApiHandlers, type RunDto } from '../../../contract/api';
import type { GeneratorSpec } from '../../../contract/run-spec';
import type { ServiceContext } from './context';
import { executorOf, queueRuns } from '../sweeps/queue-runs';
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
    'runs:start': async ({ projectId, spec, seed, name, executor }) => {
      const valid = validateSpec(spec);
      if (executor === 'local') return startRun(c, { spec: valid, seed, projectId, name });
      const pid = projectId ?? projects.defaultId();
      if (!projects.get(pid)) throw new ApiError('not_found', `project ${pid} does not exist`);
      const [run] = await queueRuns(c, { projectId: pid, executor, label: () => 'spec', runs: [{ spec: valid, seed, name: name ?? valid.name ?? `${valid.system.name} ${valid.method}` }] });
      return run!;
    },
    'runs:cancel': async ({ id }) => {
      const r = mustGet(id);
      const outcome = await executorOf(c, r.executor).cancel(id);
      if (outcome === 'inactive') throw new ApiError('conflict', `run ${id} is ${r.status}, not queued or running`);
      if (outcome === 'finishing') throw new ApiError('conflict', `run ${id} has finished computing and is being saved; it can no longer be cancelled`);
      return runs.get(id)!;
    },
    'runs:resume': async ({ id }) => {
      const r = mustGet(id);
      const ex = executorOf(c, r.executor);
      if (!RESUMABLE.has(r.status) || ex.isActive(id)) throw new ApiError('conflict', `run ${id} is ${r.status}: only interrupted, failed or cancelled runs resume`);
      await ex.resume(id);
      return runs.get(id)!;
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
      if (executorOf(c, r.executor).isActive(id)) throw new ApiError('conflict', `run ${id} is ${r.status}: cancel it before deleting`);
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

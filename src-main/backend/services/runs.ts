import { randomInt } from 'node:crypto';
import { ApiError, type ApiHandlers, type RunDto } from '../../../contract/api';
import { parseRunSpec, type GeneratorSpec } from '../../../contract/run-spec';
import { resolveStoredInputs, StoredInputError } from '../scheduler/stored-inputs';
import type { ServiceContext } from './context';

type RunChannels = 'runs:list' | 'runs:get' | 'runs:start' | 'runs:cancel' | 'runs:resume' | 'runs:duplicate' | 'runs:rename' | 'runs:delete' | 'runs:sampleMore' | 'runs:metrics';
const RESUMABLE = new Set(['interrupted', 'failed', 'cancelled']);
const newSeed = (): number => randomInt(0, 2 ** 31 - 1);

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
    'runs:start': async ({ projectId, spec, seed, name }) => {
      const parsed = parseRunSpec(spec);
      if (!parsed.ok) {
        const issues = parsed.issues.map((i) => ({ path: i.path === 'spec' ? 'spec' : `spec.${i.path}`, message: i.message }));
        throw new ApiError('invalid_input', `invalid run spec: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, issues);
      }
      if (projectId !== undefined && !projects.get(projectId)) throw new ApiError('not_found', `project ${projectId} does not exist`);
      const s = parsed.spec;
      try {
        resolveStoredInputs(c.repos.samples, s, false);
      } catch (e) {
        if (!(e instanceof StoredInputError)) throw e;
        throw new ApiError('invalid_input', `invalid run spec: spec.${e.message}`, [{ path: `spec.${e.path}`, message: e.message.slice(e.path.length + 2) }]);
      }
      const run = runs.create({ projectId: projectId ?? projects.defaultId(), name: name ?? s.name ?? `${s.system.name} ${s.method}`, spec: s, seed: seed ?? s.seed ?? newSeed() });
      return enqueue(run);
    },
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
      return enqueue(runs.create({ projectId: src.projectId, name: `${src.name} (copy)`, spec: src.spec, seed: s, parentId: id }));
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
      return enqueue(runs.create({ projectId: src.projectId, name: `${src.name} (more samples)`, spec, seed: seed ?? newSeed(), kind: 'sample', parentId: id }));
    },
    'runs:metrics': async ({ id, series, afterStep }) => {
      mustGet(id);
      return metrics.list(id, { ...(series ? { series } : {}), afterStep });
    },
  };
}

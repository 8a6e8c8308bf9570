import { ApiError, type SweepDetailDto, type SweepDto } from '../../../contract/api';
import { SEED_AXIS } from '../../../contract/sweep-aggregate';
import { sweepDetailFrom } from './sweep-detail';
import { combinationLabel, parseSweepSpec, type SweepSpecInput } from '../../../contract/sweep-spec';
import type { ServiceContext } from '../services/context';
import { executorOf, queueRuns } from './queue-runs';

const RESUMABLE = new Set(['interrupted', 'failed', 'cancelled']);

function refused(issues: readonly { path: string; message: string; combination?: Record<string, unknown> }[]): ApiError {
  const flat = issues.map((i) => ({ path: i.path, message: i.message }));
  return new ApiError('invalid_input', `invalid sweep, nothing was queued: ${flat.map((i) => `${i.path}: ${i.message}`).join('; ')}`, flat);
}

/** The spec's name (the sweep spec already suffixed it with the combination), else the sweep's with it. */
function runName(specName: string | undefined, sweepName: string, combination: Record<string, unknown>): string {
  return specName ?? `${sweepName.slice(0, 60)} [${combinationLabel(combination)}]`.slice(0, 120);
}

/** Validate every combination, then queue the sweep's runs with its row, all or nothing. */
export async function startSweep(c: ServiceContext, r: { projectId?: number | undefined; sweep: unknown }): Promise<SweepDto> {
  const projectId = r.projectId ?? c.repos.projects.defaultId();
  if (!c.repos.projects.get(projectId)) throw new ApiError('not_found', `project ${projectId} does not exist`);
  const parsed = parseSweepSpec(r.sweep, { maxRuns: c.maxSweepRuns });
  if (!parsed.ok) throw refused(parsed.issues);
  const { sweep } = parsed;
  let sweepId = 0;
  const name = sweep.name ?? `${sweep.runs[0]!.spec.system.name} sweep over ${sweep.axes.map((a) => a.path).join(', ')}`;
  await queueRuns(c, {
    projectId,
    executor: sweep.executor,
    label: (i) => `runs[${i}] (${combinationLabel(sweep.runs[i]!.combination)})`,
    before: () => (sweepId = c.repos.sweeps.create({ projectId, name: name.slice(0, 200), spec: r.sweep as SweepSpecInput, executor: sweep.executor })),
    undo: () => c.repos.sweeps.delete(sweepId),
    runs: sweep.runs.map((run) => ({ spec: run.spec, name: runName(run.spec.name, name, run.combination), sweep: { index: run.index, combination: run.combination } })),
  });
  return c.repos.sweeps.get(sweepId)!;
}

export function mustSweep(c: ServiceContext, id: number): SweepDto {
  const s = c.repos.sweeps.get(id);
  if (!s) throw new ApiError('not_found', `sweep ${id} does not exist`);
  return s;
}

/** The sweep, its runs, and ΔF/ESS over seeds per combination of the other axes. */
export function sweepDetail(c: ServiceContext, id: number): SweepDetailDto {
  return sweepDetailFrom(mustSweep(c, id), c.repos.runs.ofSweep(id));
}

/** Cancel the sweep's queued and running runs (those already ended are left as they are). */
export async function cancelSweep(c: ServiceContext, id: number): Promise<SweepDto> {
  const s = mustSweep(c, id);
  for (const r of c.repos.runs.ofSweep(id)) {
    if (r.status !== 'queued' && r.status !== 'running') continue;
    const outcome = await executorOf(c, r.executor).cancel(r.id);
    // A local run queued in the database that no backend has taken (a detached sweep): nothing to stop.
    if (outcome === 'inactive' && r.status === 'queued') {
      c.repos.runs.setStatus(r.id, 'cancelled', { error: 'cancelled before it started' });
      c.events.emit('runs:status', { runId: r.id, status: 'cancelled', error: 'cancelled before it started' });
    }
  }
  return mustSweep(c, s.id);
}

export async function resumeSweep(c: ServiceContext, id: number): Promise<SweepDto> {
  mustSweep(c, id);
  const todo = c.repos.runs.ofSweep(id).filter((r) => RESUMABLE.has(r.status));
  if (!todo.length) throw new ApiError('conflict', `sweep ${id} has no interrupted, failed or cancelled runs to resume`);
  for (const r of todo) await executorOf(c, r.executor).resume(r.id);
  return mustSweep(c, id);
}

export function deleteSweep(c: ServiceContext, id: number): { deleted: number } {
  mustSweep(c, id);
  const active = c.repos.runs.ofSweep(id).filter((r) => r.status === 'queued' || r.status === 'running');
  if (active.length) throw new ApiError('conflict', `sweep ${id} has ${active.length} queued or running run(s): cancel it before deleting`);
  c.repos.sweeps.delete(id);
  return { deleted: id };
}

/**
 * More seeds: the seed axis (added when the sweep had none) takes the new values; the runs of
 * combinations not yet in the sweep are validated and queued, the existing runs are untouched.
 */
export async function addSeeds(c: ServiceContext, id: number, seeds: readonly number[]): Promise<SweepDto> {
  const s = mustSweep(c, id);
  const spec = c.repos.sweeps.spec(id);
  if ((spec.mode ?? 'grid') !== 'grid') throw new ApiError('bad_request', `sweep ${id} is a list sweep: seeds are added to grid sweeps (every combination × each new seed)`);
  const existing = c.repos.runs.ofSweep(id);
  const had = (spec.axes[SEED_AXIS] as number[] | undefined) ?? [...new Set(existing.map((r) => r.seed))];
  const fresh = seeds.filter((x, i) => !had.includes(x) && seeds.indexOf(x) === i);
  if (!fresh.length) throw new ApiError('conflict', `sweep ${id} already has seed(s) ${seeds.join(', ')}`);
  const next: SweepSpecInput = { ...spec, axes: { ...spec.axes, [SEED_AXIS]: [...had, ...fresh] } };
  const parsed = parseSweepSpec(next, { maxRuns: c.maxSweepRuns });
  if (!parsed.ok) throw refused(parsed.issues);
  const runs = parsed.sweep.runs.filter((r) => fresh.includes(r.combination[SEED_AXIS] as number));
  const base = existing.length;
  await queueRuns(c, {
    projectId: s.projectId,
    executor: s.executor,
    label: (i) => `runs[${base + i}] (${combinationLabel(runs[i]!.combination)})`,
    before: () => (c.repos.sweeps.setSpec(id, next), id),
    undo: () => c.repos.sweeps.setSpec(id, spec),
    runs: runs.map((run, i) => ({ spec: run.spec, name: runName(run.spec.name, s.name, run.combination), sweep: { index: base + i, combination: run.combination } })),
  });
  return mustSweep(c, id);
}

import { ApiError, type RunDto } from '../../../contract/api';
import type { RunSpec } from '../../../contract/run-spec';
import type { MoleculeSource } from '../../../contract/systems';
import { prepareRun, StoredInputError } from '../scheduler/stored-inputs';
import type { ExecutorName, RunExecutor } from '../executors/executor';
import type { ServiceContext } from '../services/context';
import { newSeed } from '../services/start-run';

export interface RunToQueue {
  readonly spec: RunSpec;
  readonly seed?: number | undefined;
  readonly name: string;
  /** A sweep's run: its index and axis values (the sweep's id comes from `before`). */
  readonly sweep?: { readonly index: number; readonly combination: Record<string, unknown> };
}

/** The executor a run goes to; a Slurm run on a backend without the setting is refused, naming it. */
export function executorOf(c: ServiceContext, name: ExecutorName): RunExecutor {
  if (name === 'local') return c.executors.local;
  if (!c.executors.slurm) throw new ApiError('bad_request', 'the slurm executor is not configured on this backend: start it with --slurm <settings.json> (docs/scale-out.md)');
  return c.executors.slurm;
}

/**
 * Check every run's stored inputs and cost (an ApiError naming `label(i)` and the field), then
 * create them all in one transaction (after `before`, which returns the sweep they belong to), then
 * hand them to the executor. A refusal at any step leaves nothing stored (`undo` reverts `before`).
 */
export async function queueRuns(
  c: ServiceContext,
  o: { projectId: number; executor: ExecutorName; runs: readonly RunToQueue[]; label: (i: number) => string; before?: () => number | null; undo?: () => void },
): Promise<RunDto[]> {
  const executor = executorOf(c, o.executor);
  const molecules: (MoleculeSource | null)[] = [];
  const issues: { path: string; message: string }[] = [];
  const limits = c.limits();
  o.runs.forEach((r, i) => {
    try {
      molecules.push(prepareRun(c.repos.samples, r.spec, limits));
    } catch (e) {
      if (!(e instanceof StoredInputError)) throw e;
      issues.push({ path: `${o.label(i)}.spec.${e.path}`, message: e.message.slice(e.path.length + 2) });
    }
  });
  if (issues.length) throw new ApiError('invalid_input', `nothing was queued: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, issues);
  const created = c.repos.sweeps.transaction(() => {
    const sweepId = o.before?.() ?? null;
    return o.runs.map((r, i) =>
      c.repos.runs.create({
        projectId: o.projectId, name: r.name, spec: r.spec, seed: r.seed ?? r.spec.seed ?? newSeed(), molecule: molecules[i] ?? null, executor: o.executor,
        sweep: r.sweep && sweepId !== null ? { id: sweepId, ...r.sweep } : undefined,
      }),
    );
  });
  try {
    await executor.submit(created.map((r) => r.id));
  } catch (e) {
    c.repos.sweeps.transaction(() => {
      for (const r of created) c.repos.runs.delete(r.id);
      o.undo?.();
    });
    throw e instanceof ApiError ? e : new ApiError('bad_request', `nothing was queued: ${o.executor} refused the runs: ${(e as Error).message}`);
  }
  return created.map((r) => c.repos.runs.get(r.id)!);
}

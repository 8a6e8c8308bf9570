import { ApiError, type RunStatus, type SweepDetailDto } from '../../../contract/api';
import { createBackend, type Backend, type BackendOptions } from '../../backend/backend';
import { loadSlurmSettings } from '../../backend/executors/slurm/settings';
import { UsageError } from '../usage-error';

const FINAL: readonly RunStatus[] = ['completed', 'failed', 'cancelled', 'interrupted'];

export interface SweepBackendOptions {
  readonly dbPath: string;
  readonly slurm?: string | undefined;
  readonly maxRuns?: number | undefined;
  readonly workers?: number | undefined;
  readonly cores?: number | undefined;
}

/** A one-shot backend for a sweep command: its runs, its Slurm settings (when given), its bound on runs. */
export async function sweepBackend(o: SweepBackendOptions): Promise<Backend> {
  const opts: BackendOptions = {
    dbPath: o.dbPath,
    owner: 'bgw sweep',
    startQueued: false,
    ...(o.workers ? { workers: o.workers } : {}),
    ...(o.cores ? { cores: o.cores } : {}),
    ...(o.maxRuns ? { maxSweepRuns: o.maxRuns } : {}),
  };
  let slurm;
  try {
    slurm = o.slurm ? loadSlurmSettings(o.slurm) : undefined;
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  return createBackend({ ...opts, slurm });
}

/** An API error of a sweep call, as the CLI reports it (exit 2: the input's fault). */
export async function sweepCall<T>(f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    if (e instanceof ApiError && e.code !== 'internal') throw new UsageError(e.message);
    throw e;
  }
}

/**
 * Run the sweep's queued runs on this backend until every run has ended: local runs through its
 * worker pool, Slurm runs followed by the executor. A line on stderr per run that ends; Ctrl-C
 * cancels the sweep. Returns the sweep with its aggregates.
 */
export async function followSweep(backend: Backend, sweepId: number, o: { signal?: AbortSignal; quiet?: boolean }): Promise<SweepDetailDto> {
  // Queued local runs no backend has taken (a sweep queued with --detach): this one runs them.
  const waiting = backend.repos.runs.ofSweep(sweepId).filter((r) => r.status === 'queued' && r.executor === 'local' && !backend.executors.local.isActive(r.id));
  await backend.executors.local.submit(waiting.map((r) => r.id));
  const seen = new Map<number, RunStatus>();
  o.signal?.addEventListener('abort', () => void backend.call('sweeps:cancel', { id: sweepId }).catch(() => {}), { once: true });
  for (;;) {
    const runs = backend.repos.runs.ofSweep(sweepId);
    for (const r of runs) {
      if (FINAL.includes(r.status) && seen.get(r.id) !== r.status && !o.quiet) {
        process.stderr.write(`bgw: sweep ${sweepId}: run ${r.id} ${r.status}${r.deltaF ? `, ΔF ${r.deltaF.value?.toFixed(3)} ± ${r.deltaF.stderr?.toFixed(3)}` : ''}${r.error ? ` (${r.error})` : ''}\n`);
      }
      seen.set(r.id, r.status);
    }
    if (runs.every((r) => FINAL.includes(r.status))) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  return backend.call('sweeps:get', { id: sweepId });
}

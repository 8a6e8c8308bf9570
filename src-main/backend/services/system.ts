import { execFile } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { promisify } from 'node:util';
import type { ApiHandlers, SystemInfo } from '../../../contract/api';
import type { ServiceContext } from './context';

const run = promisify(execFile);

/** GPU names from nvidia-smi where the driver is installed; [] elsewhere (never throws). */
export async function nvidiaGpus(): Promise<string[]> {
  try {
    const { stdout } = await run('nvidia-smi', ['--query-gpu=name', '--format=csv,noheader'], { timeout: 5000 });
    return stdout.split('\n').map((s) => s.trim()).filter(Boolean);
  } catch {
    return [];
  }
}

/**
 * What `system:info` reports. The backend is selected the way a job selects it (same precedence:
 * BGW_BACKEND, then 'auto'), in this process, once; it loads tfjs, so it runs on first request.
 */
export async function systemInfo(o: { workers: number; database: string }): Promise<SystemInfo> {
  const [{ selectCompute }, gpus, pkg] = await Promise.all([import('../../../engine/compute/select'), nvidiaGpus(), import('../../../package.json', { with: { type: 'json' } })]);
  const b = await selectCompute();
  const why = b.passedOver.length
    ? `${b.name} is the first available in the order ${b.requested === 'auto' ? 'tensorflow → webgpu → wasm → cpu' : `requested (${b.requested})`}; passed over: ${b.passedOver.map((p) => `${p.name} (${p.reason})`).join('; ')}`
    : `${b.name} ${b.requested === 'auto' ? 'is the first choice of auto' : 'was requested'}`;
  return {
    version: pkg.default.version,
    backend: { name: b.name, detail: b.detail, ...(b.device ? { device: b.device } : {}), why, passedOver: b.passedOver },
    cpuCores: availableParallelism(),
    gpu: b.device ?? gpus[0] ?? null,
    workers: o.workers,
    database: o.database,
  };
}

export function systemHandlers(c: ServiceContext): Pick<ApiHandlers, 'system:info'> {
  return { 'system:info': () => c.info() };
}

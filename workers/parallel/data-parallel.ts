import { Worker } from 'node:worker_threads';
import { xDimOf, type Flow } from '../../engine/flows/types';
import { trainStep, type Stepper } from '../../engine/train/step';
import { allocateShared, type SharedBuffers } from './shared-step';
import { Leader } from './leader';
import type { HelperInit, HelperMessage } from './gradient-worker';

const ENTRY = new URL('./gradient-worker-start.mjs', import.meta.url);

/** A training step and a sampling forward pass spread over `cores` threads, and how to stop the helpers. */
export interface DataParallel {
  readonly cores: number;
  readonly step: Stepper;
  /** The flow's forward pass over `m` prior rows, shared out by rows (`sampleFlow`'s `forward`); null on one thread. */
  readonly forward: ((z: Float32Array, m: number) => { x: Float32Array; logDet: Float32Array }) | null;
  close(): Promise<void>;
}

export interface DataParallelOptions {
  readonly cores: number;
  readonly flow: Flow;
  /** The flow as `serializeFlow` bytes (helpers rebuild it; weights then come from shared memory). */
  readonly flowBytes: Uint8Array;
  readonly backend: HelperInit['backend'];
  readonly system: HelperInit['system'];
  /** The largest batch of the schedule: slots are sized for its shards. */
  readonly maxBatch: number;
  /** The largest sampling chunk `forward` will get (default: none; then `forward` handles up to `maxBatch` rows). */
  readonly maxSampleRows?: number;
  /** A helper that has not finished its shard after this long has died (default 120 s). */
  readonly stallMs?: number;
  /** Threads to use now (≤ cores), read every step: the scheduler lowers it to make room for another run. */
  readonly budget?: { readonly current: number };
}

/**
 * Data-parallel training on `cores` threads (the calling thread leads, `cores − 1` helpers).
 * Every random number is drawn here, so a step's batches are exactly one thread's; each thread
 * takes the gradient of its contiguous shard, the leader combines the shard means in shard order,
 * clips and applies Adam, and publishes the new weights for the helpers' next step. The result is
 * deterministic for a seed and core count, and follows the one-thread trajectory up to float32
 * summation order. Stages with an RC loss (a histogram over the whole batch, not a mean over rows)
 * run on the leader alone.
 */
export async function startDataParallel(o: DataParallelOptions): Promise<DataParallel> {
  const helpers = Math.max(0, Math.floor(o.cores) - 1);
  if (helpers === 0) return { cores: 1, step: trainStep, forward: null, close: async () => {} };
  const vars = o.flow.variables().filter((v) => v.trainable);
  const capacity = Math.ceil(Math.max(o.maxBatch, o.maxSampleRows ?? 0) / (helpers + 1)) + 1;
  const buffers = allocateShared({ helpers, sizes: vars.map((v) => v.size), capacity, xDim: xDimOf(o.flow), zDim: o.flow.dim });
  const workers = await spawnHelpers(buffers, o);
  const leader = new Leader(buffers, o.stallMs ?? 120_000, o.budget ?? { current: helpers + 1 }, o.flow, vars);
  return {
    cores: helpers + 1,
    step: (i) => leader.step(i),
    forward: (z, m) => leader.forward(z, m),
    close: async () => {
      leader.stop();
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}

/** Start the helpers and wait until each has built its flow; any failure stops them all. */
async function spawnHelpers(buffers: SharedBuffers, o: DataParallelOptions): Promise<Worker[]> {
  const workers: Worker[] = [];
  try {
    await Promise.all(
      buffers.slots.map((_, slot) => {
        const init: HelperInit = { buffers, slot, backend: o.backend, flow: o.flowBytes, system: o.system };
        const w = new Worker(ENTRY, { workerData: init });
        workers.push(w);
        return new Promise<void>((resolve, reject) => {
          w.once('message', (m: HelperMessage) => (m.type === 'ready' ? resolve() : reject(new Error(`gradient helper ${slot + 1} did not start: ${m.message}`))));
          w.once('error', reject);
          w.once('exit', (code) => reject(new Error(`gradient helper ${slot + 1} exited (code ${code}) before it was ready`)));
        });
      }),
    );
  } catch (e) {
    await Promise.all(workers.map((w) => w.terminate()));
    throw e;
  }
  return workers;
}

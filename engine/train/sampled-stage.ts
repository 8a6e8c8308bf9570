import * as tf from '@tensorflow/tfjs-core';
import type { SamplerProgress } from '../../contract/progress';
import { xDimOf, type Flow } from '../flows/types';
import type { Stage } from './schedule';
import type { StepResult } from './step';

// What FAB and temperature annealing share: each stage step draws its own batch (from a replay
// buffer it refills), hands the trainer a plain ML or KL step to run, and keeps state a checkpoint
// must hold for an exact resume.

/** What a sampled stage asks the trainer to run: a loss stage, its ML rows, or its KL prior rows. */
export interface StepRequest {
  readonly stage: Stage;
  readonly xData: Float32Array | null;
  readonly klBatch?: { readonly z: Float32Array; readonly tau: Float32Array };
}

export type RunStep = (r: StepRequest) => StepResult;

export interface SampledStage {
  /** Stage step `k` (0-based), `step` the schedule's 1-based step it is. */
  step(k: number, step: number, run: RunStep): StepResult;
  /** Everything a resume needs beyond the flow, optimiser and random streams. */
  encode(): Uint8Array;
}

export type OnSampler = (p: SamplerProgress) => void;

/** The loss stage of an ML step on the stage's batch (base N(0, I): the batch's τ is 1). */
export function mlStage(s: Stage): Stage {
  return { ...s, fab: undefined, anneal: undefined, wML: 1, wKL: 0, wRC: 0 };
}

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/** log q_x(x) = log N(F_xz(x); 0, I) + log|det J_xz(x)| for each row, in chunks, float64 out. */
export function flowLogDensity(flow: Flow, x: Float32Array, chunk = 4096): Float64Array {
  const xDim = xDimOf(flow);
  const n = x.length / xDim;
  const out = new Float64Array(n);
  for (let a = 0; a < n; a += chunk) {
    const m = Math.min(chunk, n - a);
    tf.tidy(() => {
      const r = flow.inverse(tf.tensor2d(x.subarray(a * xDim, (a + m) * xDim), [m, xDim]));
      const zz = tf.sum(tf.square(r.z), 1).dataSync();
      const ld = r.logDet.dataSync();
      for (let i = 0; i < m; i++) out[a + i] = -0.5 * zz[i]! - flow.dim * HALF_LOG_2PI + ld[i]!;
    });
  }
  return out;
}

/** A runner's state as bytes: a little-endian length, its JSON metadata, then its buffer bytes. */
export function packState(meta: object, buffer: Uint8Array): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(meta));
  const out = new Uint8Array(4 + json.length + buffer.length);
  new DataView(out.buffer).setUint32(0, json.length, true);
  out.set(json, 4);
  out.set(buffer, 4 + json.length);
  return out;
}

export function unpackState<M>(bytes: Uint8Array): { meta: M; buffer: Uint8Array } {
  const len = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0, true);
  if (4 + len > bytes.length) throw new Error('checkpoint: the sampler state is corrupt');
  const meta = JSON.parse(new TextDecoder().decode(bytes.subarray(4, 4 + len))) as M;
  return { meta, buffer: bytes.subarray(4 + len) };
}

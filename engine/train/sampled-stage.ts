import type { SamplerProgress } from '../../contract/progress';
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

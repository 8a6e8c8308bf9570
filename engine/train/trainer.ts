import type * as tf from '@tensorflow/tfjs-core';
import type { ModelSystem } from '../energies/types';
import { xDimOf, type Flow } from '../flows/types';
import type { Rng } from '../rng';
import { Adam, type AdamState } from './adam';
import { abortError, yieldToEventLoop, YIELD_MS } from '../cancel';
import { stageSteps, type Stage } from './schedule';
import { trainStep, type Stepper } from './step';
import { AnnealStage } from './anneal';
import { FabStage } from './fab';
import type { OnSampler, SampledStage } from './sampled-stage';
import type { TrainProgress } from '../../contract/progress';
import type { SamplerProgress, StepLoss } from '../../contract/progress';

export { priorBatch } from './step';

export interface TrainOptions {
  readonly flow: Flow;
  readonly system: ModelSystem;
  readonly stages: readonly Stage[];
  /** Training data (row-major n×dim) for the ML term, sampled at temperature `dataTau`. */
  readonly data: Float64Array | null;
  readonly dataTau: number;
  readonly rng: Rng;
  /** Global gradient-norm clip. */
  readonly clipNorm: number;
  readonly onProgress?: (p: TrainProgress) => void;
  readonly onStageEnd?: (stage: number) => void;
  readonly signal?: AbortSignal;
  /** Where to continue from (a checkpoint): stage, step within it, and its optimiser if mid-stage. */
  readonly start?: TrainPosition;
  /** Called at every stage end and, mid-stage, when `checkpointEverySeconds` have passed. */
  readonly onCheckpoint?: (p: TrainPosition & { readonly step: number }) => void;
  readonly checkpointEverySeconds?: number;
  /** The step to run (default `trainStep`; a data-parallel run passes one spread over threads). */
  readonly step?: Stepper;
  /** FAB rounds and annealing rungs, as they happen. */
  readonly onSampler?: OnSampler;
}

/** A resumable position in the schedule; `adam` is null at a stage boundary (stages start fresh). */
export interface TrainPosition {
  readonly stage: number;
  readonly stageStep: number;
  readonly skippedSteps: number;
  readonly adam: AdamState | null;
  /** A FAB or annealing stage's own state (its replay buffer), mid-stage; else absent. */
  readonly sampler?: Uint8Array | null;
  /** Where the mini-batches stand: this epoch's row order and the next row (resume is then exact). */
  readonly batches?: BatchState | null;
}

export interface BatchState {
  readonly order: Uint32Array;
  readonly pos: number;
}

export interface TrainSummary {
  readonly steps: number;
  readonly skippedSteps: number;
  readonly seconds: number;
  readonly msPerStep: number;
  readonly finalLoss: TrainProgress['loss'] | null;
  /** Early stopping (`training.heldOut`): the step whose weights scored best on held-out data, and whether they were put back. */
  readonly heldOut?: { readonly bestStep: number; readonly bestNll: number; readonly restored: boolean };
  /** Threads the steps ran on (set by the run; the trainer itself is one thread's loop). */
  readonly cores?: number;
  /** FAB or annealing: the last report of its sampler (set by the run). */
  readonly sampler?: SamplerProgress;
}

/**
 * Staged training: each step takes w_ML·J_ML + w_KL·J_KL + w_RC·J_RC on fresh batches, clips the
 * global gradient norm, skips (and counts) steps whose loss or gradient is not finite, and checks
 * the AbortSignal between steps. A fresh Adam per stage, as the published Keras code recompiles.
 */
export async function train(o: TrainOptions): Promise<TrainSummary> {
  const dim = xDimOf(o.flow);
  const nData = o.data ? o.data.length / dim : 0;
  const vars = o.flow.variables().filter((v) => v.trainable);
  const stepsPerStage = o.stages.map((s) => stageSteps(s, nData));
  const totalSteps = stepsPerStage.reduce((a, b) => a + b, 0);
  const batches = new BatchSource(o.data, dim, o.rng);
  const start = o.start ?? { stage: 0, stageStep: 0, skippedSteps: 0, adam: null };
  if (start.batches) batches.restore(start.batches);
  // The step counter carries on from the checkpoint: steps of earlier stages plus those done in this one.
  let step = stepsPerStage.slice(0, start.stage).reduce((a, b) => a + b, 0) + start.stageStep;
  let skipped = start.skippedSteps;
  let finalLoss: TrainProgress['loss'] | null = null;
  const t0 = performance.now();
  let lastYield = performance.now();
  let lastCheckpoint = performance.now();
  const everyMs = 1000 * (o.checkpointEverySeconds ?? Infinity);
  const stepper = o.step ?? trainStep;
  for (const [si, stage] of o.stages.entries()) {
    if (si < start.stage) continue;
    const adam = new Adam(vars, stage.lr);
    const k0 = si === start.stage ? start.stageStep : 0;
    if (si === start.stage && start.adam) adam.restore(start.adam);
    const sampled = sampledStage(o, stage, si === start.stage && k0 > 0 ? start.sampler : null);
    // Where the schedule stands before stage step k (what a checkpoint saves).
    const position = (k: number): TrainPosition & { readonly step: number } => ({ stage: si, stageStep: k, step, skippedSteps: skipped, adam: adam.state(), sampler: sampled?.encode() ?? null, batches: batches.state() });
    const base = { flow: o.flow, system: o.system, adam, vars, rng: o.rng, clipNorm: o.clipNorm };
    try {
      for (let k = k0; k < stepsPerStage[si]!; k++) {
        if (o.onCheckpoint && performance.now() - lastCheckpoint > everyMs && k > k0) {
          o.onCheckpoint(position(k));
          lastCheckpoint = performance.now();
        }
        // Yield to the event loop now and then, so a cancel (SIGINT, a worker message) can land.
        if (performance.now() - lastYield > YIELD_MS) {
          await yieldToEventLoop();
          lastYield = performance.now();
        }
        if (o.signal?.aborted) {
          // Cancel (or shutdown) checkpoints first: resume then continues from this very step.
          o.onCheckpoint?.(position(k));
          throw abortError();
        }
        step += 1;
        // A sampled stage's ML rows come from its own sampler, whose density has base N(0, I): τ = 1.
        const r = sampled
          ? sampled.step(k, step, (q) => stepper({ ...base, stage: q.stage, xData: q.xData, dataTau: 1, klBatch: q.klBatch }))
          : stepper({ ...base, stage, xData: stage.wML > 0 ? batches.next(stage.batch) : null, dataTau: o.dataTau });
        if (r.skipped) skipped += 1;
        else finalLoss = r.loss;
        o.onProgress?.({
          stage: si,
          stageName: stage.name ?? `stage ${si + 1}`,
          step,
          totalSteps,
          loss: r.loss,
          gradNorm: r.gradNorm,
          skippedSteps: skipped,
        });
      }
    } finally {
      adam.dispose();
    }
    o.onStageEnd?.(si);
    o.onCheckpoint?.({ stage: si + 1, stageStep: 0, step, skippedSteps: skipped, adam: null, batches: batches.state() });
    lastCheckpoint = performance.now();
  }
  const seconds = (performance.now() - t0) / 1000;
  const done = step - (stepsPerStage.slice(0, start.stage).reduce((a, b) => a + b, 0) + start.stageStep);
  return { steps: step, skippedSteps: skipped, seconds, msPerStep: done ? (1000 * seconds) / done : 0, finalLoss };
}

/** The runner of a FAB or annealing stage (restored from a checkpoint's state mid-stage), or null for a loss stage. */
function sampledStage(o: TrainOptions, stage: Stage, restored: Uint8Array | null | undefined): SampledStage | null {
  if (stage.fab) return new FabStage(o.flow, o.system, { ...stage, fab: stage.fab }, o.rng, o.onSampler, restored);
  if (stage.anneal) return new AnnealStage(o.flow, o.system, { ...stage, anneal: stage.anneal }, o.rng, o.onSampler, restored);
  return null;
}

/** Mini-batches drawn without replacement from a reshuffled pass over the data (epochs). */
class BatchSource {
  private order: Uint32Array;
  private pos: number;

  constructor(
    private readonly data: Float64Array | null,
    private readonly dim: number,
    private readonly rng: Rng,
  ) {
    const n = data ? data.length / dim : 0;
    this.order = Uint32Array.from({ length: n }, (_, i) => i);
    this.pos = n;
  }

  next(batch: number): Float32Array {
    if (!this.data || this.order.length === 0) throw new Error('this stage has w_ML > 0 but the run has no training data');
    const out = new Float32Array(batch * this.dim);
    for (let b = 0; b < batch; b++) {
      if (this.pos >= this.order.length) this.shuffle();
      const row = this.order[this.pos++]!;
      for (let j = 0; j < this.dim; j++) out[b * this.dim + j] = this.data[row * this.dim + j]!;
    }
    return out;
  }

  state(): BatchState | null {
    return this.data ? { order: this.order.slice(), pos: this.pos } : null;
  }

  restore(s: BatchState): void {
    if (s.order.length !== this.order.length || !(s.pos >= 0 && s.pos <= s.order.length)) throw new Error(`checkpoint: a batch order of ${s.order.length} rows (at ${s.pos}) for ${this.order.length} training rows`);
    this.order = Uint32Array.from(s.order);
    this.pos = s.pos;
  }

  private shuffle(): void {
    for (let i = this.order.length - 1; i > 0; i--) {
      const j = this.rng.int(i + 1);
      const t = this.order[i]!;
      this.order[i] = this.order[j]!;
      this.order[j] = t;
    }
    this.pos = 0;
  }
}

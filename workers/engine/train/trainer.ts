import * as tf from '@tensorflow/tfjs-core';
import type { ModelSystem } from '../energies/types';
import type { Flow } from '../flows/types';
import { klLoss, mlLoss, rcLoss } from '../losses';
import type { Rng } from '../rng';
import { Adam } from './adam';
import { abortError, yieldToEventLoop, YIELD_MS } from '../cancel';
import { stageSteps, type Stage } from './schedule';

export interface TrainProgress {
  readonly stage: number;
  readonly stageName: string;
  /** Step within the whole schedule (1-based) and the schedule's total. */
  readonly step: number;
  readonly totalSteps: number;
  readonly loss: { total: number; ml: number; kl: number; rc: number };
  readonly gradNorm: number;
  readonly skippedSteps: number;
}

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
}

export interface TrainSummary {
  readonly steps: number;
  readonly skippedSteps: number;
  readonly seconds: number;
  readonly msPerStep: number;
  readonly finalLoss: TrainProgress['loss'] | null;
}


/**
 * Staged training: each step takes w_ML·J_ML + w_KL·J_KL + w_RC·J_RC on fresh batches, clips the
 * global gradient norm, skips (and counts) steps whose loss or gradient is not finite, and checks
 * the AbortSignal between steps. A fresh Adam per stage, as the published Keras code recompiles.
 */
export async function train(o: TrainOptions): Promise<TrainSummary> {
  const dim = o.flow.dim;
  const nData = o.data ? o.data.length / dim : 0;
  const vars = o.flow.variables().filter((v) => v.trainable);
  const stepsPerStage = o.stages.map((s) => stageSteps(s, nData));
  const totalSteps = stepsPerStage.reduce((a, b) => a + b, 0);
  const batches = new BatchSource(o.data, dim, o.rng);
  let step = 0;
  let skipped = 0;
  let finalLoss: TrainProgress['loss'] | null = null;
  const t0 = performance.now();
  let lastYield = performance.now();
  for (const [si, stage] of o.stages.entries()) {
    const adam = new Adam(vars, stage.lr);
    try {
      for (let k = 0; k < stepsPerStage[si]!; k++) {
        // Yield to the event loop now and then, so a cancel (SIGINT, a worker message) can land.
        if (performance.now() - lastYield > YIELD_MS) {
          await yieldToEventLoop();
          lastYield = performance.now();
        }
        if (o.signal?.aborted) throw abortError();
        step += 1;
        const r = trainStep(o, stage, adam, vars, batches);
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
  }
  const seconds = (performance.now() - t0) / 1000;
  return { steps: step, skippedSteps: skipped, seconds, msPerStep: step ? (1000 * seconds) / step : 0, finalLoss };
}

function trainStep(
  o: TrainOptions,
  stage: Stage,
  adam: Adam,
  vars: tf.Variable[],
  batches: BatchSource,
): { loss: TrainProgress['loss']; gradNorm: number; skipped: boolean } {
  const dim = o.flow.dim;
  const useML = stage.wML > 0;
  const useKL = stage.wKL > 0 || stage.wRC > 0;
  const xData = useML ? batches.next(stage.batch) : null;
  const kl = useKL ? priorBatch(stage.batch, dim, stage.temperatures, o.rng) : null;
  return tf.tidy(() => {
    const terms: tf.Scalar[] = [];
    const { value, grads } = tf.variableGrads(() => {
      const zero = tf.scalar(0);
      const ml = xData ? mlLoss(o.flow, tf.tensor2d(xData, [stage.batch, dim]), o.dataTau) : zero;
      let klTerm: tf.Scalar = zero;
      let rcTerm: tf.Scalar = zero;
      if (kl) {
        const batch = { z: tf.tensor2d(kl.z, [stage.batch, dim]), tau: tf.tensor1d(kl.tau) };
        const r = klLoss(o.flow, o.system, batch, { high: stage.highEnergy, max: stage.maxEnergy });
        klTerm = r.loss;
        if (stage.wRC > 0) rcTerm = rcLoss(o.system.rc(r.x), o.system.rcRange, stage.rcLoss);
      }
      terms.push(tf.keep(ml), tf.keep(klTerm), tf.keep(rcTerm));
      // Only the active terms enter the objective: fewer ops on the per-step hot path.
      const weighted = ([[ml, stage.wML], [klTerm, stage.wKL], [rcTerm, stage.wRC]] as const)
        .filter(([, w]) => w > 0)
        .map(([t, w]) => (w === 1 ? t : tf.mul(t, w)));
      return (weighted.length === 1 ? weighted[0]! : tf.addN(weighted)) as tf.Scalar;
    }, vars);
    const collected = adam.collect(grads);
    const normSq = collected.normSq;
    const read = tf.stack([value, ...terms, normSq]).dataSync();
    terms.forEach((t) => t.dispose());
    const loss = { total: read[0]!, ml: read[1]!, kl: read[2]!, rc: read[3]! };
    const gradNorm = Math.sqrt(read[4]!);
    if (!Number.isFinite(loss.total) || !Number.isFinite(gradNorm)) return { loss, gradNorm, skipped: true };
    adam.apply(collected.grads, gradNorm > o.clipNorm ? o.clipNorm / gradNorm : 1);
    return { loss, gradNorm, skipped: false };
  });
}

/** Prior batch for KL: member i gets τ_i from `temperatures` in equal shares and z_i ~ N(0, τ_i·I). */
export function priorBatch(
  n: number,
  dim: number,
  temperatures: readonly number[],
  rng: Rng,
): { z: Float32Array; tau: Float32Array } {
  const z = rng.normals(new Float32Array(n * dim));
  const tau = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const t = temperatures[i % temperatures.length]!;
    tau[i] = t;
    const s = Math.sqrt(t);
    for (let j = 0; j < dim; j++) z[i * dim + j]! *= s;
  }
  return { z, tau };
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

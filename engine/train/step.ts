import * as tf from '@tensorflow/tfjs-core';
import type { ModelSystem } from '../energies/types';
import { xDimOf, type Flow } from '../flows/types';
import { klLoss, mlLoss, rcLoss } from '../losses';
import type { Rng } from '../rng';
import type { Adam } from './adam';
import type { Stage } from './schedule';
import type { StepLoss } from '../../contract/progress';

export interface StepInputs {
  readonly flow: Flow;
  readonly system: ModelSystem;
  /** Weights, energy cuts, KL batch size and temperatures of the step. */
  readonly stage: Stage;
  readonly adam: Adam;
  readonly vars: tf.Variable[];
  /** ML batch (row-major, any number of rows), or null when w_ML = 0. */
  readonly xData: Float32Array | null;
  readonly dataTau: number;
  readonly rng: Rng;
  readonly clipNorm: number;
  /** The KL prior rows to use instead of drawing `stage.batch` of them (temperature annealing's, or a data-parallel shard). */
  readonly klBatch?: { readonly z: Float32Array; readonly tau: Float32Array } | undefined;
}

/** What one step differentiates: the flow and its variables, the batches and the loss weights. */
export type GradientInputs = Omit<StepInputs, 'adam' | 'clipNorm'>;

/** What a training step reports; `trainStep` and the data-parallel step both return it. */
export interface StepResult {
  readonly loss: StepLoss;
  readonly gradNorm: number;
  readonly skipped: boolean;
}

/** One optimisation step (the trainer's, or a data-parallel one over several threads). */
export type Stepper = (i: StepInputs) => StepResult;

/**
 * The step's objective w_ML·J_ML + w_KL·J_KL + w_RC·J_RC and its gradients in `vars` order, with
 * each unweighted term and the global squared gradient norm. Call inside `tf.tidy`. Training
 * applies them (`trainStep`); the GPU check compares them between backends.
 */
export function stepGradients(i: GradientInputs): { value: tf.Scalar; terms: tf.Scalar[]; grads: tf.Tensor[]; normSq: tf.Scalar } {
  const { flow, system, stage, xData } = i;
  const dim = flow.dim;
  const useKL = stage.wKL > 0 || stage.wRC > 0;
  const kl = useKL ? (i.klBatch ?? priorBatch(stage.batch, dim, stage.temperatures, i.rng)) : null;
  const terms: tf.Scalar[] = [];
  const { value, grads } = tf.variableGrads(() => {
    const zero = tf.scalar(0);
    const xd = xDimOf(flow);
    const ml = xData && stage.wML > 0 ? mlLoss(flow, tf.tensor2d(xData, [xData.length / xd, xd]), i.dataTau) : zero;
    let klTerm: tf.Scalar = zero;
    let rcTerm: tf.Scalar = zero;
    if (kl) {
      const batch = { z: tf.tensor2d(kl.z, [kl.tau.length, dim]), tau: tf.tensor1d(kl.tau) };
      const r = klLoss(flow, system, batch, { high: stage.highEnergy, max: stage.maxEnergy });
      klTerm = r.loss;
      if (stage.wRC > 0) rcTerm = rcLoss(system.rc(r.x), system.rcRange, stage.rcLoss);
    }
    terms.push(tf.keep(ml), tf.keep(klTerm), tf.keep(rcTerm));
    // Only the active terms enter the objective: fewer ops on the per-step hot path.
    const weighted = ([[ml, stage.wML], [klTerm, stage.wKL], [rcTerm, stage.wRC]] as const)
      .filter(([, w]) => w > 0)
      .map(([t, w]) => (w === 1 ? t : tf.mul(t, w)));
    return (weighted.length === 1 ? weighted[0]! : tf.addN(weighted)) as tf.Scalar;
  }, i.vars);
  const list = i.vars.map((v) => grads[v.name]!);
  return { value, terms, grads: list, normSq: tf.addN(list.map((g) => tf.sum(tf.square(g)))) as tf.Scalar };
}

/**
 * One gradient step on w_ML·J_ML + w_KL·J_KL + w_RC·J_RC. Clips the global gradient norm and skips
 * (reports, does not apply) a step whose loss or gradient is not finite. Shared by staged training
 * and the exploration loop, which feeds its buffer as the ML batch.
 */
export function trainStep(i: StepInputs): StepResult {
  return tf.tidy(() => {
    const { value, terms, grads, normSq } = stepGradients(i);
    const read = tf.stack([value, ...terms, normSq]).dataSync();
    terms.forEach((t) => t.dispose());
    const loss = { total: read[0]!, ml: read[1]!, kl: read[2]!, rc: read[3]! };
    const gradNorm = Math.sqrt(read[4]!);
    if (!Number.isFinite(loss.total) || !Number.isFinite(gradNorm)) return { loss, gradNorm, skipped: true };
    i.adam.apply(grads, gradNorm > i.clipNorm ? i.clipNorm / gradNorm : 1);
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


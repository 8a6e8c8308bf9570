import * as tf from '@tensorflow/tfjs-core';
import type { RcLossKind } from '../contract/run-spec';
import type { ModelSystem } from './energies/types';
import { customOp } from './flows/custom-op';
import type { Flow } from './flows/types';

/**
 * linlogcut(u; high, max): u below `high`, high + log(u − high + 1) above it, capped at `max`;
 * non-finite values become `max` (with zero gradient). One custom op: its derivative is known in
 * closed form, and masks computed under the tape would have no gradient on wasm.
 */
export const linlogcut = (u: tf.Tensor1D, high: number, max: number): tf.Tensor1D => linlogcutOp(u, tf.scalar(high), tf.scalar(max));

const linlogcutOp = customOp((save, u: tf.Tensor1D, high: tf.Scalar, max: tf.Scalar) => {
  const finite = tf.isFinite(u);
  const safe = tf.where(finite, u, tf.broadcastTo(max, u.shape));
  const excess = tf.relu(tf.sub(safe, high));
  const soft = tf.add(tf.minimum(safe, high), tf.log1p(excess)); // not safe − excess: that cancels to 0 for u ≫ high in float32
  const value = tf.where(finite, tf.minimum(soft, max), tf.broadcastTo(max, u.shape)) as tf.Tensor1D;
  // d/du: 1 below high, 1/(u − high + 1) above; 0 where capped or non-finite.
  const slope = tf.div(1, tf.add(excess, 1));
  const live = tf.logicalAnd(finite, tf.less(soft, max));
  // Intermediates not saved are disposed when the forward pass returns.
  save([tf.where(live, slope, tf.zerosLike(slope))]);
  return {
    value,
    gradFunc: (dy: tf.Tensor1D, saved: tf.Tensor[]) => [tf.mul(dy, saved[0]!), tf.zerosLike(high), tf.zerosLike(max)],
  };
});

/** J_ML = E_x[ |F_xz(x)|²/(2τ) − log|det J_xz(x)| ]: training by example. */
export function mlLoss(flow: Flow, x: tf.Tensor2D, tau: number): tf.Scalar {
  const { z, logDet } = flow.inverse(x);
  return tf.mean(tf.sub(tf.div(tf.sum(tf.square(z), 1), 2 * tau), logDet));
}

export interface KlBatch {
  /** Prior samples z ~ N(0, τ_i·I), one row per batch member. */
  readonly z: tf.Tensor2D;
  /** The temperature τ_i of each row. */
  readonly tau: tf.Tensor1D;
}

/** J_KL = E_z[ u_reg(F_zx(z))/τ − log|det J_zx(z)| ]: training by energy. Also returns x for the RC loss. */
export function klLoss(
  flow: Flow,
  system: ModelSystem,
  batch: KlBatch,
  cut: { high: number; max: number },
): { loss: tf.Scalar; x: tf.Tensor2D } {
  const { x, logDet } = flow.forward(batch.z);
  const u = linlogcut(system.energy(x), cut.high, cut.max);
  return { loss: tf.mean(tf.sub(tf.div(u, batch.tau), logDet)), x };
}

export type { RcLossKind };

/**
 * Reaction-coordinate loss on K = 11 Gaussian kernels spread over [min, max] (σ = range/11).
 * Each sample's kernel values (+1e-6) are normalised to sum to 1, h is their batch mean, and the
 * published log-barrier is J = −Σ log h_k (`entropy` gives Σ h log h instead).
 */
export function rcLoss(rc: tf.Tensor1D, range: readonly [number, number], kind: RcLossKind = 'barrier'): tf.Scalar {
  const K = 11;
  const [lo, hi] = range;
  const sigma = (hi - lo) / K;
  const centers = tf.reshape(tf.linspace(lo, hi, K), [1, K]);
  const d = tf.sub(tf.reshape(rc, [-1, 1]), centers);
  const k = tf.add(tf.exp(tf.mul(tf.square(d), -1 / (2 * sigma * sigma))), 1e-6);
  const h = tf.mean(tf.div(k, tf.sum(k, 1, true)), 0);
  return (kind === 'barrier' ? tf.neg(tf.sum(tf.log(h))) : tf.sum(tf.mul(h, tf.log(h)))) as tf.Scalar;
}

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/**
 * FAB's α = 2 surrogate −Σ_i w̄_i·log q(x_i), with w̄ the normalised AIS weights (held fixed) of
 * samples targeting p²/q: its gradient is ∇_θ log ∫ p²/q_θ estimated from those samples. FAB
 * training takes the same gradient by drawing rows ∝ w from its buffer and averaging −log q.
 */
export function alphaTwoLoss(flow: Flow, x: tf.Tensor2D, logW: Float64Array): tf.Scalar {
  let max = -Infinity;
  for (const v of logW) max = Math.max(max, v);
  const w = Float32Array.from(logW, (v) => Math.exp(v - max));
  const total = w.reduce((a, b) => a + b, 0);
  const { z, logDet } = flow.inverse(x);
  const logQ = tf.sub(tf.sub(logDet, tf.mul(tf.sum(tf.square(z), 1), 0.5)), flow.dim * HALF_LOG_2PI);
  return tf.neg(tf.sum(tf.mul(tf.tensor1d(w.map((v) => v / total)), logQ))) as tf.Scalar;
}

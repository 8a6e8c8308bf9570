import type * as tf from '@tensorflow/tfjs-core';
import { tidy as tfTidy, variable as tfVariable } from '@tensorflow/tfjs-core';

/**
 * An invertible layer (after bgflow's `Flow`). One sign convention everywhere:
 * - `forward(z)` is F_zx and returns `logDet = log|det J_zx(z)|`;
 * - `inverse(x)` is F_xz and returns `logDet = log|det J_xz(x)| = −log|det J_zx(F_xz(x))|`.
 */
export interface Flow {
  /** Latent (z-side) dimension. */
  readonly dim: number;
  /**
   * Configuration (x-side) dimension where it differs from `dim`: the mixed coordinate transform maps
   * 3N − 6 latent dimensions onto 3N Cartesian coordinates (rigid-body motion removed).
   */
  readonly xDim?: number;
  forward(z: tf.Tensor2D): { x: tf.Tensor2D; logDet: tf.Tensor1D };
  inverse(x: tf.Tensor2D): { z: tf.Tensor2D; logDet: tf.Tensor1D };
  /** Every tensor that defines the layer, trainable or fixed, in a stable order (serialisation). */
  variables(): tf.Variable[];
  /** Free every tensor the layer holds (variables and constants); the layer is unusable after. */
  dispose(): void;
}

/** The x-side dimension of a flow (its `xDim`, else its `dim`). */
export function xDimOf(flow: Flow): number {
  return flow.xDim ?? flow.dim;
}

/** A variable whose initial value tensor is freed at once (tf.variable keeps a handle on it). */
export function newVariable<R extends tf.Rank>(make: () => tf.Tensor<R>, trainable: boolean): tf.Variable<R> {
  return tfTidy(() => tfVariable(make(), trainable));
}

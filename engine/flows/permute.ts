import * as tf from '@tensorflow/tfjs-core';
import { customOp } from './custom-op';
import type { Flow } from './types';

/** Column permutation as a matMul with a constant 0/1 matrix: exact, one op, and differentiable on
 * every backend (`gather` has no gradient on wasm). The gradient uses the pre-transposed matrix so
 * it stays a plain matMul. */
export function permutationMatrices(perm: readonly number[]): { P: tf.Tensor2D; PT: tf.Tensor2D } {
  const n = perm.length;
  const p = new Float32Array(n * n);
  // x·P puts column perm[j] of x into column j.
  perm.forEach((src, j) => (p[src * n + j] = 1));
  const P = tf.keep(tf.tensor2d(p, [n, n]));
  const PT = tf.keep(tf.transpose(P));
  return { P, PT };
}

const constMatMulOp = customOp((_save, x: tf.Tensor2D, M: tf.Tensor2D, MT: tf.Tensor2D) => ({
  value: tf.matMul(x, M) as tf.Tensor2D,
  gradFunc: (dy) => [tf.matMul(dy, MT), tf.zerosLike(M), tf.zerosLike(MT)],
}));

/** x·M for a constant (untrained) M, differentiable in x through a plain matMul with the
 * pre-transposed MT (the built-in gradient would use the slow transposed matMul). */
export function constMatMul(x: tf.Tensor2D, M: tf.Tensor2D, MT: tf.Tensor2D): tf.Tensor2D {
  return constMatMulOp(x, M, MT);
}

/** x·P for a permutation matrix P (see `constMatMul`). */
export const permuteColumns = constMatMul;

/** A fixed permutation layer: x = z[:, perm]. Volume preserving (logDet 0). `swap` reverses the
 * order, which exchanges the roles of the two coupling halves between stacks. */
export class Permute implements Flow {
  readonly dim: number;
  private readonly fwd: { P: tf.Tensor2D; PT: tf.Tensor2D };

  constructor(readonly perm: readonly number[]) {
    this.dim = perm.length;
    this.fwd = permutationMatrices(perm);
  }

  static swap(dim: number): Permute {
    return new Permute(Array.from({ length: dim }, (_, i) => dim - 1 - i));
  }

  forward(z: tf.Tensor2D): { x: tf.Tensor2D; logDet: tf.Tensor1D } {
    return { x: permuteColumns(z, this.fwd.P, this.fwd.PT), logDet: tf.zeros([z.shape[0]]) };
  }

  inverse(x: tf.Tensor2D): { z: tf.Tensor2D; logDet: tf.Tensor1D } {
    return { z: permuteColumns(x, this.fwd.PT, this.fwd.P), logDet: tf.zeros([x.shape[0]]) };
  }

  variables(): tf.Variable[] {
    return [];
  }

  dispose(): void {
    tf.dispose([this.fwd.P, this.fwd.PT]);
  }
}

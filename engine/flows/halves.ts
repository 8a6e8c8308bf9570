import * as tf from '@tensorflow/tfjs-core';
import { permutationMatrices, permuteColumns } from './permute';
import type { Flow } from './types';

/**
 * What coupling stacks share: the even/odd split of the coordinates, done once on entry and undone
 * once on exit (not per coupling), and forward/inverse as one `run` in either direction. Subclasses
 * (affine/additive couplings, spline couplings) implement `run` and the variables.
 */
export abstract class HalvesFlow implements Flow {
  readonly dim: number;
  protected readonly nEven: number;
  protected readonly even: readonly number[];
  protected readonly odd: readonly number[];
  /** Null when the even/odd split is already the identity order (dim 2): skips two matMuls. */
  protected readonly split: { P: tf.Tensor2D; PT: tf.Tensor2D } | null;

  constructor(dim: number) {
    if (dim < 2) throw new Error('coupling layers need dim ≥ 2');
    this.dim = dim;
    this.nEven = Math.ceil(dim / 2);
    this.even = Array.from({ length: this.nEven }, (_, i) => 2 * i);
    this.odd = Array.from({ length: dim - this.nEven }, (_, i) => 2 * i + 1);
    const order = [...this.even, ...this.odd];
    this.split = order.every((v, i) => v === i) ? null : permutationMatrices(order);
  }

  forward(z: tf.Tensor2D): { x: tf.Tensor2D; logDet: tf.Tensor1D } {
    const { y, logDet } = this.run(z, false);
    return { x: y, logDet };
  }

  inverse(x: tf.Tensor2D): { z: tf.Tensor2D; logDet: tf.Tensor1D } {
    const { y, logDet } = this.run(x, true);
    return { z: y, logDet };
  }

  abstract variables(): tf.Variable[];

  dispose(): void {
    if (this.split) tf.dispose([this.split.P, this.split.PT]);
  }

  protected abstract run(input: tf.Tensor2D, inverse: boolean): { y: tf.Tensor2D; logDet: tf.Tensor1D };

  /** The input as its even and odd halves. */
  protected halves(input: tf.Tensor2D): [tf.Tensor2D, tf.Tensor2D] {
    const n = input.shape[0];
    const h = this.split ? permuteColumns(input, this.split.P, this.split.PT) : input;
    return [tf.slice(h, [0, 0], [n, this.nEven]) as tf.Tensor2D, tf.slice(h, [0, this.nEven], [n, this.dim - this.nEven]) as tf.Tensor2D];
  }

  /** The halves back in the original coordinate order. */
  protected merge(even: tf.Tensor2D, odd: tf.Tensor2D): tf.Tensor2D {
    const merged = tf.concat([even, odd], 1);
    return this.split ? permuteColumns(merged, this.split.PT, this.split.P) : merged;
  }
}

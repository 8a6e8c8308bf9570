import * as tf from '@tensorflow/tfjs-core';
import { permutationMatrices, permuteColumns } from './permute';
import type { Flow } from './types';

/**
 * What coupling stacks share: the split of the coordinates into two halves (the even and the odd
 * coordinates, or a given first half), done once on entry and undone once on exit (not per
 * coupling), and forward/inverse as one `run` in either direction. Subclasses (affine/additive
 * couplings, spline couplings) implement `run` and the variables.
 */
export abstract class HalvesFlow implements Flow {
  readonly dim: number;
  protected readonly nFirst: number;
  /** The coordinates of each half, ascending. */
  readonly first: readonly number[];
  readonly second: readonly number[];
  /** Null when the split is already the identity order (dim 2): skips two matMuls. */
  protected readonly split: { P: tf.Tensor2D; PT: tf.Tensor2D } | null;

  /** `firstHalf`: the coordinates of the first half; default the even ones (0, 2, 4, …). */
  constructor(dim: number, firstHalf?: readonly number[]) {
    if (dim < 2) throw new Error('coupling layers need dim ≥ 2');
    this.dim = dim;
    const inFirst = (i: number): boolean => (firstHalf ? firstHalf.includes(i) : i % 2 === 0);
    const all = Array.from({ length: dim }, (_, i) => i);
    this.first = all.filter(inFirst);
    this.second = all.filter((i) => !inFirst(i));
    if (!this.first.length || !this.second.length) throw new Error('coupling layers need two non-empty halves');
    this.nFirst = this.first.length;
    const order = [...this.first, ...this.second];
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

  /** The input as its first and second halves. */
  protected halves(input: tf.Tensor2D): [tf.Tensor2D, tf.Tensor2D] {
    const n = input.shape[0];
    const h = this.split ? permuteColumns(input, this.split.P, this.split.PT) : input;
    return [tf.slice(h, [0, 0], [n, this.nFirst]) as tf.Tensor2D, tf.slice(h, [0, this.nFirst], [n, this.dim - this.nFirst]) as tf.Tensor2D];
  }

  /** The halves back in the original coordinate order. */
  protected merge(first: tf.Tensor2D, second: tf.Tensor2D): tf.Tensor2D {
    const merged = tf.concat([first, second], 1);
    return this.split ? permuteColumns(merged, this.split.PT, this.split.P) : merged;
  }
}

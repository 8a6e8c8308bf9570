import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../rng';
import { customOp } from './custom-op';
import { newVariable } from './types';

/**
 * A ReLU MLP (linear last layer) whose parameters live in ONE flat variable, laid out
 * [W0 (row-major in×out), b0, W1, b1, ...].
 *
 * Why it is written this way (wasm measurements in docs/performance.md):
 * - Per-op dispatch dominates small models, and tfjs's Adam issues ~15 ops per variable, so one
 *   variable per network instead of two per layer removes most optimizer ops.
 * - The whole network is one tape node with a hand-written gradient: the built-in matMul gradient
 *   uses transposed matMuls (10–15× slower on wasm), so every backward product here is an explicit
 *   transpose followed by a plain matMul, and bias gradients are a ones-row matMul instead of a
 *   column `sum` (which transposes internally).
 * - Forward calls the fused bias+ReLU kernel directly: `tf.fused.matMul` refuses to fuse while a
 *   gradient tape is active.
 */
export class Mlp {
  readonly theta: tf.Variable<tf.Rank.R1>;
  readonly sizes: readonly number[];
  private readonly offsets: number[];
  private readonly op: (x: tf.Tensor2D, theta: tf.Tensor1D) => tf.Tensor2D;

  constructor(sizes: readonly number[], rng: Rng, zeroLast = true) {
    this.sizes = sizes;
    this.offsets = [0];
    for (let l = 0; l + 1 < sizes.length; l++) {
      const prev = this.offsets[this.offsets.length - 1]!;
      this.offsets.push(prev + sizes[l]! * sizes[l + 1]! + sizes[l + 1]!);
    }
    const flat = new Float32Array(this.offsets[this.offsets.length - 1]!);
    for (let l = 0; l + 1 < sizes.length; l++) {
      const last = l + 2 === sizes.length;
      if (last && zeroLast) continue; // the last layer starts at zero: couplings start as identity
      const limit = Math.sqrt(6 / sizes[l]!); // He-uniform, for ReLU
      const nW = sizes[l]! * sizes[l + 1]!;
      for (let i = 0; i < nW; i++) flat[this.offsets[l]! + i] = (2 * rng.uniform() - 1) * limit;
    }
    this.theta = newVariable(() => tf.tensor1d(flat), true);
    this.op = customOp((save, x: tf.Tensor2D, theta: tf.Tensor1D) => this.forwardWithGrad(x, theta, save));
  }

  dispose(): void {
    this.theta.dispose();
  }

  apply(x: tf.Tensor2D): tf.Tensor2D {
    return this.op(x, this.theta);
  }

  /** Splits the flat parameter vector into per-layer [W, b] (one SplitV instead of 2L slices). */
  private unpack(theta: tf.Tensor1D): { W: tf.Tensor2D; b: tf.Tensor1D }[] {
    const sizes: number[] = [];
    for (let l = 0; l + 1 < this.sizes.length; l++) sizes.push(this.sizes[l]! * this.sizes[l + 1]!, this.sizes[l + 1]!);
    const parts = tf.split(theta, sizes);
    const out: { W: tf.Tensor2D; b: tf.Tensor1D }[] = [];
    for (let l = 0; l + 1 < this.sizes.length; l++) {
      out.push({ W: tf.reshape(parts[2 * l]!, [this.sizes[l]!, this.sizes[l + 1]!]), b: parts[2 * l + 1] as tf.Tensor1D });
    }
    return out;
  }

  private forwardWithGrad(x: tf.Tensor2D, theta: tf.Tensor1D, save: (t: tf.Tensor[]) => void) {
    const layers = this.unpack(theta);
    const acts: tf.Tensor2D[] = [x];
    let h = x;
    layers.forEach(({ W, b }, l) => {
      const last = l === layers.length - 1;
      h = fusedDense(h, W, b, last ? 'linear' : 'relu');
      if (!last) acts.push(h);
    });
    save([...acts, ...layers.map((p) => p.W)]);
    const nLayers = layers.length;
    return {
      value: h,
      gradFunc: (dy: tf.Tensor2D, saved: tf.Tensor[]): tf.Tensor[] => {
        const hs = saved.slice(0, nLayers) as tf.Tensor2D[];
        const Ws = saved.slice(nLayers) as tf.Tensor2D[];
        const ones = tf.ones([1, dy.shape[0]]) as tf.Tensor2D;
        const parts: tf.Tensor[] = new Array(2 * nLayers);
        let g: tf.Tensor2D = dy;
        for (let l = nLayers - 1; l >= 0; l--) {
          const hIn = hs[l]!;
          parts[2 * l] = tf.reshape(tf.matMul(tf.transpose(hIn), g), [-1]);
          parts[2 * l + 1] = tf.reshape(tf.matMul(ones, g), [-1]);
          g = tf.matMul(g, tf.transpose(Ws[l]!));
          // ReLU'(pre) = step(post): the post-activation is what was saved.
          if (l > 0) g = tf.mul(g, tf.step(hIn));
        }
        return [g, tf.concat(parts)];
      },
    };
  }
}

/** y = act(x·W + b) through the fused kernel, which `tf.fused.matMul` bypasses under a tape. */
export function fusedDense(x: tf.Tensor2D, W: tf.Tensor2D, b: tf.Tensor1D, activation: 'relu' | 'linear'): tf.Tensor2D {
  // The raw kernel is a batched matMul: it wants rank-3 operands.
  const [n, nIn] = x.shape;
  const nOut = W.shape[1];
  const y = tf.engine().runKernel(
    '_FusedMatMul',
    { a: tf.reshape(x, [1, n, nIn]), b: tf.reshape(W, [1, nIn, nOut]), bias: b },
    { transposeA: false, transposeB: false, activation },
  ) as tf.Tensor3D;
  return tf.reshape(y, [n, nOut]);
}

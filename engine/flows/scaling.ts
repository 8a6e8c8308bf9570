import * as tf from '@tensorflow/tfjs-core';
import { newVariable, type Flow } from './types';

/** Per-coordinate scaling x = z·exp(s), with trainable log-scales s (start at 0: identity). */
export class Scaling implements Flow {
  readonly logScale: tf.Variable<tf.Rank.R1>;

  constructor(readonly dim: number) {
    this.logScale = newVariable(() => tf.zeros([dim]), true);
  }

  forward(z: tf.Tensor2D): { x: tf.Tensor2D; logDet: tf.Tensor1D } {
    const n = z.shape[0];
    return { x: tf.mul(z, tf.exp(this.logScale)), logDet: tf.add(tf.zeros([n]), tf.sum(this.logScale)) as tf.Tensor1D };
  }

  inverse(x: tf.Tensor2D): { z: tf.Tensor2D; logDet: tf.Tensor1D } {
    const n = x.shape[0];
    return { z: tf.mul(x, tf.exp(tf.neg(this.logScale))), logDet: tf.sub(tf.zeros([n]), tf.sum(this.logScale)) as tf.Tensor1D };
  }

  variables(): tf.Variable[] {
    return [this.logScale];
  }

  dispose(): void {
    this.logScale.dispose();
  }
}

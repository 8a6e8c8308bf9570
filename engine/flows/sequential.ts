import * as tf from '@tensorflow/tfjs-core';
import { xDimOf, type Flow } from './types';

/** Layers listed in the z → x direction: `forward` applies them first to last, `inverse` last to
 * first, and the log-determinants add. */
export class Sequential implements Flow {
  readonly dim: number;
  readonly xDim: number;

  constructor(readonly layers: readonly Flow[]) {
    if (!layers.length) throw new Error('a flow needs at least one layer');
    this.dim = layers[0]!.dim;
    this.xDim = xDimOf(layers[layers.length - 1]!);
  }

  forward(z: tf.Tensor2D): { x: tf.Tensor2D; logDet: tf.Tensor1D } {
    let x = z;
    const terms: tf.Tensor1D[] = [];
    for (const layer of this.layers) {
      const r = layer.forward(x);
      x = r.x;
      terms.push(r.logDet);
    }
    return { x, logDet: sum(terms) };
  }

  inverse(x: tf.Tensor2D): { z: tf.Tensor2D; logDet: tf.Tensor1D } {
    let z = x;
    const terms: tf.Tensor1D[] = [];
    for (let i = this.layers.length - 1; i >= 0; i--) {
      const r = this.layers[i]!.inverse(z);
      z = r.z;
      terms.push(r.logDet);
    }
    return { z, logDet: sum(terms) };
  }

  variables(): tf.Variable[] {
    return this.layers.flatMap((l) => l.variables());
  }

  dispose(): void {
    this.layers.forEach((l) => l.dispose());
  }
}

function sum(terms: tf.Tensor1D[]): tf.Tensor1D {
  return terms.length === 1 ? terms[0]! : (tf.addN(terms) as tf.Tensor1D);
}

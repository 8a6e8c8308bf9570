import * as tf from '@tensorflow/tfjs-core';
import type { ModelSystem } from './types';
import { SYSTEM_STATES } from '../../contract/systems';
import { doubleWellCoefficients, doubleWellDu1, doubleWellEnergy } from './analytic2d';

export interface DoubleWellParams {
  dim?: number;
  a4?: number;
  a2?: number;
  a1?: number;
  k?: number;
}

/**
 * Double well (published parameters, not the slides' ¼/½ form):
 * u = a4·x1⁴ − a2·x1² + a1·x1 + (k/2)·Σ_{i≥2} x_i². RC = x1; states x1 < 0 and x1 ≥ 0.
 */
export function createDoubleWell(params: DoubleWellParams = {}): ModelSystem {
  const { dim = 2 } = params;
  const coefficients = doubleWellCoefficients(params);
  const { a4, a2, a1, k } = coefficients;
  if (!Number.isInteger(dim) || dim < 1) throw new Error(`double-well: dim must be an integer ≥ 1, got ${dim}`);
  if (!(a4 > 0)) throw new Error(`double-well: a4 must be > 0, got ${a4}`);

  const du1 = (x: number): number => doubleWellDu1(coefficients, x);

  // Newton on u'(x1) = 0 from a point inside each well (x = ±sqrt(a2 / 2a4) are the a1 = 0 minima).
  const minimum = (sign: -1 | 1): number => {
    let x = sign * Math.sqrt(Math.max(a2, 1e-3) / (2 * a4));
    for (let i = 0; i < 100; i++) {
      const dx = du1(x) / (12 * a4 * x * x - 2 * a2);
      x -= dx;
      if (Math.abs(dx) < 1e-15) break;
    }
    return x;
  };
  const minima = [minimum(-1), minimum(1)] as const;

  return {
    name: 'double-well',
    dim,
    energy(x: tf.Tensor2D): tf.Tensor1D {
      return tf.tidy(() => {
        const x1 = tf.reshape(tf.slice(x, [0, 0], [-1, 1]), [-1]);
        const x1sq = tf.square(x1);
        // ((a4·x² − a2)·x + a1)·x: Horner form, three fused-ish ops.
        let u = tf.mul(tf.add(tf.mul(tf.sub(tf.mul(x1sq, a4), a2), x1), a1), x1);
        if (dim > 1) {
          const rest = tf.slice(x, [0, 1], [-1, dim - 1]);
          u = tf.add(u, tf.mul(tf.sum(tf.square(rest), 1), 0.5 * k));
        }
        return u as tf.Tensor1D;
      });
    },
    energy64(x: Float64Array): number {
      let h = 0;
      for (let i = 1; i < dim; i++) h += x[i]! * x[i]!;
      return doubleWellEnergy(coefficients, x[0]!, h);
    },
    gradient64(x: Float64Array, out: Float64Array): Float64Array {
      out[0] = du1(x[0]!);
      for (let i = 1; i < dim; i++) out[i] = k * x[i]!;
      return out;
    },
    rc64: (x: Float64Array): number => x[0]!,
    rc: (x: tf.Tensor2D): tf.Tensor1D => tf.tidy(() => tf.reshape(tf.slice(x, [0, 0], [-1, 1]), [-1]) as tf.Tensor1D),
    rcRange: [-2.5, 2.5],
    states: SYSTEM_STATES['double-well'],
    start(state: 0 | 1 = 0): Float64Array {
      const x = new Float64Array(dim);
      x[0] = minima[state];
      return x;
    },
    mcStep: 0.25,
    quadrature: { xRange: [-3, 3], yRange: [-4, 4], n: 400 },
  };
}

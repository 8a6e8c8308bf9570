import * as tf from '@tensorflow/tfjs-core';
import type { ModelSystem } from './types';
import { SYSTEM_STATES } from '../../contract/systems';
import { MB_A, MB_a, MB_b, MB_c, MB_X, MB_Y, MUELLER_BROWN_DEFAULT_K, muellerBrownEnergy, muellerBrownGradient2 } from './analytic2d';

export interface MuellerBrownParams {
  dim?: number;
  k?: number;
}

/** Approximate minima used as starts (top-left; bottom-right, the deeper lower one), refined per k. */
const TOP_LEFT = [-0.56, 1.44] as const;
const BOTTOM_RIGHT = [0.62, 0.03] as const;

/**
 * State split on the RC y = x2: A = 'upper' (y ≥ 0.7, the deep top-left minimum at y ≈ 1.44),
 * B = 'lower' (y < 0.7, the middle and bottom-right minima at y ≈ 0.47 and 0.03). y = 0.7 is the
 * maximum of the marginal free energy F(y) from quadrature at k = 0.1: y ≈ 0.69, 0.72, 0.76 at
 * τ = 0.5, 1, 2, so it is the dividing surface along this RC. (The 2-D saddle between the basins is at
 * (−0.82, 0.62); a split on y alone cannot follow the curved path exactly.)
 */
export const MB_SPLIT_Y = SYSTEM_STATES['mueller-brown'][0].min;

/**
 * Mueller–Brown: u = k·[Σ_j A_j·exp(a_j·dx² + b_j·dx·dy + c_j·dy²) + ½·Σ_{i≥3} x_i²].
 * As in the published code, k also scales the extra harmonic dimensions (their variance is τ/k).
 */
export function createMuellerBrown(params: MuellerBrownParams = {}): ModelSystem {
  const { dim = 2, k = MUELLER_BROWN_DEFAULT_K } = params;
  if (!Number.isInteger(dim) || dim < 2) throw new Error(`mueller-brown: dim must be an integer ≥ 2, got ${dim}`);
  if (!(k > 0)) throw new Error(`mueller-brown: k must be > 0, got ${k}`);

  const energy64 = (x: Float64Array): number => {
    let h = 0;
    for (let i = 2; i < dim; i++) h += x[i]! * x[i]!;
    return muellerBrownEnergy(k, x[0]!, x[1]!, h);
  };
  const gradient64 = (x: Float64Array, out: Float64Array): Float64Array => {
    muellerBrownGradient2(k, x[0]!, x[1]!, out);
    for (let i = 2; i < dim; i++) out[i] = k * x[i]!;
    return out;
  };
  const startA = refine(gradient64, dim, k, ...TOP_LEFT);
  const startB = refine(gradient64, dim, k, ...BOTTOM_RIGHT);

  return {
    name: 'mueller-brown',
    dim,
    energy: (xt: tf.Tensor2D): tf.Tensor1D => tfEnergy(xt, dim, k),
    energy64,
    gradient64,
    rc64: (x: Float64Array): number => x[1]!,
    rc: (x: tf.Tensor2D): tf.Tensor1D => tf.tidy(() => tf.reshape(tf.slice(x, [0, 1], [-1, 1]), [-1]) as tf.Tensor1D),
    rcRange: [-0.1, 1.7],
    states: SYSTEM_STATES['mueller-brown'],
    start(state: 0 | 1 = 0): Float64Array {
      return (state === 0 ? startA : startB).slice();
    },
    mcStep: 0.1,
    // The box leaves < 1e-6 of the mass outside at τ = 2 (k = 0.1): the 15·exp(+…) term confines only
    // weakly towards the upper left, so [−1.8, 1.3]×[−0.6, 2.2] would miss 1e-3 there.
    quadrature: { xRange: [-3.3, 1.5], yRange: [-0.9, 3.4], n: 500 },
  };
}

/** Gradient descent on the 2-D part (the extra dimensions have their minimum at 0). */
function refine(
  gradient64: (x: Float64Array, out: Float64Array) => Float64Array,
  dim: number,
  k: number,
  x0: number,
  y0: number,
): Float64Array {
  const x = new Float64Array(dim);
  const g = new Float64Array(dim);
  x[0] = x0;
  x[1] = y0;
  for (let it = 0; it < 20000; it++) {
    gradient64(x, g);
    // Step 4e-4/k: stable for the stiffest curvature at the minima (≈ k·2200, limit 2/curvature).
    x[0] = x[0]! - (4e-4 / k) * g[0]!;
    x[1] = x[1]! - (4e-4 / k) * g[1]!;
    if (Math.abs(g[0]!) + Math.abs(g[1]!) < 1e-12 * k) break;
  }
  return x;
}

/** Constant [1, 4] rows broadcast against the [N, 1] columns. */
const row = (v: readonly number[]): tf.Tensor2D => tf.tensor2d([v as number[]]);

/** The batched energy (float32, differentiable). */
function tfEnergy(xt: tf.Tensor2D, dim: number, k: number): tf.Tensor1D {
  return tf.tidy(() => {
    const dx = tf.sub(tf.slice(xt, [0, 0], [-1, 1]), row(MB_X));
    const dy = tf.sub(tf.slice(xt, [0, 1], [-1, 1]), row(MB_Y));
    const q = tf.add(
      tf.add(tf.mul(tf.square(dx), row(MB_a)), tf.mul(tf.mul(dx, dy), row(MB_b))),
      tf.mul(tf.square(dy), row(MB_c)),
    );
    let u = tf.sum(tf.mul(tf.exp(q), row(MB_A.map((v) => k * v))), 1);
    if (dim > 2) u = tf.add(u, tf.mul(tf.sum(tf.square(tf.slice(xt, [0, 2], [-1, dim - 2])), 1), 0.5 * k));
    return u as tf.Tensor1D;
  });
}

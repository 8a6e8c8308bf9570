import * as tf from '@tensorflow/tfjs-core';
import { xDimOf, type Flow } from './types';

/** (d/2)·ln(2πτ): the normalisation of N(0, τI) in d latent dimensions (`flow.dim`, not the x dimension). */
export function gaussianLogNorm(zDim: number, tau: number): number {
  return 0.5 * zDim * Math.log(2 * Math.PI * tau);
}

/**
 * log q_τ(x) = log N(F_xz(x); 0, τI) + log|det J_xz(x)| of each row: the density of the flow's
 * samples drawn at temperature τ (τ = 1: the flow's own density), in chunks, float64 out.
 */
export function flowLogDensity(flow: Flow, x: Float32Array, tau = 1, chunk = 4096): Float64Array {
  const xDim = xDimOf(flow);
  const n = x.length / xDim;
  const logNorm = gaussianLogNorm(flow.dim, tau);
  const out = new Float64Array(n);
  for (let a = 0; a < n; a += chunk) {
    const m = Math.min(chunk, n - a);
    tf.tidy(() => {
      const r = flow.inverse(tf.tensor2d(x.subarray(a * xDim, (a + m) * xDim), [m, xDim]));
      const zz = tf.sum(tf.square(r.z), 1).dataSync();
      const ld = r.logDet.dataSync();
      for (let i = 0; i < m; i++) out[a + i] = -zz[i]! / (2 * tau) - logNorm + ld[i]!;
    });
  }
  return out;
}

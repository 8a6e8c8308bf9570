import * as tf from '@tensorflow/tfjs-core';
import type { ModelSystem } from '../energies/types';
import { xDimOf, type Flow } from '../flows/types';
import type { Rng } from '../rng';
import { evaluate, logPi, takeRow, type Chains } from './latent-path';

export interface HmcOptions {
  readonly n: number;
  readonly tau: number;
  readonly alpha: number;
  /** Leapfrog steps per move (default 5, as FAB's reference runs). */
  readonly leapfrog?: number | undefined;
  readonly rng: Rng;
  readonly chunk?: number | undefined;
}

/**
 * ∇_z log π_β for every row, float32 through the flow and the tfjs energy:
 * (1 − αβ)·(−z) + αβ·∇_z(−u(F(z))/τ + log|det J_zx(z)|). Rows are independent (the flow and the
 * energy act row by row), so the gradient of the sum is each row's gradient.
 */
function gradLogPi(flow: Flow, system: Pick<ModelSystem, 'energy'>, z: Float32Array, beta: number, o: HmcOptions): Float32Array {
  const zDim = flow.dim;
  const n = z.length / zDim;
  const chunk = Math.max(1, o.chunk ?? 4096);
  const out = new Float32Array(z.length);
  const ab = o.alpha * beta;
  for (let a = 0; a < n; a += chunk) {
    const m = Math.min(chunk, n - a);
    const g = tf.tidy(() => {
      const logPzSum = (zz: tf.Tensor): tf.Scalar => {
        const { x, logDet } = flow.forward(zz as tf.Tensor2D);
        return tf.sum(tf.sub(logDet, tf.div(system.energy(x), o.tau)));
      };
      const zt = tf.tensor2d(z.subarray(a * zDim, (a + m) * zDim), [m, zDim]);
      return tf.add(tf.mul(zt, -(1 - ab)), tf.mul(tf.grad(logPzSum)(zt), ab));
    });
    out.set(g.dataSync() as Float32Array, a * zDim);
    g.dispose();
  }
  return out;
}

/**
 * One Hamiltonian Monte Carlo move of every chain at level β of the latent AIS path: momenta
 * p ~ N(0, I), `leapfrog` steps of size `step` along ∇ log π_β, then a Metropolis test on
 * H = −log π_β + |p|²/2 with the float64 log densities (so float32 gradients only cost
 * acceptance, never correctness). Leapfrog is reversible and volume-preserving, so the move leaves
 * π_β invariant. A chain whose trajectory leaves the finite region stays where it was.
 * Returns how many chains moved.
 */
export function hmcMove(flow: Flow, system: Pick<ModelSystem, 'energy64' | 'energy'>, c: Chains, beta: number, step: number, o: HmcOptions): number {
  const zDim = flow.dim;
  const L = Math.max(1, o.leapfrog ?? 5);
  const p0 = o.rng.normals(new Float32Array(o.n * zDim));
  const p = Float32Array.from(p0);
  const z = Float32Array.from(c.z);
  let g = gradLogPi(flow, system, z, beta, o);
  for (let i = 0; i < p.length; i++) p[i]! += 0.5 * step * g[i]!;
  for (let l = 1; l <= L; l++) {
    for (let i = 0; i < z.length; i++) z[i]! += step * p[i]!;
    g = gradLogPi(flow, system, z, beta, o);
    const scale = l === L ? 0.5 * step : step;
    for (let i = 0; i < p.length; i++) p[i]! += scale * g[i]!;
  }
  const next = evaluate(flow, system, z, o);
  const xDim = xDimOf(flow);
  let accepted = 0;
  for (let i = 0; i < o.n; i++) {
    let k0 = 0;
    let k1 = 0;
    let finite = true;
    for (let j = i * zDim; j < (i + 1) * zDim; j++) {
      k0 += p0[j]! ** 2;
      k1 += p[j]! ** 2;
      if (!Number.isFinite(z[j]!)) finite = false;
    }
    if (!finite || !Number.isFinite(next.logPz[i]!)) continue;
    const logA = logPi(beta, o.alpha, next.logPz[i]!, next.logQz[i]!) - 0.5 * k1 - (logPi(beta, o.alpha, c.logPz[i]!, c.logQz[i]!) - 0.5 * k0);
    // A chain at −∞ density takes any finite end point (NaN compares false).
    if (!(Math.log(o.rng.uniform()) < logA) && Number.isFinite(c.logPz[i]!)) continue;
    takeRow(c, next, i, zDim, xDim);
    accepted++;
  }
  return accepted;
}

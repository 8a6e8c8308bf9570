import * as tf from '@tensorflow/tfjs-core';
import type { ModelSystem } from './energies/types';
import { xDimOf, type Flow } from './flows/types';
import { essFraction, logWeights } from './reweighting';
import type { Rng } from './rng';

/**
 * Kish ESS / N of a small fresh batch from the generator at temperature τ: the "ESS over time"
 * a run reports while it trains. Synchronous and one forward pass, so a training loop can call it
 * every few dozen steps (512 samples cost ~1 % of a 76-D training step budget at that rate).
 */
export function essProbe(flow: Flow, system: ModelSystem, o: { n: number; tau: number; rng: Rng }): number {
  const zDim = flow.dim, dim = xDimOf(flow);
  const z = o.rng.normals(new Float32Array(o.n * zDim), Math.sqrt(o.tau));
  const zNormSq = new Float64Array(o.n);
  for (let i = 0; i < o.n; i++) for (let j = 0; j < zDim; j++) zNormSq[i]! += z[i * zDim + j]! ** 2;
  let x: Float32Array = new Float32Array(0);
  let logDet = new Float64Array(0);
  tf.tidy(() => {
    const r = flow.forward(tf.tensor2d(z, [o.n, zDim]));
    x = r.x.dataSync() as Float32Array;
    logDet = Float64Array.from(r.logDet.dataSync());
  });
  const u = new Float64Array(o.n);
  const row = new Float64Array(dim);
  for (let i = 0; i < o.n; i++) {
    for (let j = 0; j < dim; j++) row[j] = x[i * dim + j]!;
    u[i] = system.energy64(row);
  }
  return essFraction(logWeights({ u, zNormSq, logDetZX: logDet, tau: o.tau }));
}

import * as tf from '@tensorflow/tfjs-core';
import { stateIndices } from '../contract/states';
import type { ModelSystem } from './energies/types';
import { xDimOf, type Flow } from './flows/types';
import { logWeights } from './reweighting';
import type { Rng } from './rng';

/** A probe's draws: each sample's log weight (engine/reweighting.ts `logWeights`) and state (0 = A, 1 = B, −1 = neither). */
export interface ProbeDraws {
  readonly logw: Float64Array;
  readonly state: Int8Array;
}

export interface ProbeOptions {
  readonly n: number;
  readonly tau: number;
  readonly rng: Rng;
  /** Rows a forward pass: a large probe of a spline flow would outgrow the wasm heap in one. */
  readonly chunk?: number;
}

/**
 * n fresh samples from the generator at temperature τ, weighed: what the "ESS over time" reads
 * while a run trains (its Kish ESS / N cannot read below 1/n: one sample holding all the weight), and what the held-out check compares with the data (engine/bidirectional.ts).
 * Synchronous, one forward pass in chunks, so a training loop can call it every few dozen steps.
 */
export function probeDraws(flow: Flow, system: ModelSystem, o: ProbeOptions): ProbeDraws {
  const zDim = flow.dim, dim = xDimOf(flow);
  const z = o.rng.normals(new Float32Array(o.n * zDim), Math.sqrt(o.tau));
  const zNormSq = new Float64Array(o.n);
  for (let i = 0; i < o.n; i++) for (let j = 0; j < zDim; j++) zNormSq[i]! += z[i * zDim + j]! ** 2;
  const logDet = new Float64Array(o.n);
  const u = new Float64Array(o.n);
  const rc = new Float64Array(o.n);
  const row = new Float64Array(dim);
  const chunk = Math.max(1, o.chunk ?? 4096);
  for (let a = 0; a < o.n; a += chunk) {
    const m = Math.min(chunk, o.n - a);
    tf.tidy(() => {
      const r = flow.forward(tf.tensor2d(z.subarray(a * zDim, (a + m) * zDim), [m, zDim]));
      const x = r.x.dataSync() as Float32Array;
      logDet.set(r.logDet.dataSync(), a);
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < dim; j++) row[j] = x[i * dim + j]!;
        u[a + i] = system.energy64(row);
        rc[a + i] = system.rc64(row);
      }
    });
  }
  return { logw: logWeights({ u, zNormSq, logDetZX: logDet, tau: o.tau }), state: stateIndices(rc, system.states) };
}

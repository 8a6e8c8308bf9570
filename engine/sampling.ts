import * as tf from '@tensorflow/tfjs-core';
import { stateIndices } from '../contract/states';
import type { ModelSystem } from './energies/types';
import { xDimOf, type Flow } from './flows/types';
import { logWeights } from './reweighting';
import type { Rng } from './rng';
import { abortError, yieldToEventLoop } from './cancel';

/** Generated samples with everything reweighting and export need, one entry per sample. */
export interface GeneratedSamples {
  readonly tau: number;
  readonly dim: number;
  /** Row-major n×dim configurations x = F_zx(z). */
  readonly x: Float32Array;
  /** Reduced energy u(x) (float64, at the reference temperature). */
  readonly u: Float64Array;
  /** Unnormalised log weight −u/τ + |z|²/(2τ) + log|det J_zx(z)|. */
  readonly logw: Float64Array;
  readonly rc: Float64Array;
  /** Index of the state the sample is in (0 = A, 1 = B), or −1 for neither. */
  readonly state: Int8Array;
}

/** The flow's forward pass over `m` rows of z on this thread, read back to the host. */
export function forwardHere(flow: Flow, z: Float32Array, m: number): { x: Float32Array; logDet: Float32Array } {
  let out: { x: Float32Array; logDet: Float32Array } | null = null;
  tf.tidy(() => {
    const r = flow.forward(tf.tensor2d(z, [m, flow.dim]));
    out = { x: r.x.dataSync() as Float32Array, logDet: r.logDet.dataSync() as Float32Array };
  });
  return out!;
}

/**
 * Draw n samples z ~ N(0, τ·I), push them through the flow in chunks, and compute energies in
 * float64 (the tfjs energy is float32 and only needed for gradients).
 */
export async function sampleFlow(
  flow: Flow,
  system: ModelSystem,
  o: {
    n: number;
    tau: number;
    chunk: number;
    rng: Rng;
    signal?: AbortSignal | undefined;
    /** The forward pass over `m` rows of z (default `flow.forward` here; a data-parallel run shares it out over threads). */
    forward?: ((z: Float32Array, m: number) => { x: Float32Array; logDet: Float32Array }) | null | undefined;
  },
): Promise<GeneratedSamples> {
  const { n, tau, chunk, rng } = o;
  const zDim = flow.dim;
  const dim = xDimOf(flow);
  const x = new Float32Array(n * dim);
  const zNormSq = new Float64Array(n);
  const logDet = new Float64Array(n);
  const std = Math.sqrt(tau);
  for (let start = 0; start < n; start += chunk) {
    await yieldToEventLoop();
    if (o.signal?.aborted) throw abortError();
    const m = Math.min(chunk, n - start);
    const z = rng.normals(new Float32Array(m * zDim), std);
    for (let i = 0; i < m; i++) {
      let s = 0;
      for (let j = 0; j < zDim; j++) s += z[i * zDim + j]! ** 2;
      zNormSq[start + i] = s;
    }
    const r = o.forward ? o.forward(z, m) : forwardHere(flow, z, m);
    x.set(r.x, start * dim);
    logDet.set(r.logDet, start);
  }
  const u = new Float64Array(n);
  const rc = new Float64Array(n);
  const row = new Float64Array(dim);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < dim; j++) row[j] = x[i * dim + j]!;
    u[i] = system.energy64(row);
    rc[i] = system.rc64(row);
  }
  const state = stateIndices(rc, system.states);
  return { tau, dim, x, u, logw: logWeights({ u, zNormSq, logDetZX: logDet, tau }), rc, state };
}

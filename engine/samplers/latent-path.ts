import type { ModelSystem } from '../energies/types';
import { xDimOf, type Flow } from '../flows/types';
import { forwardHere } from '../sampling';
import { perRow64 } from './latent-mc';

// The latent-space view of an AIS path (engine/samplers/ais.ts) that its transition kernels share:
// each chain's state and the log densities along the path.

export const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/** Current state of every chain: z, the flow's output at z, and the pieces of the log densities. */
export interface Chains {
  z: Float32Array;
  x: Float32Array;
  u: Float64Array;
  /** log q_z(z) (standard normal). */
  logQz: Float64Array;
  /** log p_z(z) = −u/τ + log|det J_zx(z)| (−∞ where u is not finite). */
  logPz: Float64Array;
  logDet: Float64Array;
}

/** log π_β(z) = (1 − αβ)·log q_z + αβ·log p_z, the geometric path from q_z to p_z^α q_z^(1−α). */
export function logPi(beta: number, alpha: number, logPz: number, logQz: number): number {
  if (!Number.isFinite(logPz)) return -Infinity;
  return (1 - alpha * beta) * logQz + alpha * beta * logPz;
}

/** The flow at every row of z (in chunks), float64 energies, and the latent log densities. */
export function evaluate(flow: Flow, system: Pick<ModelSystem, 'energy64'>, z: Float32Array, o: { readonly tau: number; readonly chunk?: number | undefined }): Chains {
  const zDim = flow.dim;
  const xDim = xDimOf(flow);
  const n = z.length / zDim;
  const chunk = Math.max(1, o.chunk ?? 4096);
  const x = new Float32Array(n * xDim);
  const logDet = new Float64Array(n);
  for (let a = 0; a < n; a += chunk) {
    const m = Math.min(chunk, n - a);
    const r = forwardHere(flow, z.subarray(a * zDim, (a + m) * zDim), m);
    x.set(r.x, a * xDim);
    logDet.set(r.logDet, a);
  }
  const u = perRow64(x, xDim, (row) => system.energy64(row));
  const logQz = new Float64Array(n);
  const logPz = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < zDim; j++) s += z[i * zDim + j]! ** 2;
    logQz[i] = -0.5 * s - zDim * HALF_LOG_2PI;
    const lp = -u[i]! / o.tau + logDet[i]!;
    logPz[i] = Number.isFinite(lp) ? lp : -Infinity;
  }
  return { z, x, u, logQz, logPz, logDet };
}


/** Chain i takes row i of the proposal `p`. */
export function takeRow(c: Chains, p: Chains, i: number, zDim: number, xDim: number): void {
  c.z.set(p.z.subarray(i * zDim, (i + 1) * zDim), i * zDim);
  c.x.set(p.x.subarray(i * xDim, (i + 1) * xDim), i * xDim);
  c.u[i] = p.u[i]!;
  c.logQz[i] = p.logQz[i]!;
  c.logPz[i] = p.logPz[i]!;
  c.logDet[i] = p.logDet[i]!;
}

import * as tf from '@tensorflow/tfjs-core';
import type { ModelSystem } from '../energies/types';
import { xDimOf, type Flow } from '../flows/types';
import type { Rng } from '../rng';

/**
 * Latent-space Metropolis (docs/science.md, "Latent Monte Carlo"). The chain lives in x; each move maps
 * x to z = F_xz(x), perturbs z symmetrically and maps back. Targeting μ_X in x means targeting
 * p_Z(z) = μ_X(F_zx(z))·|det J_zx(z)| in z, hence
 *   log α = −u(x')/τ + log|det J_zx(z')| + u(x)/τ + log|det J_xz(x)|.
 * The slides print the last term with the opposite sign; that typo breaks detailed balance (the
 * histogram test in test/engine/latent-mc.test.ts fails with it).
 */
export function latentLogAcceptance(uNew: number, logDetZXNew: number, uOld: number, logDetXZOld: number, tau: number): number {
  if (!Number.isFinite(uNew) || !Number.isFinite(logDetZXNew)) return -Infinity;
  return -uNew / tau + logDetZXNew + uOld / tau + logDetXZOld;
}

export type LogAcceptance = typeof latentLogAcceptance;

export interface LatentStepOptions {
  /** Current configurations, row-major [m, dim] (float32: the flow's precision). */
  readonly x: Float32Array;
  /** u(x) of the current rows (float64), as returned by the previous step or `energies64`. */
  readonly u: Float64Array;
  /** Proposal scale s: z' = z + s·√τ·ε. */
  readonly step: number;
  readonly tau: number;
  readonly rng: Rng;
  /** Only for tests that show the histogram check is sensitive to the acceptance rule. */
  readonly logAcceptance?: LogAcceptance;
}

export interface LatentStepResult {
  /** New configurations: accepted rows replaced, the others unchanged (a new array). */
  readonly x: Float32Array;
  readonly u: Float64Array;
  /** 1 where the move was accepted. */
  readonly accepted: Uint8Array;
  readonly nAccepted: number;
}

/** One latent Metropolis move for every row of `x`, all rows in one batched flow call each way. */
export function latentMcStep(flow: Flow, system: ModelSystem, o: LatentStepOptions): LatentStepResult {
  const dim = xDimOf(flow);
  const m = o.u.length;
  if (o.x.length !== m * dim) throw new Error(`latentMcStep: x has ${o.x.length} values, expected ${m}×${dim}`);
  if (!(o.tau > 0 && o.step > 0)) throw new Error('latentMcStep: tau and step must be > 0');
  const accept = o.logAcceptance ?? latentLogAcceptance;
  const scale = o.step * Math.sqrt(o.tau);
  const [xNew, ldZX, ldXZ] = tf.tidy(() => {
    const inv = flow.inverse(tf.tensor2d(o.x, [m, dim]));
    const noise = tf.tensor2d(o.rng.normals(new Float32Array(m * flow.dim), scale), [m, flow.dim]);
    const fwd = flow.forward(tf.add(inv.z, noise) as tf.Tensor2D);
    return [fwd.x.dataSync() as Float32Array, fwd.logDet.dataSync() as Float32Array, inv.logDet.dataSync() as Float32Array];
  });
  const x = Float32Array.from(o.x);
  const u = Float64Array.from(o.u);
  const accepted = new Uint8Array(m);
  const row = new Float64Array(dim);
  let nAccepted = 0;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < dim; j++) row[j] = xNew![i * dim + j]!;
    const uNew = system.energy64(row);
    const logA = accept(uNew, ldZX![i]!, u[i]!, ldXZ![i]!, o.tau);
    // NaN compares false: rejected.
    if (Math.log(o.rng.uniform()) < logA) {
      x.set(xNew!.subarray(i * dim, (i + 1) * dim), i * dim);
      u[i] = uNew;
      accepted[i] = 1;
      nAccepted++;
    }
  }
  return { x, u, accepted, nAccepted };
}

/** `f` of every row of row-major configurations, each row copied to float64 first. */
export function perRow64(x: ArrayLike<number>, dim: number, f: (row: Float64Array) => number): Float64Array {
  const n = x.length / dim;
  const out = new Float64Array(n);
  const row = new Float64Array(dim);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < dim; j++) row[j] = x[i * dim + j]!;
    out[i] = f(row);
  }
  return out;
}

/** float64 reduced energies of row-major configurations. */
export function energies64(system: ModelSystem, x: ArrayLike<number>, dim: number): Float64Array {
  return perRow64(x, dim, (row) => system.energy64(row));
}

/**
 * `chains` parallel latent Metropolis chains with a fixed flow, keeping every stride-th state of each
 * (rows ordered by kept step, then chain). With a trained flow, large latent moves cross barriers
 * that plain Metropolis in x cannot.
 */
export function latentMetropolis(
  flow: Flow,
  system: ModelSystem,
  o: { x0: Float32Array; nSteps: number; stride: number; burnIn?: number; step: number; tau: number; rng: Rng; logAcceptance?: LogAcceptance },
): { samples: Float32Array; acceptance: number } {
  const dim = xDimOf(flow);
  const chains = o.x0.length / dim;
  const kept = Math.floor(o.nSteps / o.stride);
  const samples = new Float32Array(kept * chains * dim);
  let x = o.x0;
  let u = energies64(system, x, dim);
  let accepted = 0;
  let k = 0;
  for (let t = 1 - (o.burnIn ?? 0); t <= o.nSteps; t++) {
    const r = latentMcStep(flow, system, { x, u, step: o.step, tau: o.tau, rng: o.rng, ...(o.logAcceptance ? { logAcceptance: o.logAcceptance } : {}) });
    x = r.x;
    u = r.u;
    if (t > 0) accepted += r.nAccepted;
    if (t > 0 && t % o.stride === 0) samples.set(x, (k++ * chains) * dim);
  }
  return { samples, acceptance: o.nSteps > 0 ? accepted / (o.nSteps * chains) : 0 };
}

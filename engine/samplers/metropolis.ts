import type { ModelSystem } from '../energies/types';
import type { Rng } from '../rng';

export interface MetropolisOptions {
  x0: Float64Array;
  /** Production steps (after burn-in). */
  nSteps: number;
  /** Keep every stride-th production step: floor(nSteps / stride) samples. */
  stride: number;
  /** Std of the Gaussian proposal, applied to all coordinates at once (as the published code does). */
  step: number;
  tau: number;
  rng: Rng;
  /** Steps run and discarded before production (default 0). */
  burnIn?: number;
}

export interface MetropolisResult {
  /** Row-major [nKept, dim]. */
  samples: Float64Array;
  /** u(x) of each kept sample (reduced, not divided by τ). */
  energies: Float64Array;
  /** Accepted fraction of the production steps. */
  acceptance: number;
}

/** Exact float64 Metropolis with a symmetric Gaussian proposal: accept iff ln U < −Δu/τ. */
export function metropolis(system: ModelSystem, opts: MetropolisOptions): MetropolisResult {
  const { nSteps, stride, step, tau, rng, burnIn = 0 } = opts;
  const dim = system.dim;
  if (opts.x0.length !== dim) throw new Error(`metropolis: x0 has length ${opts.x0.length}, system dim is ${dim}`);
  if (!(Number.isInteger(nSteps) && nSteps >= 0 && Number.isInteger(stride) && stride >= 1))
    throw new Error('metropolis: nSteps must be an integer ≥ 0 and stride an integer ≥ 1');
  if (!(tau > 0 && step > 0)) throw new Error('metropolis: tau and step must be > 0');

  const nKept = Math.floor(nSteps / stride);
  const samples = new Float64Array(nKept * dim);
  const energies = new Float64Array(nKept);
  // Two buffers, swapped on acceptance: no allocation inside the loop.
  let x = Float64Array.from(opts.x0);
  let y = new Float64Array(dim);
  let u = system.energy64(x);
  if (!Number.isFinite(u)) throw new Error(`metropolis: non-finite start energy ${u}`);
  let accepted = 0;
  let kept = 0;

  for (let t = 1 - burnIn; t <= nSteps; t++) {
    for (let i = 0; i < dim; i++) y[i] = x[i]! + step * rng.normal();
    const uy = system.energy64(y);
    // NaN uy compares false: rejected.
    if (Math.log(rng.uniform()) < -(uy - u) / tau) {
      const tmp = x;
      x = y;
      y = tmp;
      u = uy;
      if (t > 0) accepted++;
    }
    if (t > 0 && t % stride === 0) {
      samples.set(x, kept * dim);
      energies[kept++] = u;
    }
  }
  return { samples, energies, acceptance: nSteps > 0 ? accepted / nSteps : 0 };
}

export interface MetropolisStatesOptions {
  /** Samples kept per state. */
  perState: number;
  tau: number;
  rng: Rng;
  /** Default `system.mcStep`. */
  step?: number;
  /** Default 10. */
  stride?: number;
  /** Default 1000. */
  burnIn?: number;
}

export interface MetropolisStatesResult extends MetropolisResult {
  /** Acceptance of the chain started in state A and of the one started in state B. */
  acceptanceByChain: [number, number];
}

/**
 * Training data "by example": one chain from `start(0)`, one from `start(1)`, concatenated
 * (rows 0..perState−1 from A's chain). Chains need not stay in their state; `acceptance` is the mean.
 */
export function metropolisStates(system: ModelSystem, opts: MetropolisStatesOptions): MetropolisStatesResult {
  const { perState, tau, rng, step = system.mcStep, stride = 10, burnIn = 1000 } = opts;
  const run = (state: 0 | 1): MetropolisResult =>
    metropolis(system, { x0: system.start(state), nSteps: perState * stride, stride, step, tau, rng, burnIn });
  const a = run(0);
  const b = run(1);
  const samples = new Float64Array(a.samples.length + b.samples.length);
  samples.set(a.samples);
  samples.set(b.samples, a.samples.length);
  const energies = new Float64Array(a.energies.length + b.energies.length);
  energies.set(a.energies);
  energies.set(b.energies, a.energies.length);
  return {
    samples,
    energies,
    acceptance: (a.acceptance + b.acceptance) / 2,
    acceptanceByChain: [a.acceptance, b.acceptance],
  };
}

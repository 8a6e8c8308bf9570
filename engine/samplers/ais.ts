import type { ModelSystem } from '../energies/types';
import { xDimOf, type Flow } from '../flows/types';
import { kishEss, logSumExp } from '../reweighting';
import type { Rng } from '../rng';
import { hmcMove } from './latent-hmc';
import { evaluate, logPi, takeRow, type Chains } from './latent-path';

/**
 * Annealed importance sampling (Neal 2001) from the flow towards a target, run in the latent space
 * (docs/science.md, "Annealed importance sampling"). There the flow's density is the standard
 * normal q_z and the target p(x) ∝ exp(−u(x)/τ) pulls back to log p_z(z) = −u(F(z))/τ + log|det J_zx(z)|,
 * so one code path serves every flow (Cartesian, mixed, periodic bases), and random-walk
 * Metropolis moves in z need no knowledge of the coordinates. The target γ = p^α q^(1−α): α = 1 is
 * p itself, α = 2 is FAB's p²/q (Midgley et al. 2023), whose pullback is p_z²/q_z. The geometric path
 * log π_β = (1 − β) log q_z + β log γ, β from 0 to 1 over `intermediate` + 1 equal steps; each
 * intermediate level gets `transitions` Metropolis moves. Weights accumulate in float64.
 */
export interface AisOptions {
  /** Chains (samples) to run. */
  readonly n: number;
  readonly tau: number;
  /** 1: towards p; 2: towards p²/q (FAB). */
  readonly alpha: 1 | 2;
  /** Intermediate distributions between q and the target (0: plain importance sampling). */
  readonly intermediate: number;
  /** Moves per intermediate level. */
  readonly transitions: number;
  /**
   * The move: random-walk Metropolis in z (one flow pass), or Hamiltonian Monte Carlo with
   * `leapfrog` steps along ∇_z log π_β (flow and energy gradients; crosses barriers random walks
   * in many dimensions do not). Default 'metropolis'.
   */
  readonly kernel?: 'metropolis' | 'hmc';
  readonly leapfrog?: number;
  /** Proposal scale per intermediate level (length `intermediate`); adapted in place when `targetAcceptance` is given. */
  readonly steps: Float64Array;
  /** Move each level's scale towards this acceptance after the run (the run itself uses fixed scales: unbiased). */
  readonly targetAcceptance?: number;
  readonly rng: Rng;
  /** Rows per flow call (bounds the memory of one call). */
  readonly chunk?: number;
}

export interface AisResult {
  readonly n: number;
  /** Final configurations x = F_zx(z), row-major n × xDim (float32: the flow's precision). */
  readonly x: Float32Array;
  /** u(x) in float64. */
  readonly u: Float64Array;
  /** log q_x(x) of the final rows under the flow that ran: log N(z; 0, I) − log|det J_zx(z)|. */
  readonly logQ: Float64Array;
  /** AIS log weights: log w = Σ_k (β_k − β_{k−1})·(log γ − log q_z) along each chain (−∞ for non-finite energies). */
  readonly logW: Float64Array;
  /** Estimate of log Z_γ (the path's target) and its standard error (delta method). */
  readonly logZ: { readonly value: number; readonly se: number };
  /** Estimate of log ∫ exp(−u/τ) (the partition function of p, whatever α): from w·q/p when α = 2. */
  readonly logZp: { readonly value: number; readonly se: number };
  /** Acceptance rate of each intermediate level's moves. */
  readonly acceptance: Float64Array;
  /** Kish ESS of the final weights, as a fraction of n. */
  readonly essFraction: number;
}

export function ais(flow: Flow, system: Pick<ModelSystem, 'energy64'> & Partial<Pick<ModelSystem, 'energy'>>, o: AisOptions): AisResult {
  if (!(o.n >= 1) || !(o.tau > 0)) throw new Error('ais: n must be ≥ 1 and tau > 0');
  if (o.steps.length !== o.intermediate) throw new Error(`ais: ${o.steps.length} step sizes for ${o.intermediate} intermediate levels`);
  const zDim = flow.dim;
  const c = evaluate(flow, system, o.rng.normals(new Float32Array(o.n * zDim)), o);
  const logW = new Float64Array(o.n);
  const acceptance = new Float64Array(o.intermediate);
  const levels = o.intermediate + 1;
  for (let k = 1; k <= levels; k++) {
    const dBeta = 1 / levels;
    for (let i = 0; i < o.n; i++) logW[i]! += incrementOf(dBeta, o.alpha, c.logPz[i]!, c.logQz[i]!);
    if (k === levels) break;
    const beta = k / levels;
    let accepted = 0;
    for (let t = 0; t < o.transitions; t++) accepted += o.kernel === 'hmc' ? hmcMove(flow, withTfEnergy(system), c, beta, o.steps[k - 1]!, o) : metropolis(flow, system, c, beta, o.steps[k - 1]!, o);
    acceptance[k - 1] = o.transitions > 0 ? accepted / (o.transitions * o.n) : Number.NaN;
  }
  if (o.targetAcceptance !== undefined && o.transitions > 0) adaptSteps(o.steps, acceptance, o.targetAcceptance);
  const logQ = c.logQz.map((v, i) => v - c.logDet[i]!);
  // w·q_z/p_z = w/(p_z/q_z)^(α−1): the ratio that turns weights for γ into weights for p.
  const toP = o.alpha === 1 ? logW : logW.map((w, i) => w - (o.alpha - 1) * (c.logPz[i]! - c.logQz[i]!));
  return { n: o.n, x: c.x, u: c.u, logQ, logW, logZ: logMeanExp(logW), logZp: logMeanExp(toP), acceptance, essFraction: kishEss(logW) / o.n };
}

/** (β_k − β_{k−1})·(log γ − log q_z), with log γ − log q_z = α·(log p_z − log q_z); −∞ stays −∞. */
function incrementOf(dBeta: number, alpha: number, logPz: number, logQz: number): number {
  const d = alpha * (logPz - logQz);
  return Number.isFinite(d) ? dBeta * d : -Infinity;
}

function withTfEnergy(system: Pick<ModelSystem, 'energy64'> & Partial<Pick<ModelSystem, 'energy'>>): Pick<ModelSystem, 'energy64' | 'energy'> {
  if (!system.energy) throw new Error('ais: HMC moves need the system\'s tfjs energy (its gradient)');
  return system as Pick<ModelSystem, 'energy64' | 'energy'>;
}

/** One random-walk Metropolis move of every chain at level β; returns how many were accepted. */
function metropolis(flow: Flow, system: Pick<ModelSystem, 'energy64'>, c: Chains, beta: number, step: number, o: AisOptions): number {
  const zDim = flow.dim;
  const xDim = xDimOf(flow);
  const zNew = o.rng.normals(new Float32Array(o.n * zDim), step);
  for (let i = 0; i < zNew.length; i++) zNew[i]! += c.z[i]!;
  const p = evaluate(flow, system, zNew, o);
  let accepted = 0;
  for (let i = 0; i < o.n; i++) {
    const logA = logPi(beta, o.alpha, p.logPz[i]!, p.logQz[i]!) - logPi(beta, o.alpha, c.logPz[i]!, c.logQz[i]!);
    // A chain whose current state has −∞ density takes any finite proposal (NaN compares false).
    if (!(Math.log(o.rng.uniform()) < logA) && Number.isFinite(c.logPz[i]!)) continue;
    if (!Number.isFinite(p.logPz[i]!)) continue;
    takeRow(c, p, i, zDim, xDim);
    accepted++;
  }
  return accepted;
}

/** Multiplicative step-size update towards the target acceptance, kept within [1e-4, 10]. */
function adaptSteps(steps: Float64Array, acceptance: Float64Array, target: number): void {
  for (let k = 0; k < steps.length; k++) {
    const a = acceptance[k]!;
    if (Number.isFinite(a)) steps[k] = Math.min(10, Math.max(1e-4, steps[k]! * Math.exp(a - target)));
  }
}

/** log mean exp(a) with the delta-method standard error sd(w)/(mean(w)·√n); −∞ when no weight is finite. */
export function logMeanExp(a: Float64Array): { value: number; se: number } {
  const n = a.length;
  const lse = logSumExp(a);
  if (!Number.isFinite(lse)) return { value: -Infinity, se: Number.NaN };
  // Weights relative to their mean: w_i / mean(w) = exp(a_i − lse)·n.
  let sq = 0;
  for (let i = 0; i < n; i++) {
    const r = Number.isFinite(a[i]!) ? n * Math.exp(a[i]! - lse) : 0;
    sq += (r - 1) ** 2;
  }
  const sd = n > 1 ? Math.sqrt(sq / (n - 1)) : Number.NaN;
  return { value: lse - Math.log(n), se: sd / Math.sqrt(n) };
}

import { bar } from './bar';
import { evaluateRows } from './evaluate';
import type { ModelSystem } from './energies/types';
import { flowLogDensity, gaussianLogNorm } from './flows/density';
import type { Flow } from './flows/types';

/**
 * Both directions between the flow and p, state by state (docs/science.md, "Bidirectional
 * estimates"): flow samples (forward) and equilibrium data the flow was not trained on (reverse)
 * give each state's log Z by BAR, ΔF from those, and the forward divergence KL(p_s ‖ q_s) in nats,
 * which says how far the flow is from the state: importance sampling needs on the order of
 * exp(KL) samples (Chatterjee & Diaconis 2018), so a KL of tens of nats explains collapsed weights
 * that no amount of sampling repairs.
 */
export interface StateOverlap {
  readonly nFlow: number;
  readonly nData: number;
  /** KL(p_s ‖ q_s) = E_{p_s}[log w] − log(Z_s/Q_s), nats; null where it is not finite. */
  readonly klForward: number | null;
}

export interface Bidirectional {
  /** F_B − F_A in units of kT, by BAR in each state; null where a state has no samples or data. */
  readonly deltaF: { readonly value: number | null; readonly stderr: number | null };
  readonly states: readonly [StateOverlap, StateOverlap];
}

/**
 * `flowLogw`: the log weights −u/τ − log q (up to one constant shared with `dataLogw`) of n flow
 * samples, all of them (a sample outside both states still counts in each state's share of q);
 * `dataLogw`: the same function on data drawn from p. States: 0 = A, 1 = B, −1 = neither.
 */
export function bidirectional(flowLogw: ArrayLike<number>, flowState: ArrayLike<number>, dataLogw: ArrayLike<number>, dataState: ArrayLike<number>): Bidirectional {
  const n = flowLogw.length;
  const per = ([0, 1] as const).map((s) => {
    const fwd = pick(flowLogw, flowState, s), rev = pick(dataLogw, dataState, s);
    // BAR against q restricted to the state, whose mass is Q_s = n_s/n: log Z_s = log(Z_s/Q_s) + log Q_s.
    const b = bar(fwd, rev);
    const logQ = Math.log(fwd.length / n);
    const meanRev = rev.reduce((a, v) => a + v, 0) / rev.length;
    const kl = meanRev - b.value;
    return { logZ: b.value + logQ, se: b.se, q: fwd.length / n, overlap: { nFlow: fwd.length, nData: rev.length, klForward: Number.isFinite(kl) ? kl : null } };
  });
  const [a, b] = per as [(typeof per)[0], (typeof per)[0]];
  const value = a.logZ - b.logZ;
  // The shares Q_A, Q_B are multinomial: var(log Q_A − log Q_B) = (1 − Q_A)/(n Q_A) + (1 − Q_B)/(n Q_B) + 2/n.
  const shareVar = (1 - a.q) / (n * a.q) + (1 - b.q) / (n * b.q) + 2 / n;
  const stderr = Math.sqrt(a.se ** 2 + b.se ** 2 + shareVar);
  const ok = Number.isFinite(value) && Number.isFinite(stderr);
  return { deltaF: { value: ok ? value : null, stderr: ok ? stderr : null }, states: [a.overlap, b.overlap] };
}

function pick(v: ArrayLike<number>, state: ArrayLike<number>, s: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < v.length; i++) if (state[i] === s) out.push(v[i]!);
  return out;
}

/**
 * −u/τ + |z|²/(2τ) − log|det J_xz(x)| of each data row with z = F_xz(x): the log weight a flow
 * sample at x would carry (engine/reweighting.ts `logWeights`, same constant: log q_τ without its
 * normalisation), and each row's state.
 */
export function dataLogWeights(flow: Flow, system: ModelSystem, x: Float64Array, tau: number, chunk = 4096): { logw: Float64Array; state: Int8Array } {
  const { u, state } = evaluateRows(system, x);
  return { logw: rowLogWeights({ u, logQ: flowLogDensity(flow, Float32Array.from(x), tau, chunk), zDim: flow.dim, tau }), state };
}

/**
 * `dataLogWeights` of rows whose energies and log q_τ are known (`flowLogDensity` of a flow of
 * latent dimension `zDim`): −u/τ − log q_τ − (d/2)·ln(2πτ); a non-finite energy gives −∞.
 */
export function rowLogWeights(r: { readonly u: ArrayLike<number>; readonly logQ: Float64Array; readonly zDim: number; readonly tau: number }): Float64Array {
  const logNorm = gaussianLogNorm(r.zDim, r.tau);
  return r.logQ.map((lq, i) => {
    const u = r.u[i]!;
    const lw = -u / r.tau - lq - logNorm;
    return Number.isFinite(u) && !Number.isNaN(lw) ? lw : -Infinity;
  });
}

import type { ModelSystem } from '../energies/types';
import type { Flow } from '../flows/types';
import type { Rng } from '../rng';
import { sampleFlow, type GeneratedSamples } from '../sampling';

export interface IndependenceResult {
  readonly tau: number;
  readonly dim: number;
  /** The chain, one row per step (repeats where a proposal was rejected). */
  readonly x: Float32Array;
  readonly u: Float64Array;
  readonly rc: Float64Array;
  readonly state: Int8Array;
  readonly acceptance: number;
}

/**
 * Independence Metropolis–Hastings with the generator as proposal (docs/science.md): z' ~ N(0, τ·I),
 * x' = F_zx(z'). The latent-MC ratio with an independent proposal reduces to the ratio of importance
 * weights, log α = log w(x') − log w(x), so the chain is an exact MCMC sampler of exp(−u/τ) however
 * imperfect the generator (imperfection costs acceptance, not bias). The proposals are one batched
 * `sampleFlow` call; the chain itself is a cheap sequential pass over their weights. The first
 * proposal with a finite weight starts the chain (it is a draw from the generator, not an arbitrary
 * point, so no burn-in is needed beyond what the acceptance rate implies).
 */
export async function independenceSampler(
  flow: Flow,
  system: ModelSystem,
  o: { n: number; tau: number; chunk: number; rng: Rng; signal?: AbortSignal },
): Promise<IndependenceResult> {
  return independenceChain(await sampleFlow(flow, system, o), o.rng);
}

/** The chain over already generated proposals (in their order): no flow calls, cheap. */
export function independenceChain(p: GeneratedSamples, rng: Rng): IndependenceResult {
  const { dim, tau } = p;
  const { index, acceptance } = independenceIndices(p.logw, rng);
  const n = index.length;
  const x = new Float32Array(n * dim);
  const u = new Float64Array(n);
  const rc = new Float64Array(n);
  const state = new Int8Array(n);
  for (let i = 0; i < n; i++) {
    const c = index[i]!;
    x.set(p.x.subarray(c * dim, (c + 1) * dim), i * dim);
    u[i] = p.u[c]!;
    rc[i] = p.rc[c]!;
    state[i] = p.state[c]!;
  }
  return { tau, dim, x, u, rc, state, acceptance };
}

/**
 * The chain as indices into the proposals: index[i] is the proposal the chain holds at step i.
 * Lets callers that need only labels (the ΔF cross-check) skip copying configurations.
 */
export function independenceIndices(logw: Float64Array, rng: Rng): { index: Uint32Array; acceptance: number } {
  const n = logw.length;
  const index = new Uint32Array(n);
  let cur = logw.findIndex((w) => Number.isFinite(w));
  if (cur < 0) throw new Error('independenceSampler: no proposal has a finite weight (the generator only makes overlapping configurations)');
  let accepted = 0;
  for (let i = 0; i < n; i++) {
    // NaN or −Infinity proposals compare false: rejected.
    if (i !== cur && Math.log(rng.uniform()) < logw[i]! - logw[cur]!) {
      cur = i;
      accepted++;
    }
    index[i] = cur;
  }
  return { index, acceptance: n > 1 ? accepted / (n - 1) : 0 };
}

/**
 * ΔF_AB = −ln(n_B / n_A) from a chain's state labels, with a batch-means error: the chain is cut
 * into `blocks` consecutive blocks, the spread of the block fractions of B gives the error of the
 * overall fraction p, propagated as δΔF = δp / (p(1 − p)). Samples in neither state are left out.
 * Null where a state is never visited (ΔF unbounded), the chain is shorter than the block count, or
 * fewer than two blocks hold samples of either state (no spread to measure).
 */
export function chainDeltaF(state: Int8Array, blocks = 20): { value: number; stderr: number } | null {
  const n = state.length;
  if (n < blocks || blocks < 2) return null;
  const size = Math.floor(n / blocks);
  const frac: number[] = [];
  let a = 0;
  let b = 0;
  for (let k = 0; k < blocks; k++) {
    let ka = 0;
    let kb = 0;
    for (let i = k * size; i < (k + 1) * size; i++) {
      if (state[i] === 0) ka++;
      else if (state[i] === 1) kb++;
    }
    a += ka;
    b += kb;
    if (ka + kb > 0) frac.push(kb / (ka + kb));
  }
  if (a === 0 || b === 0 || frac.length < 2) return null;
  const p = b / (a + b);
  const mean = frac.reduce((s, f) => s + f, 0) / frac.length;
  const variance = frac.reduce((s, f) => s + (f - mean) ** 2, 0) / (frac.length - 1);
  return { value: -Math.log(b / a), stderr: Math.sqrt(variance / frac.length) / (p * (1 - p)) };
}

import { stateIndices } from '../../contract/states';
import { abortError, yieldToEventLoop } from '../cancel';
import type { ModelSystem } from '../energies/types';
import { xDimOf, type Flow } from '../flows/types';
import type { Rng } from '../rng';
import type { GeneratedSamples } from '../sampling';
import { ais, type AisOptions } from './ais';
import { perRow64 } from './latent-mc';

/**
 * Sampling by annealed importance sampling from the flow towards p at τ (the FAB paper's "flow
 * with AIS" estimator): each sample is the end of one AIS chain and its weight the AIS weight, so
 * every estimate downstream (ESS, ΔF, profiles) reads it like a flow sample. Unbiased for any step
 * sizes as long as they are fixed: `pilotSteps` adapts them on separate chains first.
 */
export interface AisSamplingOptions {
  readonly intermediate: number;
  readonly transitions: number;
  readonly kernel: 'metropolis' | 'hmc';
  readonly leapfrog: number;
  readonly step: number;
  readonly pilotRounds: number;
  readonly pilotChains: number;
}

/** Acceptance the pilot steers each level towards: HMC's usual 0.8, random-walk Metropolis 0.5. */
const TARGET = { hmc: 0.8, metropolis: 0.5 } as const;

const base = (a: AisSamplingOptions, tau: number, rng: Rng, chunk: number): Omit<AisOptions, 'n' | 'steps'> => ({
  tau,
  alpha: 1,
  intermediate: a.intermediate,
  transitions: a.transitions,
  kernel: a.kernel,
  leapfrog: a.leapfrog,
  rng,
  chunk,
});

/**
 * Per-level step sizes for τ, adapted on `pilotRounds` runs of `pilotChains` chains whose samples
 * are discarded. A cancel is honoured between rounds (a 76-D HMC pilot round takes about a minute).
 */
export async function pilotSteps(flow: Flow, system: ModelSystem, a: AisSamplingOptions, tau: number, rng: Rng, chunk: number, signal?: AbortSignal): Promise<Float64Array> {
  const steps = new Float64Array(a.intermediate).fill(a.step);
  for (let r = 0; r < a.pilotRounds; r++) {
    await yieldToEventLoop();
    if (signal?.aborted) throw abortError();
    ais(flow, system, { ...base(a, tau, rng, chunk), n: a.pilotChains, steps, targetAcceptance: TARGET[a.kernel] });
  }
  return steps;
}

/** n AIS samples at τ with fixed `steps`, in passes of `chunk` chains (independent runs: memory stays bounded). */
export async function sampleFlowAis(
  flow: Flow,
  system: ModelSystem,
  o: { n: number; tau: number; chunk: number; rng: Rng; ais: AisSamplingOptions; steps: Float64Array; signal?: AbortSignal | undefined },
): Promise<GeneratedSamples & { readonly acceptance: Float64Array }> {
  const dim = xDimOf(flow);
  const x = new Float32Array(o.n * dim);
  const u = new Float64Array(o.n);
  const logw = new Float64Array(o.n);
  const acceptance = new Float64Array(o.ais.intermediate);
  for (let start = 0; start < o.n; start += o.chunk) {
    await yieldToEventLoop();
    if (o.signal?.aborted) throw abortError();
    const m = Math.min(o.chunk, o.n - start);
    const r = ais(flow, system, { ...base(o.ais, o.tau, o.rng, o.chunk), n: m, steps: o.steps });
    x.set(r.x, start * dim);
    u.set(r.u, start);
    logw.set(r.logW, start);
    r.acceptance.forEach((v, k) => (acceptance[k]! += (v * m) / o.n));
  }
  const rc = perRow64(x, dim, (row) => system.rc64(row));
  return { tau: o.tau, dim, x, u, logw, rc, state: stateIndices(rc, system.states), acceptance };
}

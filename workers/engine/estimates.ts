import { bootstrapDeltaF, bootstrapProfile, type Bins } from './analysis';
import type { ModelSystem } from './energies/types';
import { quadratureReference } from './reference/quadrature';
import { essFraction, kishEss } from './reweighting';
import type { Rng } from './rng';
import type { GeneratedSamples } from './sampling';

/** Everything a run reports at one temperature. */
export interface TemperatureEstimate {
  readonly tau: number;
  readonly nSamples: number;
  readonly ess: number;
  /** ESS / N. ESS alone hides mode dropping: always read it next to ΔF. */
  readonly essFraction: number;
  /** Fraction of (unweighted) generated samples in each state: a mode-dropping check. */
  readonly stateFractions: { readonly A: number; readonly B: number };
  readonly deltaF: { readonly A: string; readonly B: string; readonly value: number; readonly stderr: number };
  readonly profile: { readonly centers: number[]; readonly F: (number | null)[]; readonly stderr: (number | null)[] };
  /** Exact quadrature, where the system has it. */
  readonly exact?: { readonly deltaF: number; readonly profile: { readonly F: (number | null)[] } };
}

/** Reweighted estimates (ΔF_AB, profile, ESS) with bootstrap error bars, plus the exact reference. */
export function estimate(
  system: ModelSystem,
  s: GeneratedSamples,
  o: { bins: Bins; bootstrap: number; rng: Rng },
): TemperatureEstimate {
  const [A, B] = system.states;
  const n = s.logw.length;
  let inA = 0;
  let inB = 0;
  for (let i = 0; i < n; i++) {
    if (s.state[i] === 0) inA++;
    else if (s.state[i] === 1) inB++;
  }
  const resamples = Math.max(o.bootstrap, 2);
  const dF = bootstrapDeltaF(s.logw, s.rc, [A, B], { resamples, rng: o.rng });
  const profile = bootstrapProfile(s.logw, s.rc, o.bins, { resamples, rng: o.rng });
  const exact = system.quadrature ? quadratureReference(system, s.tau, o.bins) : undefined;
  return {
    tau: s.tau,
    nSamples: n,
    ess: kishEss(s.logw),
    essFraction: essFraction(s.logw),
    stateFractions: { A: inA / n, B: inB / n },
    deltaF: { A: A.name, B: B.name, value: dF.value, stderr: dF.stderr },
    profile,
    ...(exact ? { exact: { deltaF: exact.deltaF, profile: { F: exact.profile.F } } } : {}),
  };
}

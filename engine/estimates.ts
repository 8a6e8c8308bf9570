import { bootstrapDeltaF, bootstrapProfile, type Bins } from './analysis';
import type { ModelSystem } from './energies/types';
import { quadratureReference } from './reference/quadrature';
import { essFraction, kishEss } from './reweighting';
import type { Rng } from './rng';
import type { GeneratedSamples } from './sampling';
import type { TemperatureEstimate } from '../contract/run-result';

/** Below this many effective samples the weights have collapsed onto a few configurations. */
const MIN_ESS = 50;
/** Below this unweighted fraction a state is barely generated: a sign of mode dropping. */
const MIN_STATE_FRACTION = 1e-3;

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
  const dF = bootstrapDeltaF(s.logw, s.rc, [A, B], { resamples: o.bootstrap, rng: o.rng });
  const profile = bootstrapProfile(s.logw, s.rc, o.bins, { resamples: o.bootstrap, rng: o.rng });
  const exact = system.quadrature ? quadratureReference(system, s.tau, o.bins) : undefined;
  const ess = kishEss(s.logw);
  const warnings: string[] = [];
  if (ess < MIN_ESS) {
    warnings.push(`ESS is ${ess.toFixed(1)} samples of ${n} at τ=${s.tau}: the weights have collapsed, so ΔF and the profile are not reliable`);
  }
  for (const [state, count] of [[A, inA], [B, inB]] as const) {
    if (count / n < MIN_STATE_FRACTION) {
      warnings.push(`state '${state.name}' holds ${count} of ${n} generated samples at τ=${s.tau}: possible mode dropping`);
    }
  }
  return {
    tau: s.tau,
    nSamples: n,
    ess,
    essFraction: essFraction(s.logw),
    stateFractions: { A: inA / n, B: inB / n },
    deltaF: { A: A.name, B: B.name, value: finiteOrNull(dF.value), stderr: finiteOrNull(dF.stderr) },
    profile,
    ...(exact ? { exact: { deltaF: exact.deltaF, profile: { F: exact.profile.F } } } : {}),
    warnings,
  };
}

/** JSON has no NaN or Infinity: say "no value" explicitly. */
function finiteOrNull(v: number): number | null {
  return Number.isFinite(v) ? v : null;
}

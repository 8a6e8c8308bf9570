import type { TemperatureEstimate } from '../../contract/run-result';
import { BIDIRECTIONAL_MAX_ROWS } from '../../contract/run-spec/cost';
import { referenceDataTau } from '../../contract/run-spec/generator';
import { bidirectional, dataLogWeights } from '../../engine/bidirectional';
import type { GeneratedSamples } from '../../engine/sampling';
import { evenlySpacedRows } from '../../engine/train/held-out';
import type { Run } from './train-setup';

/**
 * BAR and each state's KL(p ‖ q) between the flow's samples at τ and the held-out data
 * (`training.heldOut`), where those data are equilibrium samples at τ and the samples are plain
 * flow samples (AIS weights are not q's). Undefined otherwise. The warning says when a state's KL
 * exceeds log n: then n samples cannot be expected to reweight it.
 */
export function heldOutOverlap(run: Run, s: GeneratedSamples): { bidirectional?: TemperatureEstimate['bidirectional']; warning?: string } {
  const { spec, heldOut, built, system } = run;
  if (!heldOut || spec.sampling.ais || referenceDataTau(spec) !== s.tau) return {};
  const rows = evenlySpacedRows(heldOut, system.dim, BIDIRECTIONAL_MAX_ROWS);
  const data = dataLogWeights(built.flow, system, rows, s.tau);
  const b = bidirectional(s.logw, s.state, data.logw, data.state);
  const [A, B] = system.states;
  const kl = { A: b.states[0].klForward, B: b.states[1].klForward };
  const out = { deltaF: b.deltaF, klForward: kl, nData: { A: b.states[0].nData, B: b.states[1].nData } };
  const far = ([[A.name, kl.A], [B.name, kl.B]] as const).filter(([, k]) => k !== null && k > Math.log(s.logw.length));
  if (!far.length) return { bidirectional: out };
  const list = far.map(([name, k]) => `'${name}' ${k!.toFixed(1)} nats`).join(', ');
  return { bidirectional: out, warning: `KL(p‖q) against the held-out data at τ=${s.tau}: ${list}; importance sampling needs ~exp(KL) samples, more than the ${s.logw.length} drawn, so the weights cannot be trusted whatever their ESS says` };
}

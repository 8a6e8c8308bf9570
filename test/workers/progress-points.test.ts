import { describe, expect, it } from 'vitest';
import type { RunEvent } from '../../contract/run-result';
import { createProgressLine, eventPoints } from '../../workers/jobs/progress-points';

const fabRound: RunEvent = { type: 'sampler', kind: 'fab', step: 40, temperature: 1, essFraction: 0.25, acceptance: 0.5, logZ: 11.02, logZSe: 0.03, bufferSize: 4096, bufferAge: 3.5 };
const train: RunEvent = { type: 'train', stage: 0, stageName: 'FAB', step: 41, totalSteps: 100, loss: { total: 1, ml: 1, kl: 0, rc: 0 }, gradNorm: 2, skippedSteps: 0 };

describe('sampler progress', () => {
  it('becomes one point per reported value on the sampler series', () => {
    expect(eventPoints(fabRound).map((p) => [p.series, p.step, p.value])).toEqual([
      ['sampler.temperature', 40, 1],
      ['sampler.ess', 40, 0.25],
      ['sampler.acceptance', 40, 0.5],
      ['sampler.logZ', 40, 11.02],
      ['sampler.bufferSize', 40, 4096],
      ['sampler.bufferAge', 40, 3.5],
    ]);
    // Annealing reports no acceptance and no log Z: no points for them (not NaN points).
    const rung: RunEvent = { type: 'sampler', kind: 'anneal', step: 301, temperature: 2, essFraction: Number.NaN, bufferSize: 2000, bufferAge: 0 };
    expect(eventPoints(rung).map((p) => p.series)).toEqual(['sampler.temperature', 'sampler.bufferSize', 'sampler.bufferAge']);
  });

  it('is appended to the training line until the next round', () => {
    const line = createProgressLine();
    expect(line(fabRound, null)).toBeNull();
    expect(line(train, null)!.message).toMatch(/FAB step 41\/100 .* AIS acc 0\.500 ESS 0\.250 logZ 11\.020 ± 0\.030 buffer 4096$/);
  });
});

describe('held-out checks', () => {
  it('become the NLL point and one KL point per state with a finite KL', () => {
    const both: RunEvent = { type: 'heldOut', step: 30, nll: 1.25, klForward: { A: 0.4, B: 2.5 } };
    expect(eventPoints(both).map((p) => [p.series, p.step, p.value])).toEqual([
      ['heldOut.ml', 30, 1.25],
      ['heldOut.klA', 30, 0.4],
      ['heldOut.klB', 30, 2.5],
    ]);
    // A state the probe missed has no KL: no point (not a NaN point); data at τ ≠ 1 give none at all.
    expect(eventPoints({ type: 'heldOut', step: 31, nll: 1.2, klForward: { A: 0.3, B: null } }).map((p) => p.series)).toEqual(['heldOut.ml', 'heldOut.klA']);
    expect(eventPoints({ type: 'heldOut', step: 32, nll: 1.2 }).map((p) => p.series)).toEqual(['heldOut.ml']);
  });
});

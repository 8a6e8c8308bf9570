import { describe, expect, it } from 'vitest';
import { parseRunSpec, type GeneratorSpec } from '../../contract/run-spec';
import { essFraction } from '../../engine/reweighting';
import { runTrainSample } from '../../workers/jobs/train-sample';

// One ESS has heavy tails, so a run can report several fresh draws: `sampling.draws` draws n more
// samples per temperature after the stored ones, and the stored samples do not depend on it.

function spec(draws: number, layers = 'RR'): GeneratorSpec {
  const r = parseRunSpec({
    system: { name: 'double-well' },
    backend: 'wasm',
    data: { source: 'metropolis', perState: 300, stride: 5, burnIn: 200 },
    flow: { layers, hidden: [16] },
    training: { stages: [{ iterations: 60, lr: 1e-3, batch: 128, wML: 1 }] },
    sampling: { n: 2000, draws },
    analysis: { bootstrap: 5, pathPoints: 0 },
  });
  if (!r.ok || r.spec.method !== 'generator') throw new Error('spec');
  return r.spec;
}

describe('sampling.draws', () => {
  it('reports the ESS of each fresh draw; the first is the stored samples\', which draws leave unchanged', async () => {
    const one = await runTrainSample(spec(1), { seed: 3 });
    const three = await runTrainSample(spec(3), { seed: 3 });
    expect(one.result.temperatures[0]!.essDraws).toBeUndefined();
    const draws = three.result.temperatures[0]!.essDraws!;
    expect(draws).toHaveLength(3);
    expect(draws[0]).toBe(three.result.essFraction);
    expect(draws[0]).toBe(essFraction(three.samples[0]!.logw));
    // Fresh draws differ from each other and from the first.
    expect(new Set(draws).size).toBe(3);
    for (const d of draws) expect(d).toBeGreaterThan(0.05);
    expect(Array.from(three.samples[0]!.x)).toEqual(Array.from(one.samples[0]!.x));
  });

  it('runs a spline flow end to end (Q blocks, intervals fitted on the data)', async () => {
    const r = await runTrainSample(spec(1, 'QQ'), { seed: 5 });
    expect(r.result.essFraction).toBeGreaterThan(0.2);
    expect(r.result.deltaF.value).not.toBeNull();
  });
});

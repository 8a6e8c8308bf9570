import { describe, expect, it } from 'vitest';
import { parseRunSpec, type GeneratorSpec } from '../../contract/run-spec';
import type { RunEvent } from '../../contract/run-result';
import { runTrainSample } from '../../workers/jobs/train-sample';

// `training.essProbe` end to end: the run probes as often and as large as the spec says.
function spec(essProbe: { samples: number; count: number }): GeneratorSpec {
  const r = parseRunSpec({
    system: { name: 'double-well' },
    backend: 'wasm',
    data: { source: 'metropolis', perState: 200, stride: 5, burnIn: 200 },
    flow: { layers: 'RR', hidden: [16] },
    training: { stages: [{ iterations: 120, lr: 1e-3, batch: 64, wML: 1 }], essProbe },
    sampling: { n: 200 },
    analysis: { bootstrap: 2, pathPoints: 0 },
  });
  if (!r.ok || r.spec.method !== 'generator') throw new Error('spec');
  return r.spec;
}

async function probesOf(essProbe: { samples: number; count: number }): Promise<{ step: number; essFraction: number }[]> {
  const events: RunEvent[] = [];
  await runTrainSample(spec(essProbe), { seed: 3, onEvent: (e) => events.push(e) });
  return events.flatMap((e) => (e.type === 'ess' ? [{ step: e.step, essFraction: e.essFraction }] : []));
}

describe('training.essProbe', () => {
  it('probes `count` times over the schedule, each of `samples` draws', async () => {
    const few = await probesOf({ samples: 64, count: 6 });
    expect(few.map((p) => p.step)).toEqual([20, 40, 60, 80, 100, 120]);
    // A probe of n samples reads at least 1/n: a Kish ESS is never below one sample.
    for (const p of few) expect(p.essFraction).toBeGreaterThanOrEqual(1 / 64 - 1e-12);
    const many = await probesOf({ samples: 2048, count: 40 });
    expect(many.map((p) => p.step)).toEqual(Array.from({ length: 40 }, (_, i) => 3 * (i + 1)));
    // Same seed, same flow at step 120; the larger probe draws other samples, so it reads otherwise.
    expect(many.at(-1)!.essFraction).not.toBe(few.at(-1)!.essFraction);
  });
});

import { describe, expect, it } from 'vitest';
import type { JobCheckpoint } from '../../contract/checkpoint';
import { parseRunSpec, type GeneratorSpec } from '../../contract/run-spec';
import type { RunEvent } from '../../contract/run-result';
import { deserializeFlow } from '../../engine/flows/serialize';
import { Rng } from '../../engine/rng';
import { heldOutNll, splitHeldOut } from '../../engine/train/held-out';
import { runTrainSample } from '../../workers/jobs/train-sample';

// Early stopping end to end: a wide flow on 80 double-well frames over-fits within a few hundred
// steps at a high learning rate, so its held-out NLL turns up and the best weights are not the last.
function spec(keepBest: boolean): GeneratorSpec {
  const r = parseRunSpec({
    system: { name: 'double-well' },
    backend: 'wasm',
    data: { source: 'metropolis', perState: 40, stride: 5, burnIn: 200 },
    flow: { layers: 'RRRR', hidden: [64, 64] },
    training: { stages: [{ iterations: 400, lr: 3e-3, batch: 64, wML: 1 }], heldOut: { fraction: 0.25, keepBest } },
    sampling: { n: 500 },
    analysis: { bootstrap: 2, pathPoints: 0 },
  });
  if (!r.ok || r.spec.method !== 'generator') throw new Error('spec');
  return r.spec;
}

/** Run seed 2 and cancel it at the first checkpoint more than 20 steps past `best`; that checkpoint. */
async function interruptAfter(keepBest: boolean, best: number): Promise<JobCheckpoint> {
  const ac = new AbortController();
  let saved: JobCheckpoint | null = null;
  await expect(
    runTrainSample(spec(keepBest), {
      seed: 2, signal: ac.signal, checkpointEverySeconds: 0,
      onCheckpoint: (c) => {
        if (saved || c.phase !== 'train' || c.step <= best + 20) return;
        saved = c;
        ac.abort();
      },
    }),
  ).rejects.toMatchObject({ name: 'AbortError' });
  expect(saved).not.toBeNull();
  return saved!;
}

describe('training.heldOut', () => {
  it('checks the held-out NLL at every probe and ends on the best weights', async () => {
    const events: RunEvent[] = [];
    const out = await runTrainSample(spec(true), { seed: 2, onEvent: (e) => events.push(e) });
    const checks = events.flatMap((e) => (e.type === 'heldOut' ? [e] : []));
    expect(checks.length).toBeGreaterThanOrEqual(40);
    const h = out.result.training!.heldOut!;
    const min = checks.reduce((a, c) => (c.nll < a.nll ? c : a));
    expect([h.bestStep, h.bestNll]).toEqual([min.step, min.nll]);
    expect(h.bestStep).toBeLessThan(400);
    expect(h.restored).toBe(true);
    // The saved generator is the best one: its held-out NLL is the best checked, not the last.
    const heldOut = splitHeldOut(out.reference!, 2, 0.25).heldOut;
    const saved = deserializeFlow(out.flowBytes, new Rng(0));
    expect(heldOutNll(saved.flow, heldOut, 1)).toBeCloseTo(h.bestNll, 4);
    expect(checks.at(-1)!.nll).toBeGreaterThan(h.bestNll + 0.05);
  });

  it('a run resumed after its best step still ends on that step\'s weights (the checkpoint keeps them); without them it would not', async () => {
    let trained: JobCheckpoint | null = null;
    const straight = await runTrainSample(spec(true), { seed: 2, onCheckpoint: (c) => void (c.phase === 'trained' && (trained = c)) });
    const best = straight.result.training!.heldOut!.bestStep;
    // Resumed after training (interrupted while sampling): the report is the trained checkpoint's.
    expect(trained).not.toBeNull();
    const afterTraining = await runTrainSample(spec(true), { seed: 2, resume: trained });
    expect(afterTraining.result.training!.heldOut).toEqual(straight.result.training!.heldOut);
    // …and its reference data (made again from the seed) is the uninterrupted run's.
    expect(afterTraining.reference).toEqual(straight.reference);
    // Interrupt at the first checkpoint past the best step.
    const saved = await interruptAfter(true, best);
    expect(saved!.state.heldOutBest!.step).toBe(best);
    expect(saved!.best!.byteLength).toBeGreaterThan(0);
    const resumed = await runTrainSample(spec(true), { seed: 2, resume: saved });
    expect(resumed.result.training!.heldOut).toEqual(straight.result.training!.heldOut);
    expect(Buffer.from(resumed.flowBytes).equals(Buffer.from(straight.flowBytes))).toBe(true);
    // The same checkpoint without its kept weights (as checkpoints before them were) ends elsewhere.
    const { heldOutBest: _dropped, ...older } = saved!.state;
    const forgetful = await runTrainSample(spec(true), { seed: 2, resume: { ...saved!, best: null, state: older } });
    expect(forgetful.result.training!.heldOut!.bestStep).toBeGreaterThan(best);
    expect(Buffer.from(forgetful.flowBytes).equals(Buffer.from(straight.flowBytes))).toBe(false);
  }, 120_000);

  it('keepBest false: checkpoints carry the best step and NLL but no weights, and a resumed run reports the same best step', async () => {
    const straight = await runTrainSample(spec(false), { seed: 2 });
    const best = straight.result.training!.heldOut!.bestStep;
    const saved = await interruptAfter(false, best);
    expect(saved!.state.heldOutBest).toMatchObject({ step: best });
    expect(saved!.best ?? null).toBeNull();
    // Every checkpoint after the resume still knows the best step (it was lost once: only a kept copy of the weights carried it).
    const later: JobCheckpoint[] = [];
    const resumed = await runTrainSample(spec(false), { seed: 2, resume: saved, checkpointEverySeconds: 0, onCheckpoint: (c) => void (c.phase === 'train' && later.push(c)) });
    expect(later.length).toBeGreaterThan(0);
    for (const c of later) expect(c.state.heldOutBest?.step).toBeGreaterThanOrEqual(best);
    expect(resumed.result.training!.heldOut).toEqual(straight.result.training!.heldOut);
    expect(Buffer.from(resumed.flowBytes).equals(Buffer.from(straight.flowBytes))).toBe(true);
  }, 120_000);

  it('keepBest false reports the best step but ends on the last weights', async () => {
    const out = await runTrainSample(spec(false), { seed: 2 });
    const h = out.result.training!.heldOut!;
    expect(h.restored).toBe(false);
    const saved = deserializeFlow(out.flowBytes, new Rng(0));
    expect(heldOutNll(saved.flow, splitHeldOut(out.reference!, 2, 0.25).heldOut, 1)).toBeGreaterThan(h.bestNll + 0.05);
  });
});

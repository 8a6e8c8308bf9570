import { describe, expect, it } from 'vitest';
import type { JobCheckpoint } from '../../contract/checkpoint';
import { parseRunSpec, type GeneratorSpec } from '../../contract/run-spec';
import { deserializeFlow } from '../../engine/flows/serialize';
import { Rng } from '../../engine/rng';
import { runTrainSample } from '../../workers/jobs/train-sample';

// Spline flows go through every path a flow takes: exploration (latent Metropolis + training on the
// buffer), training by energy with the RC term, checkpoints and resume.

function parse(value: unknown): GeneratorSpec {
  const r = parseRunSpec(value);
  if (!r.ok) throw new Error(r.issues.map((i) => `${i.path}: ${i.message}`).join('; '));
  if (r.spec.method !== 'generator') throw new Error('not a generator spec');
  return r.spec;
}

describe('spline flows in every path', () => {
  it('explore from one configuration with latent Metropolis, then ML+KL+RC on the buffer', async () => {
    const spec = parse({
      system: { name: 'double-well' },
      backend: 'wasm',
      data: { source: 'configuration', start: 'A', noise: 0.01, bufferSize: 1000 },
      explore: { iterations: 150, batch: 128, lr: 1e-3, wML: 1, wKL: 1, wRC: 10, step: 0.5 },
      flow: { layers: 'QQ', hidden: [32], spline: { bins: 8, interval: [-4, 4] } },
      training: { stages: [{ iterations: 60, lr: 1e-3, batch: 256, wML: 1, wKL: 1, wRC: 1 }] },
      sampling: { n: 3000 },
      analysis: { bootstrap: 5, pathPoints: 5 },
    });
    const r = await runTrainSample(spec, { seed: 2 });
    expect(r.result.explore!.acceptance).toBeGreaterThan(0);
    expect(r.result.explore!.buffer.rcMax).toBeGreaterThan(-1); // it moved away from the left minimum
    expect(r.result.training!.steps).toBe(60);
    expect(r.result.path!.t).toHaveLength(5);
    expect(Number.isFinite(r.result.essFraction!)).toBe(true);
  });

  it('resumes from a mid-training checkpoint with the spline intervals and weights it saved', async () => {
    const spec = parse({
      system: { name: 'double-well' },
      backend: 'wasm',
      data: { source: 'metropolis', perState: 300, stride: 5, burnIn: 200 },
      flow: { layers: 'QQ', hidden: [16] },
      training: { stages: [{ iterations: 40, lr: 1e-3, batch: 128, wML: 1 }, { iterations: 40, lr: 1e-3, batch: 128, wML: 1, wKL: 1 }] },
      sampling: { n: 2000 },
      analysis: { bootstrap: 5, pathPoints: 0 },
    });
    const checkpoints: JobCheckpoint[] = [];
    const full = await runTrainSample(spec, { seed: 9, onCheckpoint: (c) => checkpoints.push(c) });
    const stageEnd = checkpoints.find((c) => c.phase === 'train' && c.state.stage === 1)!;
    expect(stageEnd).toBeDefined();
    // The checkpoint's flow carries the fitted intervals (not the default [−5, 5]).
    const saved = deserializeFlow(stageEnd.flow, new Rng(1));
    const lo = (saved.flow.layers[0] as unknown as { lo: { dataSync(): Float32Array } }).lo.dataSync();
    expect(lo[0]).not.toBe(-5);
    saved.flow.dispose();
    const resumed = await runTrainSample(spec, { seed: 9, resume: stageEnd });
    expect(resumed.result.training!.steps).toBe(full.result.training!.steps);
    expect(Number.isFinite(resumed.result.essFraction!)).toBe(true);
  });
});

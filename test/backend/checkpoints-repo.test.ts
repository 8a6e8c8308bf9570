import { describe, expect, it } from 'vitest';
import type { JobCheckpoint } from '../../contract/checkpoint';
import { parseRunSpec } from '../../contract/run-spec';
import { openDatabase, Repositories } from '../../db';

describe('CheckpointsRepo', () => {
  it('stores every part of a checkpoint and returns the latest; two are kept per run', () => {
    const repos = new Repositories(openDatabase(':memory:'));
    const p = repos.projects.create('t');
    const parsed = parseRunSpec({ system: { name: 'double-well' }, data: { source: 'metropolis', perState: 10 }, flow: { layers: 'RR', hidden: [4] }, training: { stages: [{ iterations: 5, lr: 1e-3, batch: 8, wML: 1 }] }, sampling: { n: 10 } });
    if (!parsed.ok) throw new Error('spec');
    const run = repos.runs.create({ projectId: p.id, name: 'r', spec: parsed.spec, seed: 1 });
    const bytes = (n: number, fill: number) => new Uint8Array(n).fill(fill);
    const checkpoint = (step: number): JobCheckpoint => ({
      phase: 'train',
      step,
      state: { stage: 0, stageStep: step, skippedSteps: 0, rng: { train: [1], sample: [2], stats: [3] }, heldOutBest: { step: step - 1, nll: -1.5 } },
      flow: bytes(8, 1),
      optimizer: bytes(4, 2),
      buffer: null,
      sampler: bytes(3, 4),
      best: bytes(12, step),
    });
    for (const step of [5, 6, 7]) repos.checkpoints.save(run.id, checkpoint(step));
    expect(repos.checkpoints.count(run.id)).toBe(2);
    const latest = repos.checkpoints.latest(run.id)!;
    expect({ ...latest, flow: [...latest.flow], optimizer: [...latest.optimizer!], sampler: [...latest.sampler!], best: [...latest.best!] }).toEqual({
      ...checkpoint(7),
      flow: [...bytes(8, 1)],
      optimizer: [...bytes(4, 2)],
      sampler: [...bytes(3, 4)],
      best: [...bytes(12, 7)],
    });
  });
});

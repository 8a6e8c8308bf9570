import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { SamplerProgress } from '../../contract/progress';
import { selectCompute } from '../../engine/compute/select';
import { createSystem } from '../../engine/energies';
import { doubleWellCoefficients, doubleWellU1 } from '../../engine/energies/analytic2d';
import type { ModelSystem } from '../../engine/energies/types';
import { buildFlow } from '../../engine/flows/build';
import type { Flow } from '../../engine/flows/types';
import { normalizedWeights } from '../../engine/reweighting';
import { Rng } from '../../engine/rng';
import { sampleFlow } from '../../engine/sampling';
import type { Stage } from '../../engine/train/schedule';
import { train } from '../../engine/train/trainer';

// wasm: these train flows for a few hundred steps.
beforeAll(async () => {
  await selectCompute({ prefer: 'wasm', env: {} });
});

/** A tilted double well: two modes 9 kT apart in barrier, unequal weights (B ≈ 0.3). */
const PARAMS = { a1: 0.25 };

/** Exact population of state B (x₁ ≥ 0) by 1-D quadrature: the other coordinate is harmonic and factors out. */
function exactFractionB(): number {
  const c = doubleWellCoefficients(PARAMS);
  let a = 0;
  let b = 0;
  const h = 1e-4;
  for (let x = -4; x < 4; x += h) {
    const w = Math.exp(-doubleWellU1(c, x + h / 2)) * h;
    if (x + h / 2 < 0) a += w;
    else b += w;
  }
  return b / (a + b);
}

const BASE: Omit<Stage, 'iterations'> = { lr: 1e-3, batch: 256, wML: 0, wKL: 0, wRC: 0, highEnergy: 1e4, maxEnergy: 1e10, temperatures: [1], rcLoss: 'barrier' };

async function trainAndMeasure(system: ModelSystem, stages: Stage[], onSampler?: (p: SamplerProgress) => void): Promise<{ reweightedB: number; rawB: number }> {
  const { flow } = buildFlow({ layers: 'RRRR', hidden: [32, 32], sScale: 1, whiten: false }, 2, new Rng(1));
  await train({ flow, system, stages, data: null, dataTau: 1, rng: new Rng(2), clipNorm: 100, ...(onSampler ? { onSampler } : {}) });
  const s = await sampleFlow(flow, system, { n: 20000, tau: 1, chunk: 8192, rng: new Rng(3) });
  flow.dispose();
  const w = normalizedWeights(s.logw);
  let reweightedB = 0;
  let rawB = 0;
  s.state.forEach((st, i) => {
    if (st === 1) (reweightedB += w[i]!), (rawB += 1 / s.state.length);
  });
  return { reweightedB, rawB };
}

describe('training from the energy alone on two well-separated modes of unequal weight', () => {
  const system = createSystem('double-well', PARAMS);
  const exact = exactFractionB();

  it('FAB recovers both modes\' weights, where reverse KL from the same start drops one', async () => {
    expect(exact).toBeGreaterThan(0.2);
    expect(exact).toBeLessThan(0.4);
    const kl = await trainAndMeasure(system, [{ ...BASE, iterations: 600, wKL: 1 }]);
    const reports: SamplerProgress[] = [];
    const fab = await trainAndMeasure(
      system,
      [{ ...BASE, iterations: 600, fab: { intermediate: 4, transitions: 2, step: 0.5, targetAcceptance: 0.5, chains: 256, bufferSize: 8192, minBuffer: 1024, updatesPerAis: 4 } }],
      (p) => reports.push(p),
    );
    // Reverse KL: one mode holds (nearly) all the samples, so the other's weight is lost.
    expect(Math.min(kl.rawB, 1 - kl.rawB)).toBeLessThan(0.01);
    expect(Math.abs(kl.reweightedB - exact)).toBeGreaterThan(0.1);
    // FAB: both modes populated, reweighted population within 0.05 of quadrature.
    expect(Math.min(fab.rawB, 1 - fab.rawB)).toBeGreaterThan(0.1);
    expect(Math.abs(fab.reweightedB - exact)).toBeLessThan(0.05);
    // One report per AIS round: 600 steps / 4 per round, plus the rounds that filled the buffer first.
    expect(reports.length).toBeGreaterThanOrEqual(150 + 3);
    expect(reports.at(-1)!.bufferSize).toBe(8192);
    expect(reports.every((r) => r.kind === 'fab' && r.acceptance! > 0 && r.acceptance! < 1)).toBe(true);
  }, 300_000);

  it('temperature annealing (KL hot, reweighted ML down the ladder) recovers both modes\' weights', async () => {
    const reports: SamplerProgress[] = [];
    const ta = await trainAndMeasure(system, [{ ...BASE, iterations: 150, anneal: { ladder: [4, 2, 1.4, 1], klIterations: 300, samples: 8192 } }], (p) => reports.push(p));
    expect(Math.min(ta.rawB, 1 - ta.rawB)).toBeGreaterThan(0.1);
    expect(Math.abs(ta.reweightedB - exact)).toBeLessThan(0.05);
    expect(reports.map((r) => r.temperature)).toEqual([4, 2, 1.4, 1]);
    expect(reports.map((r) => r.step)).toEqual([1, 301, 451, 601]);
  }, 300_000);
});

describe('resuming mid-stage', () => {
  const system = createSystem('double-well', PARAMS);
  const fabStage: Stage = { ...BASE, batch: 64, iterations: 40, fab: { intermediate: 2, transitions: 1, step: 0.5, targetAcceptance: 0.5, chains: 64, bufferSize: 1024, minBuffer: 256, updatesPerAis: 4 } };
  const annealStage: Stage = { ...BASE, batch: 64, iterations: 10, anneal: { ladder: [3, 1.5, 1], klIterations: 15, samples: 512 } };

  const weights = (f: Flow): Float32Array[] => f.variables().map((v) => v.dataSync().slice() as Float32Array);
  const build = (): Flow => buildFlow({ layers: 'RR', hidden: [16], sScale: 1, whiten: false }, 2, new Rng(1)).flow;

  for (const [name, stage, at] of [['FAB', fabStage, 21], ['annealing', annealStage, 22]] as const) {
    it(`continues a ${name} stage exactly from a mid-stage checkpoint (buffer, optimiser, random stream)`, async () => {
      const straight = build();
      await train({ flow: straight, system, stages: [stage], data: null, dataTau: 1, rng: new Rng(2), clipNorm: 100 });
      const interrupted = build();
      const rng = new Rng(2);
      const ac = new AbortController();
      let saved: { weights: Float32Array[]; rng: number[]; position: Parameters<NonNullable<Parameters<typeof train>[0]['onCheckpoint']>>[0] } | null = null;
      await expect(
        train({
          flow: interrupted, system, stages: [stage], data: null, dataTau: 1, rng, clipNorm: 100, signal: ac.signal, checkpointEverySeconds: 0,
          onCheckpoint: (p) => {
            if (p.stageStep !== at) return;
            saved = { weights: weights(interrupted), rng: rng.state(), position: p };
            ac.abort();
          },
        }),
      ).rejects.toMatchObject({ name: 'AbortError' });
      expect(saved!.position.sampler?.length).toBeGreaterThan(0);
      const resumed = build();
      resumed.variables().forEach((v, i) => v.assign(tf.tensor(saved!.weights[i]!, v.shape)));
      await train({ flow: resumed, system, stages: [stage], data: null, dataTau: 1, rng: new Rng(saved!.rng), clipNorm: 100, start: saved!.position });
      expect(weights(resumed)).toEqual(weights(straight));
      for (const f of [straight, interrupted, resumed]) f.dispose();
    }, 120_000);
  }

  it('continues a by-example (ML) stage exactly mid-epoch: the checkpoint keeps the batch order; without it the run differs', async () => {
    const mlStage: Stage = { ...BASE, batch: 64, iterations: 40, wML: 1, wKL: 0 };
    const data = new Rng(4).normals(new Float64Array(2 * 500));
    const run = (flow: Flow, rng: Rng, more: Partial<Parameters<typeof train>[0]> = {}) => train({ flow, system, stages: [mlStage], data, dataTau: 1, rng, clipNorm: 100, ...more });
    const straight = build();
    await run(straight, new Rng(2));
    const interrupted = build();
    const rng = new Rng(2);
    const ac = new AbortController();
    type Position = Parameters<NonNullable<Parameters<typeof train>[0]['onCheckpoint']>>[0];
    let saved: { weights: Float32Array[]; rng: number[]; position: Position } | null = null;
    await expect(
      run(interrupted, rng, {
        signal: ac.signal,
        checkpointEverySeconds: 0,
        onCheckpoint: (p) => {
          if (p.stageStep !== 21) return; // 21 × 64 rows: mid-way through the third pass over 500 rows
          saved = { weights: weights(interrupted), rng: rng.state(), position: p };
          ac.abort();
        },
      }),
    ).rejects.toMatchObject({ name: 'AbortError' });
    expect(saved!.position.batches?.pos).toBe((21 * 64) % 500);
    const resume = async (position: Position): Promise<Float32Array[]> => {
      const f = build();
      f.variables().forEach((v, i) => v.assign(tf.tensor(saved!.weights[i]!, v.shape)));
      await run(f, new Rng(saved!.rng), { start: position });
      const w = weights(f);
      f.dispose();
      return w;
    };
    expect(await resume(saved!.position)).toEqual(weights(straight));
    expect(await resume({ ...saved!.position, batches: null })).not.toEqual(weights(straight));
    for (const f of [straight, interrupted]) f.dispose();
  }, 120_000);
});

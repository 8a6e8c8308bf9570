import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { selectCompute } from '../../engine/compute/select';
import { createSystem } from '../../engine/energies';
import type { ModelSystem } from '../../engine/energies/types';
import { buildFlow, type FlowArch } from '../../engine/flows/build';
import type { Flow } from '../../engine/flows/types';
import { klLoss } from '../../engine/losses';
import { Rng } from '../../engine/rng';
import { sampleFlow } from '../../engine/sampling';
import { stageSteps, type Stage } from '../../engine/train/schedule';
import { priorBatch, train, type TrainOptions } from '../../engine/train/trainer';
import type { TrainProgress } from '../../contract/progress';

beforeAll(async () => {
  await selectCompute({ prefer: 'cpu', env: {} }); // env: {} so BGW_BACKEND cannot override
  expect(tf.getBackend()).toBe('cpu');
});

// ---------- helpers ----------

const ARCH: FlowArch = { layers: 'RRS', hidden: [16, 16], sScale: 1, whiten: false };

function stage(o: Partial<Stage>): Stage {
  return {
    lr: 1e-3,
    batch: 32,
    wML: 0,
    wKL: 1,
    wRC: 0,
    highEnergy: 1e4,
    maxEnergy: 1e10,
    temperatures: [1],
    rcLoss: 'barrier',
    ...o,
  };
}

/** All variables of a flow, concatenated (float32). */
function weights(flow: Flow): Float32Array {
  const parts = flow.variables().map((v) => v.dataSync() as Float32Array);
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function setWeights(flow: Flow, rng: Rng, scale: number): void {
  for (const v of flow.variables()) {
    if (!v.trainable) continue;
    const a = Float32Array.from({ length: v.size }, () => scale * (2 * rng.uniform() - 1));
    tf.tidy(() => v.assign(tf.tensor(a, v.shape)));
  }
}

/** Double-well-ish training data (two Gaussian blobs at the minima), float64 row-major. */
function doubleWellData(n: number, rng: Rng): Float64Array {
  const d = new Float64Array(n * 2);
  for (let i = 0; i < n; i++) {
    d[2 * i] = (i % 2 ? 1.69 : -1.77) + 0.3 * rng.normal();
    d[2 * i + 1] = rng.normal();
  }
  return d;
}

/** A 2-D harmonic system u = |x|²/(2σ²): at τ = 1 the target is N(0, σ²·I). */
function harmonic(sigma: number, dim = 2): ModelSystem {
  const dw = createSystem('double-well', { dim });
  const c = 1 / (2 * sigma * sigma);
  return {
    ...dw,
    name: 'harmonic',
    energy: (x: tf.Tensor2D) => tf.tidy(() => tf.mul(tf.sum(tf.square(x), 1), c) as tf.Tensor1D),
    energy64: (x: Float64Array) => c * x.reduce((a, v) => a + v * v, 0),
    gradient64: (x: Float64Array, out: Float64Array) => {
      x.forEach((v, i) => (out[i] = 2 * c * v));
      return out;
    },
  };
}

interface Run {
  losses: TrainProgress['loss'][];
  progress: TrainProgress[];
  weights: Float32Array;
}

async function runTraining(initSeed: number, trainSeed: number, stages: Stage[], extra: Partial<TrainOptions> = {}): Promise<Run> {
  const dw = createSystem('double-well', {});
  const { flow } = buildFlow(ARCH, 2, new Rng(initSeed));
  const data = doubleWellData(200, new Rng(1234));
  const progress: TrainProgress[] = [];
  await train({
    flow,
    system: dw,
    stages,
    data,
    dataTau: 1,
    rng: new Rng(trainSeed),
    clipNorm: 100,
    onProgress: (p) => progress.push(p),
    ...extra,
  });
  return { losses: progress.map((p) => p.loss), progress, weights: weights(flow) };
}

const MIXED: Stage[] = [
  stage({ name: 'ml', epochs: 1, batch: 64, wML: 1, wKL: 0, lr: 5e-3 }), // ceil(200/64) = 4 steps
  stage({ name: 'ml+kl+rc', iterations: 4, batch: 48, wML: 1, wKL: 1, wRC: 0.5, temperatures: [1, 2], lr: 5e-3 }),
];

// ---------- tests ----------

describe('stageSteps', () => {
  it('counts iterations, or ceil(epochs·n/batch) with a minimum of one', async () => {
    expect(stageSteps(stage({ iterations: 7 }), 0)).toBe(7);
    expect(stageSteps(stage({ iterations: 7, batch: 3 }), 1e6)).toBe(7);
    expect(stageSteps(stage({ epochs: 2, batch: 64 }), 256)).toBe(8);
    expect(stageSteps(stage({ epochs: 1, batch: 64 }), 100)).toBe(2);
    expect(stageSteps(stage({ epochs: 3, batch: 64 }), 100)).toBe(5); // 300/64 = 4.69
    expect(stageSteps(stage({ epochs: 0.001, batch: 64 }), 100)).toBe(1);
    expect(stageSteps(stage({ epochs: 200, batch: 500 }), 10_000)).toBe(4000);
  });

  it('rejects a stage without a length, and epochs without data', async () => {
    expect(() => stageSteps(stage({}), 100)).toThrow(/epochs or iterations/);
    expect(() => stageSteps(stage({ epochs: 1 }), 0)).toThrow(/training data/);
  });

  it('train takes exactly the steps stageSteps says, and reports them in order', async () => {
    const r = await runTraining(1, 2, MIXED);
    expect(r.progress.map((p) => p.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(r.progress.every((p) => p.totalSteps === 8)).toBe(true);
    expect(r.progress.map((p) => p.stage)).toEqual([0, 0, 0, 0, 1, 1, 1, 1]);
    expect(r.progress[0]!.stageName).toBe('ml');
    // Stage 1 is ML only; stage 2 has all three terms.
    expect(r.losses.slice(0, 4).every((l) => l.kl === 0 && l.rc === 0 && l.ml !== 0)).toBe(true);
    expect(r.losses.slice(4).every((l) => l.kl !== 0 && l.rc !== 0 && l.ml !== 0)).toBe(true);
    for (const l of r.losses) expect(l.total).toBeCloseTo(l.ml + l.kl + 0.5 * l.rc, 4);
  });

  it('a stage with w_ML > 0 and no data fails with a clear error', async () => {
    const { flow } = buildFlow(ARCH, 2, new Rng(1));
    await expect(
      train({ flow, system: createSystem('double-well', {}), stages: [stage({ iterations: 2, wML: 1 })], data: null, dataTau: 1, rng: new Rng(1), clipNorm: 10 }),
    ).rejects.toThrow(/no training data/);
  });
});

describe('determinism', () => {
  it('same seeds → identical loss trajectory and identical weights (independent builds)', async () => {
    const a = await runTraining(11, 22, MIXED);
    const b = await runTraining(11, 22, MIXED);
    expect(a.losses.length).toBe(8);
    expect(b.losses).toEqual(a.losses);
    expect(b.weights).toEqual(a.weights);
    // Training moved the weights away from the initial ones.
    const init = weights(buildFlow(ARCH, 2, new Rng(11)).flow);
    expect(a.weights).not.toEqual(init);
  });

  it('a different training seed or a different init seed → a different run', async () => {
    const a = await runTraining(11, 22, MIXED);
    const otherBatches = await runTraining(11, 23, MIXED);
    const otherInit = await runTraining(12, 22, MIXED);
    expect(otherBatches.losses[0]!.ml).not.toBe(a.losses[0]!.ml);
    expect(otherBatches.weights).not.toEqual(a.weights);
    expect(otherInit.weights).not.toEqual(a.weights);
  });
});

describe('non-finite steps', () => {
  it('an energy that is NaN on every 3rd call: those steps are skipped and counted, weights stay finite and untouched', async () => {
    const dw = createSystem('double-well', {});
    let calls = 0;
    const flaky: ModelSystem = {
      ...dw,
      energy: (x: tf.Tensor2D) => {
        calls += 1;
        const u = dw.energy(x);
        // NaN values with NaN gradients (like an energy that blows up): the step must be skipped.
        return calls % 3 === 0 ? (tf.mul(u, NaN) as tf.Tensor1D) : u;
      },
    };
    const { flow } = buildFlow(ARCH, 2, new Rng(3));
    const snapshots: Float32Array[] = [weights(flow)];
    const progress: TrainProgress[] = [];
    const summary = await train({
      flow,
      system: flaky,
      stages: [stage({ iterations: 10, batch: 32, lr: 1e-2 })],
      data: null,
      dataTau: 1,
      rng: new Rng(4),
      clipNorm: 100,
      onProgress: (p) => {
        progress.push(p);
        snapshots.push(weights(flow));
      },
    });
    expect(calls).toBe(10);
    expect(summary.steps).toBe(10);
    expect(summary.skippedSteps).toBe(3);
    expect(progress.map((p) => p.skippedSteps)).toEqual([0, 0, 1, 1, 1, 2, 2, 2, 3, 3]);
    for (let s = 1; s <= 10; s++) {
      const before = snapshots[s - 1]!;
      const after = snapshots[s]!;
      expect(after.every(Number.isFinite)).toBe(true);
      if (s % 3 === 0) expect(after).toEqual(before); // skipped: no update at all
      else expect(after).not.toEqual(before);
    }
    // The reported final loss comes from a step that was not skipped.
    expect(Number.isFinite(summary.finalLoss!.total)).toBe(true);
  });
});

describe('cancellation', () => {
  for (const k of [3, 4]) {
    it(`aborting after step ${k} throws an AbortError and progress saw exactly ${k} steps`, async () => {
      const controller = new AbortController();
      const seen: number[] = [];
      const stagesEnded: number[] = [];
      let error: unknown = null;
      try {
        await runTraining(1, 2, MIXED, {
          signal: controller.signal,
          onProgress: (p) => {
            seen.push(p.step);
            if (p.step === k) controller.abort();
          },
          onStageEnd: (s) => stagesEnded.push(s),
        });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).name).toBe('AbortError');
      expect(seen).toEqual(Array.from({ length: k }, (_, i) => i + 1));
      // Step 4 ends stage 1 (4 steps), which still completes.
      expect(stagesEnded).toEqual(k === 4 ? [0] : []);
    });
  }

  it('an already aborted signal runs no step', async () => {
    const controller = new AbortController();
    controller.abort();
    let steps = 0;
    await expect(runTraining(1, 2, MIXED, { signal: controller.signal, onProgress: () => (steps += 1) })).rejects.toThrow(
      expect.objectContaining({ name: 'AbortError' }),
    );
    expect(steps).toBe(0);
  });
});

describe('gradient clipping', () => {
  /**
   * One KL step: reproduce the trainer's prior batch from the same seed, compute the gradient
   * independently, and check the reported (unclipped) norm and the exact first Adam update
   * Δθ = −lr·√(1−β2)/(1−β1) · (1−β1)·s·g / (√(1−β2)·s·|g| + ε) with s = min(1, clip/‖g‖).
   */
  async function oneStep(clipNorm: number): Promise<{ gradNorm: number; norm: number; delta: Float64Array; expected: Float64Array }> {
    const dim = 2;
    const lr = 0.1;
    const st = stage({ iterations: 1, batch: 16, lr, temperatures: [1, 0.5], highEnergy: 20, maxEnergy: 1e6 });
    const dw = createSystem('double-well', {});
    const { flow } = buildFlow(ARCH, dim, new Rng(8));
    setWeights(flow, new Rng(9), 0.4);
    const vars = flow.variables().filter((v) => v.trainable);
    // Independent gradient on the same batch.
    const kl = priorBatch(st.batch, dim, st.temperatures, new Rng(10));
    const g = tf.tidy(() => {
      const { grads } = tf.variableGrads(
        () => klLoss(flow, dw, { z: tf.tensor2d(kl.z, [st.batch, dim]), tau: tf.tensor1d(kl.tau) }, { high: st.highEnergy, max: st.maxEnergy }).loss,
        vars,
      );
      return vars.map((v) => grads[v.name]!.dataSync() as Float32Array);
    });
    const gFlat = Float64Array.from(g.flatMap((a) => Array.from(a)));
    const norm = Math.sqrt(gFlat.reduce((a, v) => a + v * v, 0));
    const before = Float64Array.from(vars.flatMap((v) => Array.from(v.dataSync())));
    let gradNorm = NaN;
    await train({ flow, system: dw, stages: [st], data: null, dataTau: 1, rng: new Rng(10), clipNorm, onProgress: (p) => (gradNorm = p.gradNorm) });
    const after = Float64Array.from(vars.flatMap((v) => Array.from(v.dataSync())));
    const s = norm > clipNorm ? clipNorm / norm : 1;
    const [b1, b2, eps] = [0.9, 0.999, 1e-7];
    const lrT = (lr * Math.sqrt(1 - b2)) / (1 - b1);
    const expected = gFlat.map((gi) => (-lrT * (1 - b1) * s * gi) / (Math.sqrt((1 - b2) * s * s * gi * gi) + eps));
    return { gradNorm, norm, delta: after.map((a, i) => a - before[i]!), expected };
  }

  for (const [label, clip] of [
    ['no clipping (clipNorm 1e9)', 1e9],
    ['clipNorm 1e-2', 1e-2],
    ['tiny clipNorm 1e-9', 1e-9],
  ] as const) {
    it(`${label}: reports the unclipped norm and takes exactly the clipped Adam step`, async () => {
      const r = await oneStep(clip);
      expect(r.norm).toBeGreaterThan(1);
      expect(Math.abs(r.gradNorm - r.norm)).toBeLessThan(1e-5 * r.norm);
      let maxErr = 0;
      let maxStep = 0;
      r.delta.forEach((d, i) => {
        const e = r.expected[i]!;
        maxErr = Math.max(maxErr, Math.abs(d - e) - 1e-3 * Math.abs(e));
        maxStep = Math.max(maxStep, Math.abs(e));
      });
      expect(maxErr).toBeLessThan(2e-7);
      // Unclipped, the first Adam step is ≈ lr per coordinate; clipped far below the ε scale, ≪ lr.
      if (clip === 1e9) expect(maxStep).toBeGreaterThan(0.09);
      if (clip === 1e-9) expect(maxStep).toBeLessThan(1e-4);
    });
  }

  it('a steep energy (huge gradients) trains finitely with clipping; gradNorm is reported unclipped', async () => {
    const steep = harmonic(1e-3); // u = 5e5·|x|²
    const { flow } = buildFlow(ARCH, 2, new Rng(5));
    const progress: TrainProgress[] = [];
    const summary = await train({
      flow,
      system: steep,
      stages: [stage({ iterations: 15, batch: 32, lr: 1e-2, highEnergy: 1e12, maxEnergy: 1e20 })],
      data: null,
      dataTau: 1,
      rng: new Rng(6),
      clipNorm: 1,
      onProgress: (p) => progress.push(p),
    });
    expect(summary.skippedSteps).toBe(0);
    expect(progress[0]!.gradNorm).toBeGreaterThan(1e4);
    expect(weights(flow).every(Number.isFinite)).toBe(true);
    // Training by energy shrinks the samples: the loss goes down.
    expect(progress[progress.length - 1]!.loss.kl).toBeLessThan(progress[0]!.loss.kl);
  });
});

describe('training by energy end to end', () => {
  it('KL alone on u = |x|²/(2σ²), σ = 2, learns the scale: sampled std ≈ 2', async () => {
    const sigma = 2;
    const sys = harmonic(sigma);
    // Couplings only (no S layer): the affine couplings' log-scales have to learn the factor 2.
    const { flow } = buildFlow({ layers: 'RR', hidden: [16], sScale: 1, whiten: false }, 2, new Rng(31));
    const progress: TrainProgress[] = [];
    await train({
      flow,
      system: sys,
      stages: [
        stage({ iterations: 200, batch: 256, lr: 1e-2, wKL: 1, highEnergy: 1e4 }),
        stage({ iterations: 100, batch: 256, lr: 1e-3, wKL: 1, highEnergy: 1e4 }),
      ],
      data: null,
      dataTau: 1,
      rng: new Rng(32),
      clipNorm: 100,
      onProgress: (p) => progress.push(p),
    });
    const n = 4000;
    const s = await sampleFlow(flow, sys, { n, tau: 1, chunk: 1000, rng: new Rng(33) });
    for (let j = 0; j < 2; j++) {
      let m = 0;
      let v = 0;
      for (let i = 0; i < n; i++) m += s.x[i * 2 + j]! / n;
      for (let i = 0; i < n; i++) v += (s.x[i * 2 + j]! - m) ** 2 / (n - 1);
      expect(Math.abs(m)).toBeLessThan(0.2);
      expect(Math.sqrt(v)).toBeGreaterThan(0.9 * sigma);
      expect(Math.sqrt(v)).toBeLessThan(1.1 * sigma);
    }
    // For the exact map x = σz, J_KL = E|z|²/2 − 2·log σ = 1 − 2·log 2 (the minimum of J_KL).
    const last = progress.slice(-20).reduce((a, p) => a + p.loss.kl / 20, 0);
    expect(Math.abs(last - (1 - 2 * Math.log(sigma)))).toBeLessThan(0.1);
    // A near-exact generator has near-constant importance weights.
    const lw = Array.from(s.logw);
    const mean = lw.reduce((a, b) => a + b, 0) / n;
    const sd = Math.sqrt(lw.reduce((a, b) => a + (b - mean) ** 2, 0) / n);
    expect(sd).toBeLessThan(0.15);
  });
});

import * as tf from '@tensorflow/tfjs-core';
import type { Flow } from '../../engine/flows/types';
import { priorBatch, stepGradients, trainStep, type StepInputs, type StepResult } from '../../engine/train/step';
import { combineShards, CTRL, MODE, shards, slotView, STAGE_FIELDS, type SharedBuffers, type SlotView } from './shared-step';

/**
 * The leading thread of a data-parallel run (`data-parallel.ts`): it writes each step's shards and
 * the weights into shared memory, wakes the helpers, takes its own shard's gradient, waits for
 * theirs, combines and applies the update; for sampling it shares out a chunk's forward pass.
 */
export class Leader {
  private readonly ctrl: Int32Array;
  private readonly stage: Float64Array;
  private readonly weights: Float32Array;
  private readonly slots: SlotView[];
  private readonly combined: Float32Array;
  /** The leader's own shard gradient, reused every step (large arrays are costly to allocate). */
  private readonly ownGrads: Float32Array;

  private version = 0;

  constructor(
    private readonly buffers: SharedBuffers,
    private readonly stallMs: number,
    private readonly budget: { readonly current: number },
    private readonly flow: Flow,
    private readonly vars: readonly tf.Variable[],
  ) {
    this.ctrl = new Int32Array(buffers.control);
    this.stage = new Float64Array(buffers.stage);
    this.weights = new Float32Array(buffers.weights);
    this.slots = buffers.slots.map((b) => slotView(b, buffers.shape));
    this.combined = new Float32Array(this.weights.length);
    this.ownGrads = new Float32Array(this.weights.length);
  }

  step(i: StepInputs): StepResult {
    const { stage } = i;
    const nMl = i.xData ? i.xData.length / this.buffers.shape.xDim : 0;
    const useKL = stage.wKL > 0 || stage.wRC > 0;
    // Not a mean over rows (RC), or batches of unequal size: one thread, as without helpers.
    if (stage.wRC > 0 || (useKL && nMl > 0 && nMl !== stage.batch)) return trainStep(i);
    const kl = useKL ? (i.klBatch ?? priorBatch(stage.batch, i.flow.dim, stage.temperatures, i.rng)) : null;
    const parts = this.parts(kl ? stage.batch : nMl);
    this.publish(i, parts, kl);
    const own = this.ownShard(i, parts[0]!, kl);
    this.await();
    return this.apply(i, parts, own);
  }

  /** Sampling: the forward pass over `m` rows of z, each thread a contiguous share, gathered in order. */
  forward(z: Float32Array, m: number): { x: Float32Array; logDet: Float32Array } {
    const { xDim, zDim, capacity } = this.buffers.shape;
    // The slots were sized for every thread; with fewer now (another run took cores), a pass
    // larger than the threads' slots together goes in pieces.
    const most = capacity * this.threads();
    if (m > most) {
      const x = new Float32Array(m * xDim);
      const logDet = new Float32Array(m);
      for (let a = 0; a < m; a += most) {
        const b = Math.min(m, a + most);
        const r = this.forward(z.subarray(a * zDim, b * zDim), b - a);
        x.set(r.x, a * xDim);
        logDet.set(r.logDet, a);
      }
      return { x, logDet };
    }
    const parts = this.parts(m);
    if (parts.some(([a, b]) => b - a > capacity)) throw new Error(`data-parallel forward: ${m} rows do not fit the slots (${capacity} rows each)`);
    this.publishWeights();
    this.slots.forEach((slot, k) => {
      const [a, b] = parts[k + 1]!;
      slot.klZ.set(z.subarray(a * zDim, b * zDim));
      this.ctrl[CTRL.SLOTS + 2 * k] = 0;
      this.ctrl[CTRL.SLOTS + 2 * k + 1] = b - a;
    });
    this.signal(MODE.FORWARD);
    const [a0, b0] = parts[0]!;
    const x = new Float32Array(m * xDim);
    const logDet = new Float32Array(m);
    tf.tidy(() => {
      const r = this.flow.forward(tf.tensor2d(z.subarray(a0 * zDim, b0 * zDim), [b0 - a0, zDim]));
      x.set(r.x.dataSync() as Float32Array, 0);
      logDet.set(r.logDet.dataSync() as Float32Array, 0);
    });
    this.await();
    this.slots.forEach((slot, k) => {
      const [a, b] = parts[k + 1]!;
      x.set(slot.ml.subarray(0, (b - a) * xDim), a * xDim);
      logDet.set(slot.klTau.subarray(0, b - a), a);
    });
    return { x, logDet };
  }

  stop(): void {
    Atomics.store(this.ctrl, CTRL.STOP, 1);
    Atomics.add(this.ctrl, CTRL.GEN, 1);
    Atomics.notify(this.ctrl, CTRL.GEN);
  }

  /** Rows of each thread: shards over the threads the budget allows; helpers beyond it get none (they answer at once and idle). */
  private threads(): number {
    return Math.max(1, Math.min(this.slots.length + 1, Math.floor(this.budget.current)));
  }

  private parts(n: number): [number, number][] {
    const threads = this.threads();
    return [...shards(n, threads), ...Array.from({ length: this.slots.length + 1 - threads }, (): [number, number] => [n, n])];
  }

  /** The leader's current weights into shared memory, under a new version (helpers reload on a change). */
  private publishWeights(): void {
    let at = 0;
    for (const v of this.vars) {
      this.weights.set(v.dataSync() as Float32Array, at);
      at += v.size;
    }
    Atomics.store(this.ctrl, CTRL.WEIGHTS, ++this.version);
  }

  private signal(mode: number): void {
    Atomics.store(this.ctrl, CTRL.MODE, mode);
    Atomics.store(this.ctrl, CTRL.DONE, 0);
    Atomics.add(this.ctrl, CTRL.GEN, 1);
    Atomics.notify(this.ctrl, CTRL.GEN);
  }

  /** Weights, stage settings and each helper's shard into shared memory; then wake the helpers. */
  private publish(i: StepInputs, parts: [number, number][], kl: { z: Float32Array; tau: Float32Array } | null): void {
    this.publishWeights();
    const s = i.stage;
    this.stage.set(STAGE_FIELDS.map((f) => (f === 'dataTau' ? i.dataTau : s[f])));
    const { xDim, zDim } = this.buffers.shape;
    this.slots.forEach((slot, k) => {
      const [a, b] = parts[k + 1]!;
      const ml = i.xData && s.wML > 0 ? i.xData.subarray(a * xDim, b * xDim) : null;
      if (ml) slot.ml.set(ml);
      if (kl) (slot.klZ.set(kl.z.subarray(a * zDim, b * zDim)), slot.klTau.set(kl.tau.subarray(a, b)));
      this.ctrl[CTRL.SLOTS + 2 * k] = ml ? b - a : 0;
      this.ctrl[CTRL.SLOTS + 2 * k + 1] = kl ? b - a : 0;
    });
    this.signal(MODE.GRADIENT);
  }

  /** The leader's own shard: gradients (flattened, `vars` order) and its three loss terms. */
  private ownShard(i: StepInputs, [a, b]: [number, number], kl: { z: Float32Array; tau: Float32Array } | null): { grads: Float32Array; terms: number[] } {
    const { xDim, zDim } = this.buffers.shape;
    const grads = this.ownGrads;
    const xData = i.xData && i.stage.wML > 0 ? i.xData.subarray(a * xDim, b * xDim) : null;
    const klBatch = kl ? { z: kl.z.subarray(a * zDim, b * zDim), tau: kl.tau.subarray(a, b) } : undefined;
    const terms = tf.tidy(() => {
      const r = stepGradients({ ...i, xData, klBatch });
      let at = 0;
      for (const g of r.grads) (grads.set(g.dataSync() as Float32Array, at), (at += g.size));
      return r.terms.map((t) => t.dataSync()[0]!);
    });
    return { grads, terms };
  }

  /** Block until every helper has added itself to DONE; a helper error or a stall throws. */
  private await(): void {
    const started = performance.now();
    const helpers = this.slots.length;
    for (let done = Atomics.load(this.ctrl, CTRL.DONE); done < helpers; done = Atomics.load(this.ctrl, CTRL.DONE)) {
      Atomics.wait(this.ctrl, CTRL.DONE, done, 1000);
      if (performance.now() - started > this.stallMs) throw new Error(`a gradient helper stopped answering (no result in ${this.stallMs / 1000} s)`);
    }
    const failed = Atomics.load(this.ctrl, CTRL.ERROR);
    if (failed) throw new Error(`gradient helper ${failed} failed its shard (see the run log)`);
  }

  /** Shard means → batch mean, the loss, the clip, and one Adam update on the leader's variables. */
  private apply(i: StepInputs, parts: [number, number][], own: { grads: Float32Array; terms: number[] }): StepResult {
    const rows = parts.map(([a, b]) => b - a);
    const g = combineShards([{ rows: rows[0]!, values: own.grads }, ...this.slots.map((s, k) => ({ rows: rows[k + 1]!, values: s.grads }))], this.combined);
    const t = combineShards([{ rows: rows[0]!, values: own.terms }, ...this.slots.map((s, k) => ({ rows: rows[k + 1]!, values: s.terms }))], new Float32Array(3));
    const loss = { total: i.stage.wML * t[0]! + i.stage.wKL * t[1]!, ml: t[0]!, kl: t[1]!, rc: 0 };
    let normSq = 0;
    for (let j = 0; j < g.length; j++) normSq += g[j]! * g[j]!;
    const gradNorm = Math.sqrt(normSq);
    if (!Number.isFinite(loss.total) || !Number.isFinite(gradNorm)) return { loss, gradNorm, skipped: true };
    tf.tidy(() => {
      let at = 0;
      const tensors = i.vars.map((v) => {
        const x = tf.tensor(g.subarray(at, at + v.size), v.shape);
        at += v.size;
        return x;
      });
      i.adam.apply(tensors, gradNorm > i.clipNorm ? i.clipNorm / gradNorm : 1);
    });
    return { loss, gradNorm, skipped: false };
  }
}

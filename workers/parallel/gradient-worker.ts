import { parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import type { ComputeChoice } from '../../contract/compute';
import { selectCompute } from '../../engine/compute/select';
import { createSystem } from '../../engine/energies';
import type { ModelSystem } from '../../engine/energies/types';
import { deserializeFlow } from '../../engine/flows/serialize';
import { Rng } from '../../engine/rng';
import { stepGradients } from '../../engine/train/step';
import type { Stage } from '../../engine/train/schedule';
import { CTRL, MODE, STAGE_FIELDS, slotView, type SharedBuffers, type SlotView } from './shared-step';

/** What a gradient helper is started with (`workerData`). */
export interface HelperInit {
  readonly buffers: SharedBuffers;
  readonly slot: number;
  readonly backend: ComputeChoice;
  readonly flow: Uint8Array;
  readonly system: { readonly name: Parameters<typeof createSystem>[0]; readonly params: Record<string, unknown>; readonly molecule: Parameters<typeof createSystem>[2] };
}

/** What a helper posts: once `ready` (or `failed` to start), and `error` when a step threw. */
export type HelperMessage = { type: 'ready' } | { type: 'failed' | 'error'; message: string };

const port = parentPort;
if (!port) throw new Error('gradient-worker.ts must run inside a worker thread');
const init = workerData as HelperInit;
const post = (m: HelperMessage): void => port.postMessage(m);

try {
  await selectCompute({ prefer: init.backend });
  const system = createSystem(init.system.name, init.system.params, init.system.molecule);
  const { flow } = deserializeFlow(init.flow, new Rng(0));
  post({ type: 'ready' });
  serve(flow, system);
} catch (e) {
  post({ type: 'failed', message: (e as Error).message });
}

/**
 * The helper's loop, blocking on the generation counter: on each new step it loads the published
 * weights, takes the gradient of its shard and adds itself to DONE. A thrown step sets ERROR (the
 * leader is blocked in Atomics.wait and cannot read messages) and the loop ends.
 */
function serve(flow: ReturnType<typeof deserializeFlow>['flow'], system: ModelSystem): void {
  const { buffers, slot } = init;
  const { shape } = buffers;
  const ctrl = new Int32Array(buffers.control);
  const stage = new Float64Array(buffers.stage);
  const weights = new Float32Array(buffers.weights);
  const view = slotView(buffers.slots[slot]!, shape);
  const vars = flow.variables().filter((v) => v.trainable);
  let gen = 0;
  let loaded = -1;
  for (;;) {
    Atomics.wait(ctrl, CTRL.GEN, gen);
    gen = Atomics.load(ctrl, CTRL.GEN);
    if (Atomics.load(ctrl, CTRL.STOP)) return;
    try {
      const version = Atomics.load(ctrl, CTRL.WEIGHTS);
      if (version !== loaded) ((loaded = version), loadWeights(vars, weights));
      const [a, b] = [ctrl[CTRL.SLOTS + 2 * slot]!, ctrl[CTRL.SLOTS + 2 * slot + 1]!];
      if (Atomics.load(ctrl, CTRL.MODE) === MODE.FORWARD) shardForward(flow, view, b);
      else shardGradients(flow, system, vars, stage, view, a, b, shape.xDim);
    } catch (e) {
      Atomics.store(ctrl, CTRL.ERROR, slot + 1);
      post({ type: 'error', message: (e as Error).message });
      Atomics.add(ctrl, CTRL.DONE, 1);
      Atomics.notify(ctrl, CTRL.DONE);
      return;
    }
    Atomics.add(ctrl, CTRL.DONE, 1);
    Atomics.notify(ctrl, CTRL.DONE);
  }
}

/**
 * The published weights into this thread's variables. wasm copies a new tensor's values into its
 * heap at once, so it can read the shared view directly (no 3 MB garbage per step); the cpu backend
 * keeps a reference to the array it is given, so it gets a private copy.
 */
function loadWeights(vars: tf.Variable[], weights: Float32Array): void {
  const copy = tf.getBackend() !== 'wasm';
  let at = 0;
  for (const v of vars) {
    const values = copy ? weights.slice(at, at + v.size) : weights.subarray(at, at + v.size);
    tf.tidy(() => v.assign(tf.tensor(values, v.shape)));
    at += v.size;
  }
}

/** Sampling: this slot's `n` z rows through the flow; x rows and log-determinants back into the slot. */
function shardForward(flow: ReturnType<typeof deserializeFlow>['flow'], view: SlotView, n: number): void {
  if (n === 0) return;
  tf.tidy(() => {
    const r = flow.forward(tf.tensor2d(view.klZ.subarray(0, n * flow.dim), [n, flow.dim]));
    view.ml.set(r.x.dataSync() as Float32Array, 0);
    view.klTau.set(r.logDet.dataSync() as Float32Array, 0);
  });
}

/** This slot's gradients (shard means, unweighted) and loss terms, written into the slot. */
function shardGradients(flow: ReturnType<typeof deserializeFlow>['flow'], system: ModelSystem, vars: tf.Variable[], stageValues: Float64Array, view: SlotView, nMl: number, nKl: number, xDim: number): void {
  const [wML, wKL, highEnergy, maxEnergy, dataTau] = STAGE_FIELDS.map((_, i) => stageValues[i]!);
  if (nMl === 0 && nKl === 0) {
    view.grads.fill(0);
    view.terms.fill(0);
    return;
  }
  const stage: Stage = { lr: 0, batch: nKl, wML: nMl ? wML! : 0, wKL: nKl ? wKL! : 0, wRC: 0, highEnergy: highEnergy!, maxEnergy: maxEnergy!, temperatures: [1], rcLoss: 'barrier' };
  tf.tidy(() => {
    const { terms, grads } = stepGradients({
      flow,
      system,
      stage,
      vars,
      xData: nMl ? view.ml.subarray(0, nMl * xDim) : null,
      dataTau: dataTau!,
      rng: new Rng(0),
      klBatch: nKl ? { z: view.klZ.subarray(0, nKl * flow.dim), tau: view.klTau.subarray(0, nKl) } : undefined,
    });
    let at = 0;
    for (const g of grads) {
      view.grads.set(g.dataSync() as Float32Array, at);
      at += g.size;
    }
    view.terms.set(terms.map((t) => t.dataSync()[0]!));
  });
}

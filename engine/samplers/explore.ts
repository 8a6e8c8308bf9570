import type * as tf from '@tensorflow/tfjs-core';
import { histogram, type Bins } from '../analysis';
import { abortError, yieldToEventLoop, YIELD_MS } from '../cancel';
import type { ModelSystem } from '../energies/types';
import { xDimOf, type Flow } from '../flows/types';
import type { Rng } from '../rng';
import { Adam, type AdamState } from '../train/adam';
import type { Stage } from '../train/schedule';
import { trainStep } from '../train/step';
import { energies64, latentMcStep, perRow64 } from './latent-mc';
import type { BufferStats, ExploreProgress } from '../../contract/progress';
import { stateIndex } from '../../contract/states';
import type { StepLoss } from '../../contract/progress';

/** Published step-size rule (docs/science.md): every window, shrink below 2 % acceptance, grow above 20 %. */
export function adaptStep(step: number, meanAcceptance: number): number {
  if (meanAcceptance < 0.02) return Math.max(1e-3, step * 0.98);
  if (meanAcceptance > 0.2) return Math.min(1, step * 1.02);
  return step;
}

export interface ExploreOptions {
  readonly flow: Flow;
  readonly system: ModelSystem;
  /** The single starting configuration. */
  readonly x0: Float64Array;
  readonly bufferSize: number;
  /** Std of the Gaussian noise added to the copies of x0 that fill the buffer. */
  readonly noise: number;
  readonly iterations: number;
  /** Buffer members per iteration (ML batch and latent moves); `stage.batch` sizes the KL batch. */
  readonly batch: number;
  /** Loss weights, learning rate and energy cuts (`iterations`/`epochs` are ignored). */
  readonly stage: Stage;
  /** Temperature of the latent moves and of the buffer's ML term. */
  readonly tau: number;
  readonly step0: number;
  readonly adaptEvery: number;
  readonly clipNorm: number;
  readonly rng: Rng;
  readonly bins: Bins;
  readonly onProgress?: (p: ExploreProgress) => void;
  readonly signal?: AbortSignal;
  /** The starting buffer, row-major [bufferSize, dim] (molecules: short MD frames), instead of noisy copies of x0. */
  readonly initial?: Float32Array;
  /** Continue from a checkpoint instead of filling a fresh buffer. */
  readonly resume?: ExploreState;
  /** Called every `checkpointEverySeconds` with the live state (copy what you keep, synchronously). */
  readonly onCheckpoint?: (s: ExploreState) => void;
  readonly checkpointEverySeconds?: number;
}

/** Everything the loop needs to continue after iteration `iteration`. */
export interface ExploreState {
  readonly iteration: number;
  readonly latentStep: number;
  readonly windowAcc: number;
  readonly totalAcc: number;
  readonly skippedSteps: number;
  readonly adam: AdamState | null;
  readonly buffer: Float32Array;
  readonly u: Float64Array;
  readonly rc: Float64Array;
}

export interface ExploreResult {
  /** The final buffer, row-major [bufferSize, dim] (not an equilibrium sample: the flow moved). */
  readonly buffer: Float32Array;
  readonly u: Float64Array;
  readonly rc: Float64Array;
  readonly stats: BufferStats;
  readonly acceptance: number;
  readonly finalStep: number;
  readonly skippedSteps: number;
  readonly seconds: number;
}

/** The loop's working state: the buffer, the optimiser, scratch arrays and the counters a checkpoint saves. */
interface Loop {
  readonly o: ExploreOptions;
  readonly dim: number;
  readonly buffer: Float32Array;
  readonly u: Float64Array;
  readonly rc: Float64Array;
  readonly vars: tf.Variable[];
  readonly adam: Adam;
  readonly everyMs: number;
  /** Scratch for one batch: buffer indices, configurations, energies, and one row in float64. */
  readonly idx: Uint32Array;
  readonly xb: Float32Array;
  readonly ub: Float64Array;
  readonly row: Float64Array;
  lastYield: number;
  lastCheckpoint: number;
  step: number;
  windowAcc: number;
  totalAcc: number;
  skipped: number;
  stats: BufferStats | null;
}

/**
 * The exploration loop (the published "particle filter"): a buffer of noisy copies of one
 * configuration; each iteration draws a batch, takes one gradient step with that batch as ML data,
 * then one latent Metropolis move per batch member under the updated flow, and writes the
 * accepted moves back. As the flow learns the buffer, latent moves become large moves in x.
 */
export async function explore(o: ExploreOptions): Promise<ExploreResult> {
  const t0 = performance.now();
  const l = startLoop(o, t0);
  try {
    for (let it = (o.resume?.iteration ?? 0) + 1; it <= o.iterations; it++) {
      await pace(l, it);
      iterate(l, it);
    }
  } finally {
    l.adam.dispose();
  }
  return {
    buffer: l.buffer,
    u: l.u,
    rc: l.rc,
    // The last iteration's statistics already describe the final buffer.
    stats: l.stats ?? bufferStats(o.system, l.rc, o.bins),
    acceptance: o.iterations > 0 ? l.totalAcc / o.iterations : 0,
    finalStep: l.step,
    skippedSteps: l.skipped,
    seconds: (performance.now() - t0) / 1000,
  };
}

/** Checks the options and builds the loop state: a fresh buffer, the initial one, or the checkpoint's. */
function startLoop(o: ExploreOptions, t0: number): Loop {
  const { flow, system, rng } = o;
  const dim = xDimOf(flow);
  if (o.x0.length !== dim) throw new Error(`explore: start configuration has ${o.x0.length} coordinates, the system has ${dim}`);
  if (!Number.isFinite(system.energy64(o.x0))) throw new Error('explore: the start configuration has a non-finite energy');
  const n = o.bufferSize;
  const r0 = o.resume;
  if (r0 && r0.u.length !== n) throw new Error(`explore: checkpoint buffer has ${r0.u.length} members, the spec asks for ${n}`);
  if (o.initial && o.initial.length !== n * dim) throw new Error(`explore: the initial buffer has ${o.initial.length} values, expected ${n}×${dim}`);
  const buffer = r0?.buffer ?? (o.initial ? Float32Array.from(o.initial) : new Float32Array(n * dim));
  if (!r0 && !o.initial) for (let i = 0; i < n; i++) for (let j = 0; j < dim; j++) buffer[i * dim + j] = o.x0[j]! + o.noise * rng.normal();
  const u = r0?.u ?? energies64(system, buffer, dim);
  const rc = r0?.rc ?? perRow64(buffer, dim, (row) => system.rc64(row));

  const vars: tf.Variable[] = flow.variables().filter((v) => v.trainable);
  const adam = new Adam(vars, o.stage.lr);
  if (r0?.adam) adam.restore(r0.adam);
  return {
    o, dim, buffer, u, rc, vars, adam,
    everyMs: 1000 * (o.checkpointEverySeconds ?? Infinity),
    idx: new Uint32Array(o.batch),
    xb: new Float32Array(o.batch * dim),
    ub: new Float64Array(o.batch),
    row: new Float64Array(dim),
    lastYield: t0,
    lastCheckpoint: t0,
    step: r0?.latentStep ?? o.step0,
    windowAcc: r0?.windowAcc ?? 0,
    totalAcc: r0?.totalAcc ?? 0,
    skipped: r0?.skippedSteps ?? 0,
    stats: null,
  };
}

/** Before iteration `it`: a checkpoint when due, a yield to the event loop when due, and the abort check. */
async function pace(l: Loop, it: number): Promise<void> {
  if (performance.now() - l.lastCheckpoint > l.everyMs) save(l, it);
  if (performance.now() - l.lastYield > YIELD_MS) {
    await yieldToEventLoop();
    l.lastYield = performance.now();
  }
  // A cancel (or shutdown) checkpoints first, so resume continues from this iteration.
  if (l.o.signal?.aborted) {
    save(l, it);
    throw abortError();
  }
}

/** Hand the loop's state (iterations before `it` done) to `onCheckpoint`. */
function save(l: Loop, it: number): void {
  const { step, windowAcc, totalAcc, skipped, buffer, u, rc } = l;
  l.o.onCheckpoint?.({ iteration: it - 1, latentStep: step, windowAcc, totalAcc, skippedSteps: skipped, adam: l.adam.state(), buffer, u, rc });
  l.lastCheckpoint = performance.now();
}

/** One iteration: draw a batch, one gradient step, one latent move per member, write back, adapt, report. */
function iterate(l: Loop, it: number): void {
  const { o, dim, buffer, u, rc, idx, xb, ub, row } = l;
  const { flow, system, rng } = o;
  for (let b = 0; b < o.batch; b++) {
    const i = rng.int(o.bufferSize);
    idx[b] = i;
    xb.set(buffer.subarray(i * dim, (i + 1) * dim), b * dim);
    ub[b] = u[i]!;
  }
  const r = trainStep({ flow, system, stage: o.stage, adam: l.adam, vars: l.vars, xData: xb, dataTau: o.tau, rng, clipNorm: o.clipNorm });
  if (r.skipped) l.skipped++;
  const mc = latentMcStep(flow, system, { x: xb, u: ub, step: l.step, tau: o.tau, rng });
  for (let b = 0; b < o.batch; b++) {
    if (!mc.accepted[b]) continue;
    const i = idx[b]!;
    const xi = mc.x.subarray(b * dim, (b + 1) * dim);
    buffer.set(xi, i * dim);
    u[i] = mc.u[b]!;
    row.set(xi);
    rc[i] = system.rc64(row);
  }
  const acc = mc.nAccepted / o.batch;
  l.windowAcc += acc;
  l.totalAcc += acc;
  const usedStep = l.step;
  const adapt = it % o.adaptEvery === 0;
  if (adapt) {
    l.step = adaptStep(l.step, l.windowAcc / o.adaptEvery);
    l.windowAcc = 0;
  }
  o.onProgress?.({
    iteration: it,
    totalIterations: o.iterations,
    loss: r.loss,
    acceptance: acc,
    step: usedStep,
    skippedSteps: l.skipped,
    ...(adapt || it === o.iterations ? { buffer: (l.stats = bufferStats(system, rc, o.bins)) } : {}),
  });
}

/** State fractions and RC histogram of the buffer. */
export function bufferStats(system: ModelSystem, rc: Float64Array, bins: Bins): BufferStats {
  let a = 0;
  let b = 0;
  let lo = Infinity;
  let hi = -Infinity;
  for (const r of rc) {
    const s = stateIndex(r, system.states);
    if (s === 0) a++;
    else if (s === 1) b++;
    if (r < lo) lo = r;
    if (r > hi) hi = r;
  }
  const n = rc.length || 1;
  const width = (bins.max - bins.min) / bins.n;
  return {
    stateFractions: { A: a / n, B: b / n, neither: (rc.length - a - b) / n },
    rcHistogram: {
      centers: Array.from({ length: bins.n }, (_, k) => bins.min + (k + 0.5) * width),
      counts: Array.from(histogram(rc, bins)),
    },
    rcMin: lo,
    rcMax: hi,
  };
}

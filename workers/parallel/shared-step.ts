/**
 * The shared memory of a data-parallel training step: what the leader thread and its gradient
 * helpers exchange without messages on the hot path. One control block (generation counter, helpers
 * done, stop and error flags, each slot's row counts), the stage's loss settings, the trainable
 * weights the leader publishes after every update, and one slot per helper: its shard of the ML and
 * KL batches in, its gradients and loss terms out. Sampling reuses a slot: z rows in (the KL
 * region), x rows (the ML region) and log-determinants (the τ region) out.
 */

/**
 * Int32 control words: the generation counter the helpers wait on, how many are done, stop and
 * error flags, what a generation asks (MODE: a gradient shard, or a forward pass over sample rows),
 * the version of the published weights, then two row counts per slot.
 */
export const CTRL = { GEN: 0, DONE: 1, STOP: 2, ERROR: 3, MODE: 4, WEIGHTS: 5, SLOTS: 6 } as const;
export const MODE = { GRADIENT: 0, FORWARD: 1 } as const;
/** Float64 stage settings, in this order. */
export const STAGE_FIELDS = ['wML', 'wKL', 'highEnergy', 'maxEnergy', 'dataTau'] as const;

export interface SharedShape {
  readonly helpers: number;
  /** Trainable weights, in `vars` order, flattened. */
  readonly sizes: readonly number[];
  /** Rows a slot can hold (the largest shard of the largest batch). */
  readonly capacity: number;
  readonly xDim: number;
  readonly zDim: number;
}

/** The buffers themselves: plain SharedArrayBuffers, so they pass to worker threads as they are. */
export interface SharedBuffers {
  readonly shape: SharedShape;
  readonly control: SharedArrayBuffer;
  readonly stage: SharedArrayBuffer;
  readonly weights: SharedArrayBuffer;
  readonly slots: readonly SharedArrayBuffer[];
}

export function allocateShared(shape: SharedShape): SharedBuffers {
  const f32 = (n: number): SharedArrayBuffer => new SharedArrayBuffer(4 * n);
  return {
    shape,
    control: new SharedArrayBuffer(4 * (CTRL.SLOTS + 2 * shape.helpers)),
    stage: new SharedArrayBuffer(8 * STAGE_FIELDS.length),
    weights: f32(total(shape.sizes)),
    slots: Array.from({ length: shape.helpers }, () => f32(slotLength(shape))),
  };
}

const total = (sizes: readonly number[]): number => sizes.reduce((a, b) => a + b, 0);

function slotLength(s: SharedShape): number {
  return s.capacity * (s.xDim + s.zDim + 1) + total(s.sizes) + 3;
}

/** Typed views of one helper's slot: inputs (ML rows, KL z and τ) and outputs (gradients, 3 loss terms). */
export interface SlotView {
  readonly ml: Float32Array;
  readonly klZ: Float32Array;
  readonly klTau: Float32Array;
  readonly grads: Float32Array;
  readonly terms: Float32Array;
}

export function slotView(buffer: SharedArrayBuffer, s: SharedShape): SlotView {
  const at = (offset: number, length: number): Float32Array => new Float32Array(buffer, 4 * offset, length);
  const ml = s.capacity * s.xDim;
  const kl = s.capacity * s.zDim;
  const g = total(s.sizes);
  return { ml: at(0, ml), klZ: at(ml, kl), klTau: at(ml + kl, s.capacity), grads: at(ml + kl + s.capacity, g), terms: at(ml + kl + s.capacity + g, 3) };
}

/**
 * Rows [start, end) of each of `parts` shards of `n` rows: contiguous, in order, sizes differing by
 * at most one (the leader takes shard 0, helper k shard k + 1).
 */
export function shards(n: number, parts: number): [number, number][] {
  return Array.from({ length: parts }, (_, k) => [Math.floor((k * n) / parts), Math.floor(((k + 1) * n) / parts)]);
}

/**
 * The batch mean from shard means: Σ_k (n_k / n)·g_k, added in shard order so the result does not
 * depend on which thread finished first. `out` receives it; every part has `out.length` values.
 */
export function combineShards(parts: readonly { rows: number; values: ArrayLike<number> }[], out: Float32Array): Float32Array {
  const n = parts.reduce((a, p) => a + p.rows, 0);
  out.fill(0);
  // Accumulated in float64 per element would need a second buffer; float32 in a fixed order is what
  // one thread's reduction does too (the trajectories agree "up to float32 summation order").
  for (const p of parts) {
    if (p.rows === 0) continue;
    const w = p.rows / n;
    for (let j = 0; j < out.length; j++) out[j] = out[j]! + w * p.values[j]!;
  }
  return out;
}

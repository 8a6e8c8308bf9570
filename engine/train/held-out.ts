import * as tf from '@tensorflow/tfjs-core';
import { HELD_OUT_CHECK_ROWS } from '../../contract/run-spec/cost';
import { flowLogDensity, gaussianLogNorm } from '../flows/density';
import { xDimOf, type Flow } from '../flows/types';

/**
 * Held-out data for early stopping. The rows are cut into `SEGMENTS` contiguous segments and the
 * tail of each is held out: MD frames and Metropolis chains are time-ordered and often stored state
 * by state, so a random split would put near-copies of training frames in the held-out set, and a
 * single tail would hold out one state only.
 */
export const SEGMENTS = 20;

export interface HeldOutSplit {
  readonly train: Float64Array;
  readonly heldOut: Float64Array;
}

/** Split row-major `x` (rows of `dim`) into training rows and the tail `fraction` of each segment. */
export function splitHeldOut(x: Float64Array, dim: number, fraction: number): HeldOutSplit {
  if (!(fraction > 0 && fraction < 1)) throw new Error(`held-out fraction ${fraction} is not in (0, 1)`);
  const n = x.length / dim;
  const train: number[] = [];
  const held: number[] = [];
  for (let s = 0; s < SEGMENTS; s++) {
    const start = Math.floor((s * n) / SEGMENTS);
    const end = Math.floor(((s + 1) * n) / SEGMENTS);
    const cut = end - Math.round((end - start) * fraction);
    for (let r = start; r < end; r++) (r < cut ? train : held).push(r);
  }
  if (!held.length || !train.length) throw new Error(`holding out ${fraction} of ${n} rows leaves ${train.length} to train on and ${held.length} to check against`);
  const rows = (idx: number[]): Float64Array => {
    const out = new Float64Array(idx.length * dim);
    idx.forEach((r, i) => out.set(x.subarray(r * dim, (r + 1) * dim), i * dim));
    return out;
  };
  return { train: rows(train), heldOut: rows(held) };
}

const CHUNK = 1024;

/** Up to `max` rows of row-major `x`, evenly spaced (all of them where there are no more): the same rows every call. */
export function evenlySpacedRows(x: Float64Array, dim: number, max: number): Float64Array {
  const n = x.length / dim;
  if (n <= max) return x;
  const out = new Float64Array(max * dim);
  for (let i = 0; i < max; i++) {
    const r = Math.floor((i * n) / max);
    out.set(x.subarray(r * dim, (r + 1) * dim), i * dim);
  }
  return out;
}

/** One held-out check: the rows checked (evenly spaced, the same every time), their log q_τ, and the mean NLL. */
export interface HeldOutCheck {
  readonly rows: Float64Array;
  /** log q_τ of each row, as `flowLogDensity` gives it for a flow of latent dimension `zDim`. */
  readonly logQ: Float64Array;
  readonly zDim: number;
  readonly tau: number;
  /** The ML loss at τ of the rows: −mean log q_τ without the normalisation (d/2)·log(2πτ). */
  readonly nll: number;
}

/** Score up to `HELD_OUT_CHECK_ROWS` held-out rows in one inverse pass. */
export function checkHeldOut(flow: Flow, heldOut: Float64Array, tau: number): HeldOutCheck {
  const rows = evenlySpacedRows(heldOut, xDimOf(flow), HELD_OUT_CHECK_ROWS);
  const logQ = flowLogDensity(flow, Float32Array.from(rows), tau, CHUNK);
  let sum = 0;
  for (const v of logQ) sum += v;
  return { rows, logQ, zDim: flow.dim, tau, nll: -sum / logQ.length - gaussianLogNorm(flow.dim, tau) };
}

/** Mean negative log-likelihood (the ML loss at `tau`) of up to `HELD_OUT_CHECK_ROWS` held-out rows. */
export function heldOutNll(flow: Flow, heldOut: Float64Array, tau: number): number {
  return checkHeldOut(flow, heldOut, tau).nll;
}

/**
 * The weights at the best held-out NLL seen so far (host copies of every variable), to restore
 * when training ends: early stopping without cutting the schedule short, so a later improvement
 * still counts.
 */
export class BestWeights {
  private best: { step: number; nll: number; values: Float32Array[] | null } | null = null;

  /** `keepWeights` false: track the best step and NLL only (a run that reports them but ends on its last weights). */
  constructor(private readonly keepWeights = true) {}

  /** The best step and NLL so far without their weights (a checkpoint of a run that does not keep them). */
  remember(step: number, nll: number): void {
    this.best = { step, nll, values: null };
  }

  /** Keep `flow`'s weights if `nll` beats the best so far; true when it did. */
  offer(flow: Flow, step: number, nll: number): boolean {
    if (!Number.isFinite(nll) || (this.best && nll >= this.best.nll)) return false;
    this.best = { step, nll, values: this.keepWeights ? flow.variables().map((v) => Float32Array.from(v.dataSync() as Float32Array)) : null };
    return true;
  }

  get step(): number | null {
    return this.best?.step ?? null;
  }

  get nll(): number | null {
    return this.best?.nll ?? null;
  }

  /**
   * The kept weights as bytes (every variable's float32 values, in `flow.variables()` order) with
   * their step and NLL, for a checkpoint: a resumed run then still ends on the best weights of the
   * whole run, not the best since the resume. Null when none was kept.
   */
  save(): { step: number; nll: number; weights: Uint8Array } | null {
    if (!this.best?.values) return null;
    const total = this.best.values.reduce((n, v) => n + v.length, 0);
    const out = new Float32Array(total);
    let at = 0;
    for (const v of this.best.values) (out.set(v, at), (at += v.length));
    return { step: this.best.step, nll: this.best.nll, weights: new Uint8Array(out.buffer) };
  }

  /** The kept weights from `save()`'s bytes, cut to `flow`'s variable sizes (refused when they do not add up). */
  load(flow: Flow, step: number, nll: number, weights: Uint8Array): void {
    const sizes = flow.variables().map((v) => v.size);
    const total = sizes.reduce((a, b) => a + b, 0);
    if (weights.byteLength !== total * 4) throw new Error(`checkpoint: the held-out best weights hold ${weights.byteLength / 4} values, the flow has ${total}`);
    const all = new Float32Array(weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength));
    let at = 0;
    const values = sizes.map((n) => all.subarray(at, (at += n)));
    this.best = { step, nll, values };
  }

  /** Put the best weights back into `flow` (the same architecture); false when none was kept. */
  restore(flow: Flow): boolean {
    if (!this.best?.values) return false;
    const values = this.best.values;
    flow.variables().forEach((v, i) => tf.tidy(() => v.assign(tf.tensor(values[i]!, v.shape))));
    return true;
  }
}

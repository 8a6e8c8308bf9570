import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../../rng';
import { Mlp } from '../mlp';
import { HalvesFlow } from '../halves';
import { constMatMul } from '../permute';
import { newVariable } from '../types';
import { paramsPerDim, rqSpline, type SplineDomain } from './rq-spline';

export interface SplineStackOptions {
  readonly dim: number;
  /** Number of couplings; coupling i updates the second half if i is even, else the first. */
  readonly couplings: number;
  readonly hidden: readonly number[];
  readonly bins: number;
  /** Which coordinates (in this stack's input order) are periodic: circular splines, (cos, sin) features. */
  readonly periodic: readonly boolean[];
  /** The interval of the other coordinates until `setDomain` fits them (periodic ones start on [−π, π)). */
  readonly interval: readonly [number, number];
  /** The coordinates of the first half; default the even ones (see `partition.ts`). */
  readonly firstHalf?: readonly number[] | undefined;
  readonly rng: Rng;
}

/** Columns of one half as conditioner features: raw values, and (cos, sin) of each periodic one. */
interface Features {
  readonly plain: { M: tf.Tensor2D; MT: tf.Tensor2D } | null;
  readonly angles: { M: tf.Tensor2D; MT: tf.Tensor2D } | null;
  readonly size: number;
}

/**
 * Neural-spline couplings (Durkan et al. 2019) over alternating halves (a partition of the coordinates), the
 * spline counterpart of `CouplingStack`: each coupling's MLP sees one half and emits, per
 * coordinate of the other half, the 3K + 1 parameters of a rational-quadratic spline
 * (`rq-spline.ts`). Periodic coordinates get circular splines and enter conditioners as (cos, sin).
 * The per-coordinate intervals are fixed (non-trainable) variables set by `setDomain` from the data
 * the flow is fitted on, so they are saved with the weights. The last layer of every MLP starts at
 * zero, so the stack starts as the identity.
 */
export class SplineCouplingStack extends HalvesFlow {
  readonly bins: number;
  readonly periodic: readonly boolean[];
  /** Interval lower ends and widths, in this stack's coordinate order. */
  readonly lo: tf.Variable<tf.Rank.R1>;
  readonly width: tf.Variable<tf.Rank.R1>;
  private readonly mask: tf.Tensor1D;
  private readonly couplings: { net: Mlp; updatesSecond: boolean; features: Features }[];

  constructor(o: SplineStackOptions) {
    super(o.dim, o.firstHalf);
    if (o.periodic.length !== o.dim) throw new Error(`spline couplings: ${o.periodic.length} periodic flags for ${o.dim} coordinates`);
    this.bins = o.bins;
    this.periodic = o.periodic;
    const { first, second } = this;
    const order = [...first, ...second];
    const [a, b] = o.interval;
    this.lo = newVariable(() => tf.tensor1d(o.periodic.map((p) => (p ? -Math.PI : a))), false);
    this.width = newVariable(() => tf.tensor1d(o.periodic.map((p) => (p ? 2 * Math.PI : b - a))), false);
    this.mask = tf.keep(tf.tensor1d(order.map((i) => (o.periodic[i] ? 1 : 0))));
    const halves = [first.map((i) => o.periodic[i]!), second.map((i) => o.periodic[i]!)];
    this.couplings = Array.from({ length: o.couplings }, (_, i) => {
      const updatesSecond = i % 2 === 0;
      const features = featureMap(halves[updatesSecond ? 0 : 1]!);
      const nOut = (updatesSecond ? second.length : this.nFirst) * paramsPerDim(o.bins);
      return { updatesSecond, features, net: new Mlp([features.size, ...o.hidden, nOut], o.rng) };
    });
  }

  /** Set every coordinate's interval (this stack's order): [lo, lo + width]. */
  setDomain(lo: ArrayLike<number>, width: ArrayLike<number>): void {
    if (lo.length !== this.dim || width.length !== this.dim) throw new Error('spline couplings: one interval per coordinate');
    for (let i = 0; i < this.dim; i++) if (!(Number.isFinite(lo[i]!) && width[i]! > 0 && Number.isFinite(width[i]!))) throw new Error(`spline couplings: coordinate ${i} has no finite interval of positive width`);
    tf.tidy(() => {
      this.lo.assign(tf.tensor1d(Array.from(lo)));
      this.width.assign(tf.tensor1d(Array.from(width)));
    });
  }

  /** The trainable conditioners, then the fitted intervals. */
  variables(): tf.Variable[] {
    return [...this.couplings.map((c) => c.net.theta), this.lo, this.width];
  }

  override dispose(): void {
    this.couplings.forEach((c) => {
      c.net.dispose();
      for (const m of [c.features.plain, c.features.angles]) if (m) tf.dispose([m.M, m.MT]);
    });
    super.dispose();
    tf.dispose([this.lo, this.width, this.mask]);
  }

  /** forward, with log|det J| per coordinate (this stack's order) instead of summed: diagnostics. */
  forwardTerms(z: tf.Tensor2D): { x: tf.Tensor2D; terms: tf.Tensor2D } {
    const perHalf: tf.Tensor2D[][] = [[], []];
    const { y } = this.run(z, false, perHalf);
    const sum = (t: tf.Tensor2D[], width: number): tf.Tensor2D => (t.length ? (tf.addN(t) as tf.Tensor2D) : tf.zeros([z.shape[0], width]));
    return { x: y, terms: this.merge(sum(perHalf[0]!, this.nFirst), sum(perHalf[1]!, this.dim - this.nFirst)) };
  }

  protected run(input: tf.Tensor2D, inverse: boolean, perHalf?: tf.Tensor2D[][]): { y: tf.Tensor2D; logDet: tf.Tensor1D } {
    const n = input.shape[0];
    const nSecond = this.dim - this.nFirst;
    const ordered = (v: tf.Tensor1D): tf.Tensor1D => (this.split ? (tf.reshape(tf.matMul(tf.reshape(v, [1, -1]), this.split.P), [-1]) as tf.Tensor1D) : v);
    const lo = ordered(this.lo), width = ordered(this.width);
    const part = (v: tf.Tensor1D, inSecond: boolean): tf.Tensor1D => (inSecond ? tf.slice(v, [this.nFirst], [nSecond]) : tf.slice(v, [0], [this.nFirst]));
    const domain = (inSecond: boolean): SplineDomain => ({ lo: part(lo, inSecond), width: part(width, inSecond), periodic: part(this.mask, inSecond) });
    const domains = [domain(false), domain(true)] as const;
    let [first, second] = this.halves(input);
    const order = inverse ? [...this.couplings].reverse() : this.couplings;
    const terms: tf.Tensor1D[] = [];
    for (const c of order) {
      const cond = c.updatesSecond ? first : second;
      const condDomain = domains[c.updatesSecond ? 0 : 1];
      const raw = c.net.apply(features(cond, c.features, condDomain));
      const r = rqSpline(c.updatesSecond ? second : first, raw, this.bins, domains[c.updatesSecond ? 1 : 0], inverse);
      terms.push(r.logDet);
      perHalf?.[c.updatesSecond ? 1 : 0]!.push(r.perDim);
      if (c.updatesSecond) second = r.y;
      else first = r.y;
    }
    return { y: this.merge(first, second), logDet: terms.length ? (tf.addN(terms) as tf.Tensor1D) : tf.zeros([n]) };
  }
}

/** Selection matrices for a half's plain and periodic columns (null where there are none). */
function featureMap(periodic: readonly boolean[]): Features {
  const select = (want: boolean): { M: tf.Tensor2D; MT: tf.Tensor2D } | null => {
    const cols = periodic.flatMap((p, i) => (p === want ? [i] : []));
    if (!cols.length) return null;
    const m = new Float32Array(periodic.length * cols.length);
    cols.forEach((src, j) => (m[src * cols.length + j] = 1));
    const M = tf.keep(tf.tensor2d(m, [periodic.length, cols.length]));
    return { M, MT: tf.keep(tf.transpose(M)) };
  };
  const nPeriodic = periodic.filter(Boolean).length;
  // All plain: the half itself is the feature vector (no selection matmul).
  if (nPeriodic === 0) return { plain: null, angles: null, size: periodic.length };
  return { plain: select(false), angles: select(true), size: periodic.length + nPeriodic };
}

/** Conditioner input: the plain columns, then cos and sin of each periodic column's angle. */
function features(x: tf.Tensor2D, f: Features, dom: SplineDomain): tf.Tensor2D {
  if (!f.angles) return x;
  const row = (v: tf.Tensor1D): tf.Tensor2D => tf.matMul(tf.reshape(v, [1, -1]), f.angles!.M) as tf.Tensor2D;
  const angle = tf.mul(tf.div(tf.sub(constMatMul(x, f.angles.M, f.angles.MT), row(dom.lo)), row(dom.width)), 2 * Math.PI);
  const parts = [tf.cos(angle), tf.sin(angle)] as tf.Tensor2D[];
  if (f.plain) parts.unshift(constMatMul(x, f.plain.M, f.plain.MT));
  return tf.concat(parts, 1) as tf.Tensor2D;
}

import * as tf from '@tensorflow/tfjs-core';

/**
 * Rational-quadratic splines (Durkan et al. 2019, "Neural Spline Flows"; docs/science.md), batched
 * over [batch, dims] with per-element parameters. Each dimension d has an interval [lo_d, hi_d]
 * split into K bins whose widths and heights come from softmaxes (so the spline maps the interval
 * onto itself) and K + 1 knot derivatives from softpluses.
 * - bounded dims: the end derivatives are 1 and the map is the identity outside the interval
 *   (linear tails), so the layer is a bijection of R with a continuous derivative;
 * - periodic dims (torsions): the end derivative is shared (d_K = d_0), so the map is a circle
 *   diffeomorphism of [lo, hi) with f(lo) = lo, f(hi) = hi and a derivative continuous across the
 *   seam; values are expected inside the interval (the flow keeps them there).
 * Hand-written here: tfjs has no spline op.
 */

/** Smallest bin width / height (fraction of the interval) and knot derivative, as in nflows. */
export const MIN_BIN = 1e-3;
export const MIN_DERIVATIVE = 1e-3;

/** Per-dimension constants of one spline transform (tensors kept by the owning layer). */
export interface SplineDomain {
  /** Lower end of each dimension's interval, [D]. */
  readonly lo: tf.Tensor1D;
  /** hi − lo, [D]. */
  readonly width: tf.Tensor1D;
  /** 1 for a periodic dimension, 0 for a bounded one, [D]. */
  readonly periodic: tf.Tensor1D;
}

/** softplus(DERIVATIVE_SHIFT) + MIN_DERIVATIVE = 1: all-zero raw parameters give the identity. */
const DERIVATIVE_SHIFT = Math.log(Math.expm1(1 - MIN_DERIVATIVE));

/** Raw parameters per dimension: K width logits, K height logits, K + 1 derivative pre-activations. */
export const paramsPerDim = (bins: number): number => 3 * bins + 1;

interface Knots {
  /** [B, D, K + 1] knot positions on the input and output sides. */
  readonly x: tf.Tensor3D;
  readonly y: tf.Tensor3D;
  /** [B, D, K + 1] derivatives at the knots. */
  readonly d: tf.Tensor3D;
}

// Few slices and concats on purpose: on wasm each one (and its padded gradient) is a kernel launch,
// and launches, not arithmetic, dominate a spline step (docs/performance.md).

/** Knot positions lo + width·(0, c_1, …, c_K) from softmaxed bin sizes (c_K = 1 up to rounding). */
function knotPositions(logits: tf.Tensor3D, bins: number, lo: tf.Tensor3D, width: tf.Tensor3D): tf.Tensor3D {
  const sizes = tf.add(MIN_BIN, tf.mul(1 - MIN_BIN * bins, tf.softmax(logits)));
  const unit = tf.cumsum(tf.pad(sizes, [[0, 0], [0, 0], [1, 0]]), 2);
  return tf.add(lo, tf.mul(width, unit)) as tf.Tensor3D;
}

interface KnotMasks {
  readonly first: tf.Tensor1D;
  readonly last: tf.Tensor1D;
  readonly interior: tf.Tensor1D;
}
/** Made once per bin count and kept: they are constants, and a spline runs every coupling of every step. */
const masks = new Map<number, KnotMasks>();

/** 0/1 rows over the K + 1 knots: [first, last, interior]. */
function knotMasks(bins: number): KnotMasks {
  let m = masks.get(bins);
  if (!m) {
    const first = new Float32Array(bins + 1), last = new Float32Array(bins + 1);
    first[0] = 1;
    last[bins] = 1;
    const interior = first.map((f, i) => 1 - f - last[i]!);
    masks.set(bins, (m = { first: tf.keep(tf.tensor1d(first)), last: tf.keep(tf.tensor1d(last)), interior: tf.keep(tf.tensor1d(interior)) }));
  }
  return m;
}

function knots(raw: tf.Tensor2D, bins: number, dom: SplineDomain): Knots {
  const b = raw.shape[0];
  const dims = dom.lo.shape[0];
  const p = tf.reshape(raw, [b, dims, paramsPerDim(bins)]) as tf.Tensor3D;
  const [wl, hl, dl] = tf.split(p, [bins, bins, bins + 1], 2) as [tf.Tensor3D, tf.Tensor3D, tf.Tensor3D];
  const lo = tf.reshape(dom.lo, [1, dims, 1]) as tf.Tensor3D;
  const width = tf.reshape(dom.width, [1, dims, 1]) as tf.Tensor3D;
  const x = knotPositions(wl, bins, lo, width);
  const y = knotPositions(hl, bins, lo, width);
  const free = tf.add(MIN_DERIVATIVE, tf.softplus(tf.add(dl, DERIVATIVE_SHIFT)));
  const m = knotMasks(bins);
  // Periodic: d_K := d_0 (one derivative at the seam). Bounded: d_0 = d_K = 1 (identity tails).
  const d0 = tf.slice(free, [0, 0, 0], [b, dims, 1]);
  const periodicD = tf.add(tf.mul(free, tf.sub(1, m.last)), tf.mul(d0, m.last));
  const boundedD = tf.add(tf.mul(free, m.interior), tf.add(m.first, m.last));
  const per = tf.reshape(dom.periodic, [1, dims, 1]);
  const d = tf.add(tf.mul(per, periodicD), tf.mul(tf.sub(1, per), boundedD)) as tf.Tensor3D;
  return { x, y, d };
}

/** One-hot rows [B, D, K + 1] of each value's bin k (`lo`) and of k + 1 (`hi`), searched on `edges`. */
function binOf(v: tf.Tensor2D, edges: tf.Tensor3D, bins: number): { lo: tf.Tensor3D; hi: tf.Tensor3D } {
  const [b, d] = v.shape;
  // Edges strictly below v, counted as step(v − edge): wasm's broadcasting comparison kernels are
  // ~5× slower than a broadcasting Sub and an elementwise Step (docs/performance.md). A value on an
  // edge lands in the bin below it, where the spline takes the same value.
  const above = tf.sum(tf.step(tf.sub(tf.expandDims(v, 2), edges)), 2);
  const k = tf.cast(tf.reshape(tf.clipByValue(tf.sub(above, 1), 0, bins - 1), [-1]), 'int32') as tf.Tensor1D;
  const hot = (i: tf.Tensor1D): tf.Tensor3D => tf.reshape(tf.cast(tf.oneHot(i, bins + 1), 'float32'), [b, d, bins + 1]) as tf.Tensor3D;
  return { lo: hot(k), hi: hot(tf.add(k, tf.scalar(1, 'int32')) as tf.Tensor1D) };
}

/** Σ over the knots of onehot·t: t at the selected knot, [B, D]. */
const pick = (onehot: tf.Tensor3D, t: tf.Tensor3D): tf.Tensor2D => tf.sum(tf.mul(onehot, t), 2) as tf.Tensor2D;

/**
 * Apply the spline (or its inverse) to `v` [B, D] with conditioner output `raw` [B, D·(3K+1)].
 * Returns the transformed values, log|dy/dv| summed over the dimensions [B], and per dimension [B, D].
 */
export function rqSpline(v: tf.Tensor2D, raw: tf.Tensor2D, bins: number, dom: SplineDomain, inverse: boolean): { y: tf.Tensor2D; logDet: tf.Tensor1D; perDim: tf.Tensor2D } {
  const k = knots(raw, bins, dom);
  const hiEdge = tf.add(dom.lo, dom.width);
  // 1 inside the interval (always, for periodic dims), else 0: bounded dims pass through unchanged
  // outside it. Built from sign(), which has a (zero) gradient: logical ops have none in tfjs.
  const step = (t: tf.Tensor): tf.Tensor => tf.mul(0.5, tf.add(tf.sign(t), 1));
  const inside = tf.maximum(tf.mul(step(tf.sub(v, dom.lo)), step(tf.sub(hiEdge, v))), dom.periodic) as tf.Tensor2D;
  const clamped = tf.minimum(tf.maximum(v, dom.lo), hiEdge) as tf.Tensor2D;
  const bin = binOf(clamped, inverse ? k.y : k.x, bins);
  const xk = pick(bin.lo, k.x);
  const wk = tf.sub(pick(bin.hi, k.x), xk);
  const yk = pick(bin.lo, k.y);
  const hk = tf.sub(pick(bin.hi, k.y), yk);
  const dk = pick(bin.lo, k.d);
  const dk1 = pick(bin.hi, k.d);
  const s = tf.div(hk, wk);
  const curve = tf.sub(tf.add(dk1, dk), tf.mul(2, s));
  let xi: tf.Tensor2D;
  let out: tf.Tensor2D;
  if (!inverse) {
    xi = tf.clipByValue(tf.div(tf.sub(clamped, xk), wk), 0, 1) as tf.Tensor2D;
    const t = tf.mul(xi, tf.sub(1, xi));
    const num = tf.mul(hk, tf.add(tf.mul(s, tf.square(xi)), tf.mul(dk, t)));
    out = tf.add(yk, tf.div(num, tf.add(s, tf.mul(curve, t)))) as tf.Tensor2D;
  } else {
    const dy = tf.sub(clamped, yk);
    const a = tf.add(tf.mul(hk, tf.sub(s, dk)), tf.mul(dy, curve));
    const bq = tf.sub(tf.mul(hk, dk), tf.mul(dy, curve));
    const c = tf.mul(tf.neg(s), dy);
    const disc = tf.relu(tf.sub(tf.square(bq), tf.mul(4, tf.mul(a, c))));
    // The root in [0, 1], in the form that stays accurate when a → 0 (Durkan et al., eq. 29).
    xi = tf.clipByValue(tf.div(tf.mul(2, c), tf.sub(tf.neg(bq), tf.sqrt(disc))), 0, 1) as tf.Tensor2D;
    out = tf.add(xk, tf.mul(xi, wk)) as tf.Tensor2D;
  }
  const t = tf.mul(xi, tf.sub(1, xi));
  const denom = tf.add(s, tf.mul(curve, t));
  const slope = tf.div(
    tf.mul(tf.square(s), tf.add(tf.add(tf.mul(dk1, tf.square(xi)), tf.mul(tf.mul(2, s), t)), tf.mul(dk, tf.square(tf.sub(1, xi))))),
    tf.square(denom),
  );
  const logSlope = tf.mul(inside, tf.log(slope));
  const y = tf.add(tf.mul(inside, out), tf.mul(tf.sub(1, inside), v)) as tf.Tensor2D;
  const perDim = (inverse ? tf.neg(logSlope) : logSlope) as tf.Tensor2D;
  return { y, logDet: tf.sum(perDim, 1) as tf.Tensor1D, perDim };
}

import * as tf from '@tensorflow/tfjs-core';
import { customOp } from '../custom-op';
import { newVariable, type Flow } from '../types';

const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);
/** Keeps Φ⁻¹ finite in float32: u in [EPS, 1 − EPS] ↔ |z| ≤ 5.3. */
const EPS = 6e-8;

/**
 * The base distribution of periodic coordinates, as the first (z-side) layer: θ = lo + w·Φ(z) maps
 * a standard-normal latent onto the circle [lo, lo + w) (Φ the normal CDF). At τ = 1 the prior
 * N(0, 1) becomes exactly the uniform distribution on the circle, so the flow's prior is uniform on
 * torsions and Gaussian elsewhere while every sampler, loss and weight keeps its N(0, τ·I) latent
 * (docs/science.md, "Spline flows"). Other coordinates pass through. log|dθ/dz| = log w + log φ(z).
 */
export class PeriodicBase implements Flow {
  readonly dim: number;
  readonly lo: tf.Variable<tf.Rank.R1>;
  readonly width: tf.Variable<tf.Rank.R1>;
  private readonly mask: tf.Tensor1D;
  private readonly bools: tf.Tensor1D;

  constructor(readonly periodic: readonly boolean[]) {
    this.dim = periodic.length;
    this.mask = tf.keep(tf.tensor1d(periodic.map((p) => (p ? 1 : 0))));
    this.bools = tf.keep(tf.cast(this.mask, 'bool'));
    this.lo = newVariable(() => tf.fill([this.dim], -Math.PI) as tf.Tensor1D, false);
    this.width = newVariable(() => tf.fill([this.dim], 2 * Math.PI) as tf.Tensor1D, false);
  }

  /** The circles of the periodic coordinates (the entries of other coordinates are ignored). */
  setDomain(lo: ArrayLike<number>, width: ArrayLike<number>): void {
    tf.tidy(() => {
      this.lo.assign(tf.tensor1d(Array.from(lo)));
      this.width.assign(tf.tensor1d(Array.from(width)));
    });
  }

  forward(z: tf.Tensor2D): { x: tf.Tensor2D; logDet: tf.Tensor1D } {
    const { x, terms } = this.forwardTerms(z);
    return { x, logDet: tf.sum(terms, 1) as tf.Tensor1D };
  }

  /** forward, with log|dθ/dz| per coordinate (0 for the non-periodic ones). */
  forwardTerms(z: tf.Tensor2D): { x: tf.Tensor2D; terms: tf.Tensor2D } {
    const safe = tf.where(this.bools, z, tf.zerosLike(z));
    const theta = tf.add(this.lo, tf.mul(this.width, normalCdf(safe)));
    const ld = tf.sub(tf.add(tf.log(this.width), tf.mul(tf.square(safe), -0.5)), LOG_SQRT_2PI);
    return { x: tf.where(this.bools, theta, z) as tf.Tensor2D, terms: tf.mul(ld, this.mask) as tf.Tensor2D };
  }

  inverse(x: tf.Tensor2D): { z: tf.Tensor2D; logDet: tf.Tensor1D } {
    const u = tf.clipByValue(tf.div(tf.sub(x, this.lo), this.width), EPS, 1 - EPS);
    const z = normalQuantile(tf.where(this.bools, u, tf.fill(u.shape, 0.5)) as tf.Tensor2D);
    const ld = tf.sub(tf.add(tf.log(this.width), tf.mul(tf.square(z), -0.5)), LOG_SQRT_2PI);
    return { z: tf.where(this.bools, z, x) as tf.Tensor2D, logDet: tf.neg(tf.sum(tf.mul(ld, this.mask), 1)) as tf.Tensor1D };
  }

  variables(): tf.Variable[] {
    return [this.lo, this.width];
  }

  dispose(): void {
    tf.dispose([this.lo, this.width, this.mask, this.bools]);
  }
}

/** Φ(z) = ½·(1 + erf(z/√2)). */
function normalCdf(z: tf.Tensor2D): tf.Tensor2D {
  return tf.mul(0.5, tf.add(1, tf.erf(tf.mul(z, Math.SQRT1_2)))) as tf.Tensor2D;
}

// Acklam's rational approximation of Φ⁻¹ (relative error < 1.2e-9, far below float32), in three
// regions; tfjs has no erfinv. Its gradient is exact: dz/du = 1/φ(z).
const A = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
const B = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
const C = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
const D = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
const P_LOW = 0.02425;

/** Horner evaluation of Σ c_k t^(n−k) (highest power first). */
function poly(t: tf.Tensor, c: readonly number[]): tf.Tensor {
  let r: tf.Tensor = tf.fill(t.shape, c[0]!);
  for (let k = 1; k < c.length; k++) r = tf.add(tf.mul(r, t), c[k]!);
  return r;
}

const quantileOp = customOp((save, u: tf.Tensor2D) => {
  const q = tf.sub(u, 0.5);
  const r = tf.square(q);
  const central = tf.div(tf.mul(poly(r, A), q), tf.add(tf.mul(poly(r, B), r), 1));
  const tailOf = (p: tf.Tensor): tf.Tensor => {
    const t = tf.sqrt(tf.mul(-2, tf.log(p)));
    return tf.div(poly(t, C), tf.add(tf.mul(poly(t, D), t), 1));
  };
  const low = tailOf(tf.minimum(u, 0.5));
  const high = tf.neg(tailOf(tf.minimum(tf.sub(1, u), 0.5)));
  const rough = tf.where(tf.less(u, P_LOW), low, tf.where(tf.greater(u, 1 - P_LOW), high, central));
  // One Newton step on Φ(z) = u where float32 evaluates Φ well (the central region): 1e-4 → 1e-6.
  const newton = tf.sub(rough, tf.mul(tf.sub(normalCdf(rough as tf.Tensor2D), u), tf.exp(tf.add(tf.mul(tf.square(rough), 0.5), LOG_SQRT_2PI))));
  const centralRegion = tf.logicalAnd(tf.greaterEqual(u, P_LOW), tf.lessEqual(u, 1 - P_LOW));
  const value = tf.where(centralRegion, newton, rough) as tf.Tensor2D;
  save([value]);
  return {
    value,
    gradFunc: (dy: tf.Tensor2D, saved: tf.Tensor[]) => [tf.mul(dy, tf.exp(tf.add(tf.mul(tf.square(saved[0]!), 0.5), LOG_SQRT_2PI)))],
  };
});

/** Φ⁻¹(u) for u in (0, 1). */
export function normalQuantile(u: tf.Tensor2D): tf.Tensor2D {
  return quantileOp(u);
}

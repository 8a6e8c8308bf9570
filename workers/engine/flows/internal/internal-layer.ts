import * as tf from '@tensorflow/tfjs-core';
import { newVariable, type Flow } from '../types';
import { IcPlan, toInternal64 } from './internal-coordinates';
import type { ZMatrix } from './zmatrix';

const TWO_PI = 2 * Math.PI;

/** a ↦ a − 2π·⌈(a − π)/2π⌉ ∈ (−π, π] (the ceiling's gradient is zero, so the gradient is 1). */
export function wrapAngle(a: tf.Tensor): tf.Tensor {
  return tf.sub(a, tf.mul(TWO_PI, tf.ceil(tf.div(tf.sub(a, Math.PI), TWO_PI))));
}
export function wrapAngle64(a: number): number {
  return a - TWO_PI * Math.ceil((a - Math.PI) / TWO_PI);
}

/**
 * Z-matrix internal coordinates as a fixed flow layer on the x side (no trainable variables):
 * forward: z → x, x = Cart(μ + σ·z); inverse: x → z, z = (IC(x) − μ)/σ, with IC's layout
 * [root xyz | bond lengths | angles | dihedrals] (see `internal-coordinates.ts`).
 * log|det J_zx| = Σ log σ + Σ_rows log(r² |sin θ|); the inverse returns its negative.
 *
 * Dihedrals (and the two seed orientation angles in that block) are periodic. The inverse returns
 * each as a real number: wrap(φ − μ_φ) ∈ (−π, π], then divided by σ_φ. With μ_φ the data's circular
 * mean, the cut at ±π sits opposite the mean direction, where samples are rarest; the flow sees a
 * bounded interval and the cut remains a discontinuity there (rotamers spread round the whole circle,
 * e.g. methyl groups, do cross it). The forward map accepts any real φ (placement uses cos φ, sin φ),
 * so a flow output outside the interval still gives a valid structure: x → z → x is exact
 * everywhere, z → x → z on the interval. Bond lengths must stay > 0 and angles in (0, π) for the
 * map to be one-to-one.
 * `fit` sets μ, σ from data (like `Whiten`); unfitted, μ = 0 and σ = 1 (plain internal coordinates).
 */
export class InternalCoordinatesLayer implements Flow {
  readonly dim: number;
  private readonly plan: IcPlan;
  private readonly mean: tf.Variable<tf.Rank.R1>;
  private readonly std: tf.Variable<tf.Rank.R1>;

  constructor(readonly zmatrix: ZMatrix) {
    this.dim = 3 * zmatrix.nAtoms;
    this.plan = new IcPlan(zmatrix);
    this.mean = newVariable(() => tf.zeros([this.dim]), false);
    this.std = newVariable(() => tf.ones([this.dim]), false);
  }

  /** Fit μ, σ on `data` (row-major n×3N Cartesian, float64); σ is floored at `minStd`. */
  fit(data: Float64Array, minStd = 1e-4): void {
    const d = this.dim, n = data.length / d, p0 = d - this.plan.m;
    if (!Number.isInteger(n) || n < 2) throw new Error('internal coordinates: fitting needs at least 2 samples');
    const qs = Array.from({ length: n }, (_, i) => toInternal64(this.plan.refs, this.zmatrix.seed[0], data.subarray(i * d, (i + 1) * d)));
    const mean = new Float32Array(d), std = new Float32Array(d);
    for (let j = 0; j < d; j++) {
      const col = qs.map((q) => q[j]!);
      let mu: number;
      let dev: number[];
      if (j >= p0) {
        // Circular mean; spread of the wrapped deviations about it.
        mu = Math.atan2(col.reduce((s, a) => s + Math.sin(a), 0), col.reduce((s, a) => s + Math.cos(a), 0));
        dev = col.map((a) => wrapAngle64(a - mu));
      } else {
        mu = col.reduce((s, a) => s + a, 0) / n;
        dev = col.map((a) => a - mu);
      }
      mean[j] = mu;
      std[j] = Math.max(minStd, Math.sqrt(dev.reduce((s, e) => s + e * e, 0) / (n - 1)));
    }
    tf.tidy(() => {
      this.mean.assign(tf.tensor1d(mean));
      this.std.assign(tf.tensor1d(std));
    });
  }

  forward(z: tf.Tensor2D): { x: tf.Tensor2D; logDet: tf.Tensor1D } {
    return tf.tidy(() => {
      const q = tf.add(tf.mul(z, this.std), this.mean) as tf.Tensor2D;
      const logDet = tf.add(this.plan.logDetToCartesian(q), tf.sum(tf.log(this.std))) as tf.Tensor1D;
      return { x: this.plan.toCartesian(q), logDet };
    });
  }

  inverse(x: tf.Tensor2D): { z: tf.Tensor2D; logDet: tf.Tensor1D } {
    return tf.tidy(() => {
      const q = this.plan.toInternal(x);
      const [lin, per] = tf.split(tf.sub(q, this.mean), [this.dim - this.plan.m, this.plan.m], 1);
      const z = tf.div(tf.concat([lin!, wrapAngle(per!)], 1), this.std) as tf.Tensor2D;
      const logDet = tf.neg(tf.add(this.plan.logDetToCartesian(q), tf.sum(tf.log(this.std)))) as tf.Tensor1D;
      return { z, logDet };
    });
  }

  /** The fixed standardisation (μ, σ), serialised with the flow; the Z-matrix comes from the topology. */
  variables(): tf.Variable[] {
    return [this.mean, this.std];
  }

  dispose(): void {
    this.plan.dispose();
    this.mean.dispose();
    this.std.dispose();
  }
}

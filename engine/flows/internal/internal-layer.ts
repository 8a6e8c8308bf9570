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
 * The centre μ of a dihedral column: the cut at μ ± π is put in the emptiest part of the circle.
 * Among the 5° bins with the lowest count (smoothed over ±1 bin, circularly), the one nearest the
 * circular mean + π. For unimodal data that is the circular mean's opposite; for a rotor (a methyl's
 * H, three modes 120° apart, whose circular mean is meaningless) it is a barrier between two modes.
 * Measured on alanine dipeptide MD: with the circular mean, 9–12 % of the methyl-rotor samples lay
 * within 10 % of the cut (a mode split in two, a density edge no flow fits); with this, none.
 */
export function dihedralCentre(col: readonly number[]): number {
  const bins = 72, w = TWO_PI / bins, count = new Float64Array(bins);
  for (const a of col) count[Math.min(bins - 1, Math.floor((wrapAngle64(a) + Math.PI) / w))]!++;
  const smooth = Array.from(count, (_, k) => count[(k + bins - 1) % bins]! + count[k]! + count[(k + 1) % bins]!);
  const low = Math.min(...smooth);
  const opposite = wrapAngle64(Math.atan2(col.reduce((s, a) => s + Math.sin(a), 0), col.reduce((s, a) => s + Math.cos(a), 0)) + Math.PI);
  let cut = opposite, best = Infinity;
  smooth.forEach((c, k) => {
    if (c !== low) return;
    const centre = -Math.PI + (k + 0.5) * w, d = Math.abs(wrapAngle64(centre - opposite));
    if (d < best) ((best = d), (cut = centre));
  });
  return wrapAngle64(cut + Math.PI);
}

/**
 * Z-matrix internal coordinates as a fixed flow layer on the x side (no trainable variables):
 * forward: z → x, x = Cart(μ + σ·z); inverse: x → z, z = (IC(x) − μ)/σ, with IC's layout
 * [root xyz | bond lengths | angles | dihedrals] (see `internal-coordinates.ts`).
 * log|det J_zx| = Σ log σ + Σ_rows log(r² |sin θ|); the inverse returns its negative.
 *
 * Dihedrals (and the two seed orientation angles in that block) are periodic. The inverse returns
 * each as a real number: wrap(φ − μ_φ) ∈ (−π, π], then divided by σ_φ. μ_φ (`dihedralCentre`)
 * puts the cut at ±π in the emptiest part of the circle, where samples are rarest; the flow sees a
 * bounded interval and the cut remains a discontinuity there (rare crossings only). The forward map accepts any real φ (placement uses cos φ, sin φ),
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
        // The cut in the emptiest part of the circle; spread of the wrapped deviations about its opposite.
        mu = dihedralCentre(col);
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

import * as tf from '@tensorflow/tfjs-core';
import { constMatMul } from '../permute';
import { newVariable, type Flow } from '../types';
import { pca, WhiteningMap } from '../whiten';
import { IcPlan, toInternal64 } from './internal-coordinates';
import { dihedralCentre, wrapAngle, wrapAngle64 } from './internal-layer';
import { mixedZRows, placeRows, type V3 } from './mixed-geometry';
import type { ZRow } from './zmatrix';

/**
 * The mixed coordinate transform of Boltzmann generators (Noé et al. 2019) as a fixed flow layer on
 * the x side. N atoms; M "Cartesian" atoms (e.g. the heavy-atom backbone); L = N − M other atoms.
 * z layout (dim = 3N − 6): [ PCA-whitened Cartesian coordinates (3M − 6) | r (L) | θ (L) | φ (L) ].
 * - Cartesian block: x_S = μ + z_c·Λ^{1/2}·V_Kᵀ, V_K the 3M − 6 principal axes of largest variance of
 *   the fitted data. The 6 smallest-variance axes are DROPPED and reconstructed as the mean: they are
 *   the rigid-body directions, which carry no variance only if the training data were rigidly aligned
 *   (`alignToReference` in `mixed-geometry.ts`, Kabsch on the Cartesian atoms). Alignment constraints
 *   are linear (centroid, Kabsch stationarity), so aligned configurations lie in exactly that subspace.
 * - Other atoms: a Z-matrix whose references are Cartesian atoms or earlier rows (`mixedZRows`: BFS from
 *   the Cartesian atoms), standardised like `InternalCoordinatesLayer` (μ, σ; `dihedralCentre` for φ).
 * The flow (and its prior) therefore lives in 3N − 6 dimensions, the paper's construction: forward is
 * a bijection from R^{3N−6} onto the (3N − 6)-dim manifold of aligned configurations (with bonds > 0,
 * angles in (0, π)), not onto R^{3N}. inverse projects the Cartesian atoms onto it, so x → z → x is the
 * identity only for aligned x. logDet is the volume factor of the embedding, log sqrt det(JᵀJ) of the
 * 3N × (3N − 6) Jacobian of z → x. J is block-triangular ([A 0; B C]: Cartesian atoms depend on z_c
 * only), so sqrt det(JᵀJ) = sqrt det(AᵀA)·|det C| exactly:
 *   log|det J_zx| = Σ_kept ½ log λ_k + Σ log σ + Σ_rows log(r² |sin θ|);  inverse returns its negative.
 * Reweighting note: the dropped rigid-body motions add no configuration-dependent factor here (as in
 * the paper), and any constant cancels in normalised importance weights.
 * Call `fit` before use (unfitted, the Cartesian block keeps the first 3M − 6 coordinates of the subset).
 */
export class MixedCoordinatesLayer implements Flow {
  readonly dim: number;
  readonly xDim: number;
  readonly rows: readonly ZRow[];
  /** The 6 dropped eigenvalues of the last fit (nm²): ~0 for aligned data. */
  droppedVariance: number[] = [];
  private readonly nc: number;
  private readonly nl: number;
  private readonly plan: IcPlan;
  private readonly select: tf.Tensor2D;
  private readonly selectT: tf.Tensor2D;
  /** The Cartesian block's whitening: 3M data coordinates onto the 3M − 6 kept principal axes. */
  private readonly whitening: WhiteningMap;
  private readonly icMean: tf.Variable<tf.Rank.R1>;
  private readonly icStd: tf.Variable<tf.Rank.R1>;

  constructor(readonly nAtoms: number, bonds: readonly (readonly [number, number])[], readonly cartesian: readonly number[]) {
    this.rows = mixedZRows(nAtoms, bonds, cartesian);
    const m3 = 3 * cartesian.length, nc = (this.nc = m3 - 6), nl = (this.nl = this.rows.length);
    this.dim = nc + 3 * nl;
    this.xDim = 3 * nAtoms;
    // IcPlan only for x → q (its root columns are ignored): every row reference is a real atom.
    this.plan = new IcPlan({ nAtoms, seed: [cartesian[0]!, cartesian[1]!, cartesian[2]!], rows: this.rows });
    const sel = new Float32Array(3 * nAtoms * m3);
    cartesian.forEach((a, i) => [0, 1, 2].forEach((k) => (sel[(3 * a + k) * m3 + 3 * i + k] = 1)));
    this.select = tf.keep(tf.tensor2d(sel, [3 * nAtoms, m3]));
    this.selectT = tf.keep(tf.transpose(this.select));
    this.whitening = new WhiteningMap(m3, nc);
    this.icMean = newVariable(() => tf.zeros([3 * nl]), false);
    this.icStd = newVariable(() => tf.ones([3 * nl]), false);
  }

  /** Fit on ALIGNED data (row-major n × 3N, float64): PCA of the Cartesian atoms (variances floored at
   * `minVariance`, as in `Whiten`) and the internal coordinates' μ, σ (σ floored at `minStd`). */
  fit(data: Float64Array, minVariance = 1e-6, minStd = 1e-4): void {
    const d = 3 * this.nAtoms, n = data.length / d, m3 = 3 * this.cartesian.length, nc = this.nc, nl = this.nl;
    if (!Number.isInteger(n) || n < 2) throw new Error('mixed: fitting needs at least 2 samples');
    const xs = new Float64Array(n * m3);
    for (let s = 0; s < n; s++) this.cartesian.forEach((a, i) => xs.set(data.subarray(s * d + 3 * a, s * d + 3 * a + 3), s * m3 + 3 * i));
    const p = pca(xs, m3);
    const { eigenvalues } = p;
    const order = [...eigenvalues.keys()].sort((a, b) => eigenvalues[b]! - eigenvalues[a]!);
    this.droppedVariance = order.slice(nc).map((k) => eigenvalues[k]!);
    const qs = Array.from({ length: n }, (_, s) => toInternal64(this.plan.refs, this.cartesian[0]!, data.subarray(s * d, (s + 1) * d)).subarray(3));
    const mu = new Float32Array(3 * nl), sd = new Float32Array(3 * nl);
    for (let j = 0; j < 3 * nl; j++) {
      const col = qs.map((q) => q[j]!);
      const circ = j >= 2 * nl;
      const m = circ ? dihedralCentre(col) : col.reduce((t, a) => t + a, 0) / n;
      const dev = col.map((a) => (circ ? wrapAngle64(a - m) : a - m));
      mu[j] = m;
      sd[j] = Math.max(minStd, Math.sqrt(dev.reduce((t, e) => t + e * e, 0) / (n - 1)));
    }
    this.whitening.fit(p, order.slice(0, nc), minVariance);
    tf.tidy(() => {
      this.icMean.assign(tf.tensor1d(mu));
      this.icStd.assign(tf.tensor1d(sd));
    });
  }

  /** Whether latent coordinate i is a torsion: periodic, on (−π/σ_i, π/σ_i]. */
  isPeriodic(i: number): boolean {
    return i >= this.nc + 2 * this.nl && i < this.dim;
  }

  /** Each latent coordinate's circle [lo, lo + width) (torsions: width 2π/σ), null for the others. */
  circles(): ({ lo: number; width: number } | null)[] {
    const sd = this.icStd.dataSync();
    return Array.from({ length: this.dim }, (_, i) => {
      if (!this.isPeriodic(i)) return null;
      const sigma = sd[i - this.nc]!;
      return { lo: -Math.PI / sigma, width: (2 * Math.PI) / sigma };
    });
  }

  /**
   * forward, with log|det J_zx| per latent coordinate: 2 log r + log σ for a bond, log|sin θ| + log σ
   * for an angle, log σ for a torsion, and the whitening's constant spread over the Cartesian block.
   */
  forwardTerms(z: tf.Tensor2D): { x: tf.Tensor2D; terms: tf.Tensor2D } {
    const { x } = this.forward(z);
    return tf.tidy(() => {
      const zq = tf.slice(z, [0, this.nc], [-1, 3 * this.nl]);
      const q = tf.add(tf.mul(zq, this.icStd), this.icMean);
      const r = tf.slice(q, [0, 0], [-1, this.nl]), theta = tf.slice(q, [0, this.nl], [-1, this.nl]);
      const geometry = tf.concat([tf.mul(2, tf.log(tf.abs(r))), tf.log(tf.abs(tf.sin(theta))), tf.zerosLike(r)], 1);
      const ic = tf.add(geometry, tf.log(this.icStd));
      const cart = tf.mul(tf.ones([z.shape[0], this.nc]), tf.div(this.whitening.logDetZX, this.nc));
      return { x, terms: tf.concat([cart, ic], 1) as tf.Tensor2D };
    });
  }

  /** log|det J_zx| from the (unstandardised) internal coordinates q = [r | θ | φ]. */
  private logDetZX(q: tf.Tensor2D): tf.Tensor1D {
    const r = tf.slice(q, [0, 0], [-1, this.nl]), theta = tf.slice(q, [0, this.nl], [-1, this.nl]);
    const ic = tf.sum(tf.add(tf.mul(2, tf.log(tf.abs(r))), tf.log(tf.abs(tf.sin(theta)))), 1);
    return tf.add(ic, tf.add(this.whitening.logDetZX, tf.sum(tf.log(this.icStd)))) as tf.Tensor1D;
  }

  forward(z: tf.Tensor2D): { x: tf.Tensor2D; logDet: tf.Tensor1D } {
    return tf.tidy(() => {
      const [zc, zq] = tf.split(z, [this.nc, 3 * this.nl], 1) as [tf.Tensor2D, tf.Tensor2D];
      const cols = tf.unstack(this.whitening.toData(zc), 1);
      const q = tf.add(tf.mul(zq, this.icStd), this.icMean) as tf.Tensor2D;
      const pos: V3[] = new Array(this.nAtoms);
      this.cartesian.forEach((a, i) => (pos[a] = [cols[3 * i]!, cols[3 * i + 1]!, cols[3 * i + 2]!]));
      const qc = tf.unstack(q, 1), nl = this.nl;
      placeRows(pos, this.rows, qc.slice(0, nl), qc.slice(nl, 2 * nl), qc.slice(2 * nl));
      return { x: tf.stack(pos.flat(), 1) as tf.Tensor2D, logDet: this.logDetZX(q) };
    });
  }

  inverse(x: tf.Tensor2D): { z: tf.Tensor2D; logDet: tf.Tensor1D } {
    return tf.tidy(() => {
      const zc = this.whitening.toLatent(constMatMul(x, this.select, this.selectT));
      const q = tf.slice(this.plan.toInternal(x), [0, 3], [-1, -1]) as tf.Tensor2D;
      const [lin, per] = tf.split(tf.sub(q, this.icMean), [2 * this.nl, this.nl], 1);
      const zq = tf.div(tf.concat([lin!, wrapAngle(per!)], 1), this.icStd);
      return { z: tf.concat([zc, zq], 1) as tf.Tensor2D, logDet: tf.neg(this.logDetZX(q)) as tf.Tensor1D };
    });
  }

  /** The fitted constants (whitening, then the internal standardisation); none is trainable. */
  variables(): tf.Variable[] {
    return [...this.whitening.variables(), this.icMean, this.icStd];
  }

  dispose(): void {
    this.plan.dispose();
    tf.dispose([this.select, this.selectT]);
    this.variables().forEach((v) => v.dispose());
  }
}

import * as tf from '@tensorflow/tfjs-core';
import { constMatMul } from './permute';
import { newVariable, type Flow } from './types';

/** Mean and eigen-decomposition of a sample covariance: eigenvectors are the columns of a row-major dim × dim matrix. */
export interface Pca {
  mean: Float64Array;
  eigenvalues: Float64Array;
  eigenvectors: Float64Array;
}

/**
 * The whitening core shared by `Whiten` and the mixed coordinate layer's Cartesian block: the fixed
 * affine map between xDim data coordinates and zDim ≤ xDim whitened ones over kept principal axes K,
 *   z = (x − μ)·V_K·Λ_K^{−1/2},   x = μ + z·Λ_K^{1/2}·V_Kᵀ,   log|det| over the kept axes = ½ Σ_K log λ.
 * Six variables, none trainable, in a fixed order (serialisation): μ, the x → z matrix, the z → x
 * matrix, their transposes (for gradients), and ½ Σ_K log λ. Unfitted, it keeps the first zDim coordinates.
 */
export class WhiteningMap {
  readonly mean: tf.Variable<tf.Rank.R1>;
  /** x → z matrix V·Λ^{−1/2} and its inverse Λ^{1/2}·Vᵀ, each with its transpose (for gradients). */
  readonly toZ: tf.Variable<tf.Rank.R2>;
  readonly toX: tf.Variable<tf.Rank.R2>;
  readonly toZT: tf.Variable<tf.Rank.R2>;
  readonly toXT: tf.Variable<tf.Rank.R2>;
  /** log|det J_zx| over the kept axes = ½ Σ log λ, a constant. */
  readonly logDetZX: tf.Variable<tf.Rank.R0>;

  constructor(readonly xDim: number, readonly zDim: number) {
    const keepFirst = (): tf.Tensor2D => tf.slice(tf.eye(xDim), [0, 0], [xDim, zDim]);
    this.mean = newVariable(() => tf.zeros([xDim]), false);
    this.toZ = newVariable(keepFirst, false);
    this.toX = newVariable(() => tf.transpose(keepFirst()), false);
    this.toZT = newVariable(() => tf.transpose(keepFirst()), false);
    this.toXT = newVariable(keepFirst, false);
    this.logDetZX = newVariable(() => tf.scalar(0), false);
  }

  /**
   * Set the map from a PCA of xDim-dimensional data, keeping the eigen-axes `axes` (zDim of them, in
   * z order); variances are floored at `minVariance` so the map stays invertible.
   */
  fit(p: Pca, axes: readonly number[], minVariance: number): void {
    const { mean, eigenvalues, eigenvectors } = p;
    const nx = this.xDim, nz = this.zDim;
    if (axes.length !== nz) throw new Error(`whitening: ${axes.length} axes kept, expected ${nz}`);
    const toZ = new Float32Array(nx * nz);
    const toX = new Float32Array(nz * nx);
    let logDet = 0;
    axes.forEach((k, c) => {
      const lambda = Math.max(eigenvalues[k]!, minVariance);
      const s = Math.sqrt(lambda);
      logDet += 0.5 * Math.log(lambda);
      for (let i = 0; i < nx; i++) {
        const v = eigenvectors[i * nx + k]!;
        toZ[i * nz + c] = v / s;
        toX[c * nx + i] = v * s;
      }
    });
    tf.tidy(() => {
      this.mean.assign(tf.tensor1d(Float32Array.from(mean)));
      this.toZ.assign(tf.tensor2d(toZ, [nx, nz]));
      this.toX.assign(tf.tensor2d(toX, [nz, nx]));
      this.toZT.assign(tf.transpose(this.toZ));
      this.toXT.assign(tf.transpose(this.toX));
      this.logDetZX.assign(tf.scalar(logDet));
    });
  }

  /** z = (x − μ)·toZ. */
  toLatent(x: tf.Tensor2D): tf.Tensor2D {
    return constMatMul(tf.sub(x, this.mean), this.toZ, this.toZT) as tf.Tensor2D;
  }

  /** x = z·toX + μ. */
  toData(z: tf.Tensor2D): tf.Tensor2D {
    return tf.add(constMatMul(z, this.toX, this.toXT), this.mean) as tf.Tensor2D;
  }

  variables(): tf.Variable[] {
    return [this.mean, this.toZ, this.toX, this.toZT, this.toXT, this.logDetZX];
  }

  dispose(): void {
    this.variables().forEach((v) => v.dispose());
  }
}

/**
 * PCA whitening fitted on data, on the x side of the flow: F_xz(x) = (x − μ)·V·Λ^{−1/2}.
 * Directions whose variance is below `minVariance` (e.g. rigid constraints) keep a floor so the
 * map stays invertible. The parameters are fixed (not trained) but are serialised with the flow.
 */
export class Whiten implements Flow {
  readonly dim: number;
  private readonly map: WhiteningMap;

  constructor(dim: number) {
    this.dim = dim;
    this.map = new WhiteningMap(dim, dim);
  }

  /** Fit mean and principal axes on `data` (row-major n×dim, float64): every axis, in the eigensolver's order. */
  fit(data: Float64Array, minVariance = 1e-6): void {
    this.map.fit(pca(data, this.dim), Array.from({ length: this.dim }, (_, k) => k), minVariance);
  }

  forward(z: tf.Tensor2D): { x: tf.Tensor2D; logDet: tf.Tensor1D } {
    const x = this.map.toData(z);
    return { x, logDet: tf.add(tf.zeros([z.shape[0]]), this.map.logDetZX) as tf.Tensor1D };
  }

  inverse(x: tf.Tensor2D): { z: tf.Tensor2D; logDet: tf.Tensor1D } {
    const z = this.map.toLatent(x);
    return { z, logDet: tf.sub(tf.zeros([x.shape[0]]), this.map.logDetZX) as tf.Tensor1D };
  }

  variables(): tf.Variable[] {
    return this.map.variables();
  }

  dispose(): void {
    this.map.dispose();
  }
}

/** Mean and eigen-decomposition of the sample covariance (cyclic Jacobi, float64). */
export function pca(data: Float64Array, dim: number): Pca {
  const n = data.length / dim;
  if (!Number.isInteger(n) || n < 2) throw new Error('whitening needs at least 2 samples');
  const mean = new Float64Array(dim);
  for (let r = 0; r < n; r++) for (let i = 0; i < dim; i++) mean[i]! += data[r * dim + i]! / n;
  const cov = new Float64Array(dim * dim);
  for (let r = 0; r < n; r++) {
    for (let i = 0; i < dim; i++) {
      const di = data[r * dim + i]! - mean[i]!;
      for (let j = i; j < dim; j++) cov[i * dim + j]! += (di * (data[r * dim + j]! - mean[j]!)) / (n - 1);
    }
  }
  for (let i = 0; i < dim; i++) for (let j = 0; j < i; j++) cov[i * dim + j] = cov[j * dim + i]!;
  const { values, vectors } = jacobiEigen(cov, dim);
  return { mean, eigenvalues: values, eigenvectors: vectors };
}

/** Symmetric eigen-decomposition by cyclic Jacobi rotations: eigenvectors are columns. */
function jacobiEigen(a0: Float64Array, n: number): { values: Float64Array; vectors: Float64Array } {
  const a = Float64Array.from(a0);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += a[p * n + q]! ** 2;
    if (off < 1e-22) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q]!;
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (a[q * n + q]! - a[p * n + p]!) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k * n + p]!;
          const akq = a[k * n + q]!;
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k]!;
          const aqk = a[q * n + k]!;
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p]!;
          const vkq = v[k * n + q]!;
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) values[i] = a[i * n + i]!;
  return { values, vectors: v };
}

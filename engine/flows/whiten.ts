import * as tf from '@tensorflow/tfjs-core';
import { constMatMul } from './permute';
import { newVariable, type Flow } from './types';

/**
 * PCA whitening fitted on data, on the x side of the flow: F_xz(x) = (x − μ)·V·Λ^{−1/2}.
 * Directions whose variance is below `minVariance` (e.g. rigid constraints) keep a floor so the
 * map stays invertible. The parameters are fixed (not trained) but are serialised with the flow.
 */
export class Whiten implements Flow {
  readonly dim: number;
  private readonly mean: tf.Variable<tf.Rank.R1>;
  /** x → z matrix V·Λ^{−1/2} and its inverse Λ^{1/2}·Vᵀ, each with its transpose (for gradients). */
  private readonly toZ: tf.Variable<tf.Rank.R2>;
  private readonly toX: tf.Variable<tf.Rank.R2>;
  private readonly toZT: tf.Variable<tf.Rank.R2>;
  private readonly toXT: tf.Variable<tf.Rank.R2>;
  /** log|det J_zx| = ½ Σ log λ, a constant. */
  private readonly logDetZX: tf.Variable<tf.Rank.R0>;

  constructor(dim: number) {
    this.dim = dim;
    this.mean = newVariable(() => tf.zeros([dim]), false);
    this.toZ = newVariable(() => tf.eye(dim) as tf.Tensor2D, false);
    this.toX = newVariable(() => tf.eye(dim) as tf.Tensor2D, false);
    this.toZT = newVariable(() => tf.eye(dim) as tf.Tensor2D, false);
    this.toXT = newVariable(() => tf.eye(dim) as tf.Tensor2D, false);
    this.logDetZX = newVariable(() => tf.scalar(0), false);
  }

  /** Fit mean and principal axes on `data` (row-major n×dim, float64). */
  fit(data: Float64Array, minVariance = 1e-6): void {
    const { mean, eigenvalues, eigenvectors } = pca(data, this.dim);
    const d = this.dim;
    const toZ = new Float32Array(d * d);
    const toX = new Float32Array(d * d);
    let logDet = 0;
    for (let k = 0; k < d; k++) {
      const lambda = Math.max(eigenvalues[k]!, minVariance);
      const s = Math.sqrt(lambda);
      logDet += 0.5 * Math.log(lambda);
      for (let i = 0; i < d; i++) {
        const v = eigenvectors[i * d + k]!;
        toZ[i * d + k] = v / s;
        toX[k * d + i] = v * s;
      }
    }
    tf.tidy(() => {
      this.mean.assign(tf.tensor1d(Float32Array.from(mean)));
      this.toZ.assign(tf.tensor2d(toZ, [d, d]));
      this.toX.assign(tf.tensor2d(toX, [d, d]));
      this.toZT.assign(tf.transpose(this.toZ));
      this.toXT.assign(tf.transpose(this.toX));
    });
    tf.tidy(() => this.logDetZX.assign(tf.scalar(logDet)));
  }

  forward(z: tf.Tensor2D): { x: tf.Tensor2D; logDet: tf.Tensor1D } {
    const x = tf.add(constMatMul(z, this.toX, this.toXT), this.mean) as tf.Tensor2D;
    return { x, logDet: tf.add(tf.zeros([z.shape[0]]), this.logDetZX) as tf.Tensor1D };
  }

  inverse(x: tf.Tensor2D): { z: tf.Tensor2D; logDet: tf.Tensor1D } {
    const z = constMatMul(tf.sub(x, this.mean), this.toZ, this.toZT) as tf.Tensor2D;
    return { z, logDet: tf.sub(tf.zeros([x.shape[0]]), this.logDetZX) as tf.Tensor1D };
  }

  variables(): tf.Variable[] {
    return [this.mean, this.toZ, this.toX, this.toZT, this.toXT, this.logDetZX];
  }

  dispose(): void {
    this.variables().forEach((v) => v.dispose());
  }
}

/** Mean and eigen-decomposition of the sample covariance (cyclic Jacobi, float64). */
export function pca(data: Float64Array, dim: number): { mean: Float64Array; eigenvalues: Float64Array; eigenvectors: Float64Array } {
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

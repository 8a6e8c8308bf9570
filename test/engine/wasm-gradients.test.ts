// The wasm backend is the production default here, and the engine's hand-written gradients (Mlp,
// constMatMul, linlogcut) exist because of it. These tests run on wasm; the cpu references they
// compare against are computed once, before switching, and kept as plain arrays.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { selectCompute } from '../../engine/compute/select';
import { createSystem } from '../../engine/energies';
import { buildFlow, type BuiltFlow } from '../../engine/flows/build';
import { Mlp } from '../../engine/flows/mlp';
import { klLoss, linlogcut, mlLoss } from '../../engine/losses';
import { Rng } from '../../engine/rng';

const DIM = 5;
const N = 24;
const dw = createSystem('double-well', { dim: DIM });

/** A RealNVP flow (with whitening) whose weights are random but reproducible from the seed. */
function makeFlow(): BuiltFlow {
  const rng = new Rng(2024);
  const built = buildFlow({ layers: 'RRPR', hidden: [24, 24], sScale: 1, whiten: true }, DIM, rng);
  const data = new Float64Array(300 * DIM);
  for (let r = 0; r < 300; r++) {
    const g = rng.normal();
    for (let j = 0; j < DIM; j++) data[r * DIM + j] = (j + 1) * 0.5 * rng.normal() + 0.8 * g + j;
  }
  built.whitening!.fit(data);
  for (const v of built.flow.variables()) {
    if (!v.trainable) continue;
    const a = Float32Array.from({ length: v.size }, () => 0.3 * (2 * rng.uniform() - 1));
    tf.tidy(() => v.assign(tf.tensor(a, v.shape)));
  }
  return built;
}

const batchRng = new Rng(77);
const X = batchRng.normals(new Float32Array(N * DIM), 1.5);
const Z = batchRng.normals(new Float32Array(N * DIM));
const TAU = Float32Array.from({ length: N }, (_, i) => (i % 2 ? 1 : 1.5));

interface Snapshot {
  ml: number;
  mlGrads: Float32Array[];
  kl: number;
  klGrads: Float32Array[];
  x: Float32Array;
  logDet: Float32Array;
}

/** ML and KL losses and their gradients w.r.t. every trainable variable, plus forward samples. */
function snapshot(): Snapshot {
  const { flow } = makeFlow();
  const vars = flow.variables().filter((v) => v.trainable);
  const grads = (f: () => tf.Scalar): { value: number; grads: Float32Array[] } => {
    const r = tf.variableGrads(f, vars);
    const out = { value: r.value.dataSync()[0]!, grads: vars.map((v) => r.grads[v.name]!.dataSync() as Float32Array) };
    tf.dispose([r.value, ...Object.values(r.grads)]);
    return out;
  };
  const ml = grads(() => mlLoss(flow, tf.tensor2d(X, [N, DIM]), 0.9));
  const kl = grads(
    () => klLoss(flow, dw, { z: tf.tensor2d(Z, [N, DIM]), tau: tf.tensor1d(TAU) }, { high: 30, max: 1e8 }).loss,
  );
  const f = tf.tidy(() => flow.forward(tf.tensor2d(Z, [N, DIM])));
  const out = { ml: ml.value, mlGrads: ml.grads, kl: kl.value, klGrads: kl.grads, x: f.x.dataSync() as Float32Array, logDet: f.logDet.dataSync() as Float32Array };
  tf.dispose([f.x, f.logDet]);
  return out;
}

let cpu: Snapshot;

beforeAll(async () => {
  await selectCompute({ prefer: 'cpu', env: {} });
  expect(tf.getBackend()).toBe('cpu');
  cpu = snapshot();
  await selectCompute({ prefer: 'wasm', env: {} });
  expect(tf.getBackend()).toBe('wasm');
});

const maxAbs = (a: ArrayLike<number>): number => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
};
const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
};
/** max|a − b| ≤ rel·max|b| (and b is not all zero, so the comparison means something). */
function expectClose(a: ArrayLike<number>, b: ArrayLike<number>, rel: number): void {
  expect(maxAbs(b)).toBeGreaterThan(0);
  expect(maxAbsDiff(a, b)).toBeLessThanOrEqual(rel * maxAbs(b));
}

describe('wasm backend', () => {
  it('runs on wasm', () => {
    expect(tf.getBackend()).toBe('wasm');
  });

  it('Mlp custom gradient equals the built-in one (x and theta)', () => {
    const sizes = [4, 32, 32, 6];
    const rng = new Rng(8);
    const mlp = new Mlp(sizes, rng);
    mlp.theta.assign(tf.tensor1d(Float32Array.from({ length: mlp.theta.size }, () => 0.6 * (2 * rng.uniform() - 1))));
    const n = 40;
    const xVar = tf.variable(tf.tensor2d(rng.normals(new Float32Array(n * 4)), [n, 4]), true);
    const w = tf.tensor2d(rng.normals(new Float32Array(n * 6)), [n, 6]);
    const plain = (x: tf.Tensor2D, theta: tf.Tensor1D): tf.Tensor2D => {
      let h = x;
      let off = 0;
      for (let l = 0; l + 1 < sizes.length; l++) {
        const [a, b] = [sizes[l]!, sizes[l + 1]!];
        const W = tf.reshape(tf.slice(theta, [off], [a * b]), [a, b]) as tf.Tensor2D;
        const bias = tf.slice(theta, [off + a * b], [b]);
        off += a * b + b;
        const pre = tf.add(tf.matMul(h, W), bias) as tf.Tensor2D;
        h = l + 2 === sizes.length ? pre : tf.relu(pre);
      }
      return h;
    };
    const custom = tf.variableGrads(() => tf.sum(tf.mul(mlp.apply(xVar), w)) as tf.Scalar, [xVar, mlp.theta]);
    const ref = tf.variableGrads(() => tf.sum(tf.mul(plain(xVar, mlp.theta), w)) as tf.Scalar, [xVar, mlp.theta]);
    expectClose(custom.value.dataSync(), ref.value.dataSync(), 1e-4);
    expectClose(custom.grads[xVar.name]!.dataSync(), ref.grads[xVar.name]!.dataSync(), 1e-4);
    expectClose(custom.grads[mlp.theta.name]!.dataSync(), ref.grads[mlp.theta.name]!.dataSync(), 1e-4);
  });

  it('RealNVP flow: forward samples and logDet match cpu for the same weights', () => {
    const { flow } = makeFlow();
    const f = tf.tidy(() => flow.forward(tf.tensor2d(Z, [N, DIM])));
    expectClose(f.x.dataSync(), cpu.x, 1e-5);
    expectClose(f.logDet.dataSync(), cpu.logDet, 1e-4);
  });

  it('RealNVP flow: ML and KL loss gradients on wasm match cpu (rel 1e-3)', () => {
    const wasm = snapshot();
    expect(Math.abs(wasm.ml - cpu.ml)).toBeLessThan(1e-4 * Math.max(1, Math.abs(cpu.ml)));
    expect(Math.abs(wasm.kl - cpu.kl)).toBeLessThan(1e-4 * Math.max(1, Math.abs(cpu.kl)));
    expect(wasm.mlGrads.length).toBe(cpu.mlGrads.length);
    wasm.mlGrads.forEach((g, i) => expectClose(g, cpu.mlGrads[i]!, 1e-3));
    wasm.klGrads.forEach((g, i) => expectClose(g, cpu.klGrads[i]!, 1e-3));
  });

  it('double-well energy and its gradient on wasm match energy64/gradient64', () => {
    const rng = new Rng(12);
    const n = 32;
    const x = rng.normals(new Float32Array(n * DIM), 1.5);
    const xt = tf.tensor2d(x, [n, DIM]);
    const e = dw.energy(xt).dataSync();
    const g = tf.grad((t: tf.Tensor) => tf.sum(dw.energy(t as tf.Tensor2D)))(xt).dataSync();
    const g64 = new Float64Array(DIM);
    for (let i = 0; i < n; i++) {
      const xi = Float64Array.from(x.subarray(i * DIM, (i + 1) * DIM));
      const u = dw.energy64(xi);
      expect(Math.abs(e[i]! - u)).toBeLessThan(1e-4 * Math.max(1, Math.abs(u)));
      dw.gradient64(xi, g64);
      expectClose(g.subarray(i * DIM, (i + 1) * DIM), g64, 1e-4);
    }
  });

  it('linlogcut on wasm: values, cap, non-finite → max, and its gradient', () => {
    const u = [-2, 5, 20, 1e12, NaN, Infinity, -Infinity];
    const [high, max] = [10, 40];
    const ut = tf.tensor1d(u);
    const v = linlogcut(ut, high, max).dataSync();
    const g = tf.grad((t: tf.Tensor) => tf.sum(linlogcut(t as tf.Tensor1D, high, max)))(ut).dataSync();
    const ref = [-2, 5, 10 + Math.log(11), 10 + Math.log(1e12 - 9), max, max, max];
    ref.forEach((r, i) => expect(v[i]!).toBeCloseTo(r, 4));
    const refG = [1, 1, 1 / 11, 1 / (1e12 - 9), 0, 0, 0];
    refG.forEach((r, i) => expect(g[i]!).toBeCloseTo(r, 6));
  });
});

import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { selectCompute } from '../../engine/compute/select';
import { buildFlow, type BuiltFlow, type FlowArch } from '../../engine/flows/build';
import { Mlp } from '../../engine/flows/mlp';
import { constMatMul } from '../../engine/flows/permute';
import { deserializeFlow, serializeFlow } from '../../engine/flows/serialize';
import type { Flow } from '../../engine/flows/types';
import { Rng } from '../../engine/rng';
import { randomize } from '../helpers/flows';

beforeAll(async () => {
  await selectCompute({ prefer: 'cpu', env: {} }); // env: {} so BGW_BACKEND cannot override
  expect(tf.getBackend()).toBe('cpu');
});

// ---------- helpers ----------

const arch = (layers: string, whiten = false, hidden: number[] = [16, 16]): FlowArch => ({ layers, hidden, sScale: 1, whiten });


/** n×dim correlated Gaussian data x = A·g + μ (float64, row-major). */
function correlatedData(n: number, dim: number, rng: Rng): Float64Array {
  const A = Array.from({ length: dim * dim }, () => rng.normal());
  const mu = Array.from({ length: dim }, () => 2 * rng.normal());
  const out = new Float64Array(n * dim);
  const g = new Float64Array(dim);
  for (let r = 0; r < n; r++) {
    rng.normals(g);
    for (let i = 0; i < dim; i++) {
      let s = mu[i]!;
      for (let j = 0; j < dim; j++) s += A[i * dim + j]! * g[j]!;
      out[r * dim + i] = s;
    }
  }
  return out;
}

function makeFlow(a: FlowArch, dim: number, seed: number): BuiltFlow {
  const rng = new Rng(seed);
  const built = buildFlow(a, dim, rng);
  if (built.whitening) built.whitening.fit(correlatedData(400, dim, rng));
  randomize(built.flow, rng);
  return built;
}

const normals32 = (n: number, dim: number, rng: Rng, std = 1): Float32Array => rng.normals(new Float32Array(n * dim), std);

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
};
const maxAbs = (a: ArrayLike<number>): number => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
};

/** Run `fn` in a tidy scope, read the returned tensors, and free everything. */
function read<K extends string>(fn: () => Record<K, tf.Tensor>): Record<K, Float32Array> {
  const ts = tf.tidy(() => fn());
  const out = {} as Record<K, Float32Array>;
  for (const k of Object.keys(ts) as K[]) {
    out[k] = ts[k].dataSync() as Float32Array;
    ts[k].dispose();
  }
  return out;
}

function forward(flow: Flow, z: Float32Array, dim: number): { x: Float32Array; logDet: Float32Array } {
  return read(() => flow.forward(tf.tensor2d(z, [z.length / dim, dim])));
}

function inverse(flow: Flow, x: Float32Array, dim: number): { z: Float32Array; logDet: Float32Array } {
  return read(() => flow.inverse(tf.tensor2d(x, [x.length / dim, dim])));
}

/**
 * Per-sample Jacobians dy/din (row i = ∂y_i/∂in) of a batched map, by autodiff: the gradient of
 * Σ_n y[n, i] w.r.t. the input has row n = ∂y[n, i]/∂in[n, :] because samples are independent.
 * Returns n Jacobians, each dim×dim in float64, row-major.
 */
function jacobians(map: (t: tf.Tensor2D) => tf.Tensor2D, input: Float32Array, dim: number): Float64Array[] {
  const n = input.length / dim;
  const J = Array.from({ length: n }, () => new Float64Array(dim * dim));
  for (let i = 0; i < dim; i++) {
    const { g } = read(() => {
      const f = (t: tf.Tensor): tf.Tensor => tf.sum(tf.slice(map(t as tf.Tensor2D), [0, i], [n, 1]));
      return { g: tf.grad(f)(tf.tensor2d(input, [n, dim])) };
    });
    for (let r = 0; r < n; r++) for (let j = 0; j < dim; j++) J[r]![i * dim + j] = g[r * dim + j]!;
  }
  return J;
}

/** log|det A| by Gaussian elimination with partial pivoting (float64). */
function logAbsDet(a0: Float64Array, n: number): number {
  const a = Float64Array.from(a0);
  let logDet = 0;
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(a[r * n + c]!) > Math.abs(a[p * n + c]!)) p = r;
    if (p !== c) {
      for (let k = 0; k < n; k++) {
        const t = a[c * n + k]!;
        a[c * n + k] = a[p * n + k]!;
        a[p * n + k] = t;
      }
    }
    const piv = a[c * n + c]!;
    if (piv === 0) return -Infinity;
    logDet += Math.log(Math.abs(piv));
    for (let r = c + 1; r < n; r++) {
      const f = a[r * n + c]! / piv;
      for (let k = c; k < n; k++) a[r * n + k]! -= f * a[c * n + k]!;
    }
  }
  return logDet;
}

// ---------- tests ----------

describe('logAbsDet helper', () => {
  it('matches a hand-computed determinant (needs pivoting)', () => {
    // det [[0, 2, 1], [3, 1, 0], [1, 1, 4]] = 0·(4) − 2·(12) + 1·(3 − 1) = −22
    expect(logAbsDet(Float64Array.of(0, 2, 1, 3, 1, 0, 1, 1, 4), 3)).toBeCloseTo(Math.log(22), 12);
  });
});

describe('invertibility with non-trivial weights', () => {
  const cases: { name: string; a: FlowArch }[] = [
    { name: 'RRRR', a: arch('RRRR') },
    { name: 'NNS', a: arch('NNS') },
    { name: 'RPR', a: arch('RPR') },
    { name: 'RR + whitening', a: arch('RR', true) },
  ];
  for (const { name, a } of cases) {
    for (const dim of [2, 3, 6]) {
      it(`${name}, dim ${dim}: F_xz(F_zx(z)) = z and F_zx(F_xz(x)) = x`, () => {
        const built = makeFlow(a, dim, 100 + dim);
        const rng = new Rng(7 + dim);
        const z = normals32(64, dim, rng);
        const { x, logDet } = forward(built.flow, z, dim);
        // The map must be clearly non-trivial, or the round trip proves nothing.
        expect(maxAbsDiff(x, z)).toBeGreaterThan(0.1);
        expect(x.every(Number.isFinite)).toBe(true);
        const back = inverse(built.flow, x, dim);
        expect(maxAbsDiff(back.z, z)).toBeLessThan(1e-4);
        // logDet_xz(F_zx(z)) = −logDet_zx(z)
        expect(maxAbsDiff(back.logDet, Array.from(logDet, (v) => -v))).toBeLessThan(1e-4);

        // Other direction: start from x (on the scale of the data the flow maps to).
        const x0 = Float32Array.from(normals32(64, dim, rng), (v, i) => v * 1.5 + x[i % x.length]!);
        const { z: z1 } = inverse(built.flow, x0, dim);
        expect(maxAbsDiff(z1, x0)).toBeGreaterThan(0.1);
        const { x: x1 } = forward(built.flow, z1, dim);
        expect(maxAbsDiff(x1, x0)).toBeLessThan(1e-4 * Math.max(1, maxAbs(x0)));
      });
    }
  }
});

describe('logDet equals log|det J| from autodiff Jacobians', () => {
  const cases: { name: string; a: FlowArch; dims: number[] }[] = [
    { name: 'RRRR', a: arch('RRRR'), dims: [2, 3, 5] },
    { name: 'NNS', a: arch('NNS'), dims: [3] },
    { name: 'RPRS + whitening', a: arch('RPRS', true), dims: [3, 5] },
  ];
  for (const { name, a, dims } of cases) {
    for (const dim of dims) {
      it(`${name}, dim ${dim}: forward and inverse`, () => {
        const built = makeFlow(a, dim, 200 + dim);
        const flow = built.flow;
        const rng = new Rng(300 + dim);
        const z = normals32(8, dim, rng);
        const fz = forward(flow, z, dim);
        const Jzx = jacobians((t) => flow.forward(t).x, z, dim);
        let spread = 0;
        Jzx.forEach((J, n) => {
          const ref = logAbsDet(J, dim);
          expect(Math.abs(fz.logDet[n]! - ref)).toBeLessThan(1e-4 * Math.max(1, Math.abs(ref)));
          spread = Math.max(spread, Math.abs(ref - logAbsDet(Jzx[0]!, dim)));
        });
        // Volume change must vary with z for affine couplings (a constant would also fit a bug).
        if (name !== 'NNS') expect(spread).toBeGreaterThan(0.05);

        // Inverse at the corresponding points x = F_zx(z).
        const fx = inverse(flow, fz.x, dim);
        const Jxz = jacobians((t) => flow.inverse(t).z, fz.x, dim);
        Jxz.forEach((J, n) => {
          const ref = logAbsDet(J, dim);
          expect(Math.abs(fx.logDet[n]! - ref)).toBeLessThan(1e-4 * Math.max(1, Math.abs(ref)));
          expect(Math.abs(fx.logDet[n]! + fz.logDet[n]!)).toBeLessThan(1e-4 * Math.max(1, Math.abs(ref)));
        });
      });
    }
  }

  it('autodiff Jacobian agrees with finite differences (guards the custom gradients)', () => {
    const dim = 3;
    const n = 6;
    const built = makeFlow(arch('RRS', true), dim, 42);
    const z = normals32(n, dim, new Rng(43));
    const J = jacobians((t) => built.flow.forward(t).x, z, dim);
    const x0 = forward(built.flow, z, dim).x;
    const h = 2e-3;
    let compared = 0;
    for (let j = 0; j < dim; j++) {
      const up = Float32Array.from(z);
      const down = Float32Array.from(z);
      for (let r = 0; r < n; r++) {
        up[r * dim + j]! += h;
        down[r * dim + j]! -= h;
      }
      const xu = forward(built.flow, up, dim).x;
      const xd = forward(built.flow, down, dim).x;
      for (let r = 0; r < n; r++) {
        // Actual perturbations after float32 rounding.
        const hu = up[r * dim + j]! - z[r * dim + j]!;
        const hd = z[r * dim + j]! - down[r * dim + j]!;
        for (let i = 0; i < dim; i++) {
          const k = r * dim + i;
          const right = (xu[k]! - x0[k]!) / hu;
          const left = (x0[k]! - xd[k]!) / hd;
          // A ReLU kink inside [z − h, z + h] makes the one-sided slopes differ: no derivative to compare.
          if (Math.abs(right - left) > 0.02 * Math.max(1, Math.abs(right))) continue;
          compared += 1;
          const fd = (xu[k]! - xd[k]!) / (hu + hd);
          expect(Math.abs(fd - J[r]![i * dim + j]!)).toBeLessThan(5e-3 * Math.max(1, Math.abs(fd)));
        }
      }
    }
    expect(compared).toBeGreaterThan(0.8 * n * dim * dim);
  });
});

describe('Mlp custom gradient', () => {
  /** The same network from plain tf ops on slices of theta. */
  function plainMlp(sizes: readonly number[], x: tf.Tensor2D, theta: tf.Tensor1D): tf.Tensor2D {
    let h = x;
    let off = 0;
    for (let l = 0; l + 1 < sizes.length; l++) {
      const nIn = sizes[l]!;
      const nOut = sizes[l + 1]!;
      const W = tf.reshape(tf.slice(theta, [off], [nIn * nOut]), [nIn, nOut]) as tf.Tensor2D;
      off += nIn * nOut;
      const b = tf.slice(theta, [off], [nOut]);
      off += nOut;
      const pre = tf.add(tf.matMul(h, W), b) as tf.Tensor2D;
      h = l + 2 === sizes.length ? pre : tf.relu(pre);
    }
    expect(off).toBe(theta.size);
    return h;
  }

  for (const sizes of [
    [3, 8, 5],
    [2, 16, 16, 4],
    [5, 7, 9, 6, 3],
  ]) {
    it(`value and gradients (x and theta) match built-in ops, sizes ${sizes.join('-')}`, () => {
      const rng = new Rng(sizes.reduce((a, b) => 31 * a + b, 1));
      const mlp = new Mlp(sizes, rng);
      // Random theta everywhere, including a non-zero last layer and biases.
      const th = new Float32Array(mlp.theta.size);
      for (let i = 0; i < th.length; i++) th[i] = 0.8 * (2 * rng.uniform() - 1);
      mlp.theta.assign(tf.tensor1d(th));
      const n = 13;
      const nOut = sizes[sizes.length - 1]!;
      const xVar = tf.variable(tf.tensor2d(normals32(n, sizes[0]!, rng), [n, sizes[0]!]), true);
      // A non-uniform upstream gradient.
      const w = tf.tensor2d(normals32(n, nOut, rng), [n, nOut]);
      const custom = tf.variableGrads(() => tf.sum(tf.mul(mlp.apply(xVar), w)) as tf.Scalar, [xVar, mlp.theta]);
      const plain = tf.variableGrads(() => tf.sum(tf.mul(plainMlp(sizes, xVar, mlp.theta), w)) as tf.Scalar, [xVar, mlp.theta]);
      const close = (a: tf.Tensor, b: tf.Tensor): void => {
        const av = a.dataSync();
        const bv = b.dataSync();
        expect(maxAbs(bv)).toBeGreaterThan(0);
        expect(maxAbsDiff(av, bv)).toBeLessThanOrEqual(1e-5 * maxAbs(bv));
      };
      close(custom.value, plain.value);
      close(custom.grads[xVar.name]!, plain.grads[xVar.name]!);
      close(custom.grads[mlp.theta.name]!, plain.grads[mlp.theta.name]!);
      // Some ReLUs must be inactive, or the step(h) mask is never exercised.
      const hidden = tf.relu(tf.add(tf.matMul(xVar, tf.reshape(tf.slice(mlp.theta, [0], [sizes[0]! * sizes[1]!]), [sizes[0]!, sizes[1]!])), tf.slice(mlp.theta, [sizes[0]! * sizes[1]!], [sizes[1]!])));
      const zeros = hidden.dataSync().filter((v) => v === 0).length;
      expect(zeros).toBeGreaterThan(0);
      expect(zeros).toBeLessThan(hidden.size);
      tf.dispose([xVar, w, custom.value, plain.value, hidden, ...Object.values(custom.grads), ...Object.values(plain.grads)]);
      mlp.theta.dispose();
    });
  }

  it('constMatMul gradient is x·M differentiated: dL/dx = dy·Mᵀ', () => {
    const rng = new Rng(5);
    const M = tf.tensor2d(normals32(3, 4, rng), [3, 4]);
    const x = tf.tensor2d(normals32(6, 3, rng), [6, 3]);
    const w = tf.tensor2d(normals32(6, 4, rng), [6, 4]);
    const MT = tf.transpose(M); // created outside the tape, as the flows do
    const gCustom = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(constMatMul(t as tf.Tensor2D, M, MT), w)))(x);
    const gPlain = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.matMul(t as tf.Tensor2D, M), w)))(x);
    expect(maxAbsDiff(gCustom.dataSync(), gPlain.dataSync())).toBeLessThan(1e-5 * maxAbs(gPlain.dataSync()));
    expect(maxAbsDiff(constMatMul(x, M, MT).dataSync(), tf.matMul(x, M).dataSync())).toBe(0);
  });
});

describe('initialisation', () => {
  for (const dim of [2, 3, 6]) {
    it(`a fresh RRRRS flow is exactly the identity (dim ${dim})`, () => {
      const { flow } = buildFlow(arch('RRRRS'), dim, new Rng(dim));
      const z = normals32(32, dim, new Rng(1000 + dim));
      const f = forward(flow, z, dim);
      expect(f.x).toEqual(z);
      expect(f.logDet.every((v) => v === 0)).toBe(true);
      const b = inverse(flow, z, dim);
      expect(b.z).toEqual(z);
      expect(b.logDet.every((v) => v === 0)).toBe(true);
      // … while the hidden layers are initialised randomly (only the last layer starts at zero).
      const firstNet = flow.variables()[0]!.dataSync();
      expect(maxAbs(firstNet)).toBeGreaterThan(0.1);
    });
  }

  it('same seed → same initial weights, different seed → different', () => {
    const a = buildFlow(arch('RR'), 4, new Rng(9)).flow.variables()[0]!.dataSync();
    const b = buildFlow(arch('RR'), 4, new Rng(9)).flow.variables()[0]!.dataSync();
    const c = buildFlow(arch('RR'), 4, new Rng(10)).flow.variables()[0]!.dataSync();
    expect(a).toEqual(b);
    expect(maxAbsDiff(a, c)).toBeGreaterThan(0);
  });

  it('rejects unknown layer letters', () => {
    expect(() => buildFlow(arch('RXR'), 2, new Rng(1))).toThrow(/unknown flow layer 'X'/);
  });
});

describe('whitening', () => {
  it('maps the fitted data to zero mean, unit covariance, with logDet_zx = ½ log det Σ', () => {
    const dim = 3;
    const rng = new Rng(77);
    const data = correlatedData(2000, dim, rng);
    const { flow, whitening } = buildFlow(arch('S', true), dim, rng);
    whitening!.fit(data);
    const { z, logDet } = inverse(flow, Float32Array.from(data), dim);
    const n = data.length / dim;
    const mean = new Float64Array(dim);
    for (let r = 0; r < n; r++) for (let i = 0; i < dim; i++) mean[i]! += z[r * dim + i]! / n;
    const cov = new Float64Array(dim * dim);
    const covX = new Float64Array(dim * dim);
    const meanX = new Float64Array(dim);
    for (let r = 0; r < n; r++) for (let i = 0; i < dim; i++) meanX[i]! += data[r * dim + i]! / n;
    for (let r = 0; r < n; r++) {
      for (let i = 0; i < dim; i++) {
        for (let j = 0; j < dim; j++) {
          cov[i * dim + j]! += ((z[r * dim + i]! - mean[i]!) * (z[r * dim + j]! - mean[j]!)) / (n - 1);
          covX[i * dim + j]! += ((data[r * dim + i]! - meanX[i]!) * (data[r * dim + j]! - meanX[j]!)) / (n - 1);
        }
      }
    }
    for (let i = 0; i < dim; i++) {
      expect(Math.abs(mean[i]!)).toBeLessThan(1e-4);
      for (let j = 0; j < dim; j++) expect(Math.abs(cov[i * dim + j]! - (i === j ? 1 : 0))).toBeLessThan(1e-3);
    }
    // F_xz logDet = −½ log det Σ for every sample.
    const ref = -0.5 * logAbsDet(covX, dim);
    expect(Math.abs(ref)).toBeGreaterThan(0.1);
    for (const v of logDet) expect(Math.abs(v - ref)).toBeLessThan(1e-4 * Math.max(1, Math.abs(ref)));
  });
});

describe('serialisation', () => {
  const dim = 5;
  function trainedLike(): BuiltFlow {
    return makeFlow(arch('RRSPN', true, [12, 12]), dim, 555);
  }

  it('save → load (different rng) gives bit-identical samples and logDets', () => {
    const built = trainedLike();
    const bytes = serializeFlow(built);
    const loaded = deserializeFlow(bytes, new Rng(999_999));
    expect(loaded.arch).toEqual(built.arch);
    expect(loaded.flow.dim).toBe(dim);
    const z = normals32(50, dim, new Rng(1));
    const a = forward(built.flow, z, dim);
    const b = forward(loaded.flow, z, dim);
    expect(maxAbsDiff(a.x, z)).toBeGreaterThan(0.1);
    expect(b.x).toEqual(a.x);
    expect(b.logDet).toEqual(a.logDet);
    // A fresh flow from the same rng is different, so the load really restored the weights.
    const fresh = forward(buildFlow(built.arch, dim, new Rng(999_999)).flow, z, dim);
    expect(maxAbsDiff(fresh.x, a.x)).toBeGreaterThan(0.1);
    // Whitening state (non-trainable) came along.
    const ia = inverse(built.flow, a.x, dim);
    const ib = inverse(loaded.flow, a.x, dim);
    expect(ib.z).toEqual(ia.z);
    expect(ib.logDet).toEqual(ia.logDet);
    // Save of the loaded flow reproduces the blob exactly.
    expect(serializeFlow(loaded)).toEqual(bytes);
  });

  it('loads from a view into a larger buffer (a Node Buffer from readFile, a subarray) exactly', async () => {
    const built = trainedLike();
    const bytes = serializeFlow(built);
    // Padding before and after: the blob's .buffer is not the blob, as with Buffer.slice / pooled reads.
    const big = new Uint8Array(bytes.length + 64);
    big.set(bytes, 16);
    const views = [Buffer.from(big.buffer, 16, bytes.length), big.subarray(16, 16 + bytes.length)];
    const z = normals32(20, dim, new Rng(3));
    const want = forward(built.flow, z, dim);
    for (const view of views) {
      const loaded = deserializeFlow(view, new Rng(1));
      expect(forward(loaded.flow, z, dim).x).toEqual(want.x);
      loaded.flow.dispose();
    }
  });

  it('rejects a foreign blob (wrong magic) and an unsupported version', () => {
    const bytes = serializeFlow(trainedLike());
    const wrong = bytes.slice();
    wrong[0] = wrong[0]! ^ 0xff;
    expect(() => deserializeFlow(wrong, new Rng(1))).toThrow(/not a BGWF blob/);
    const v2 = bytes.slice();
    new DataView(v2.buffer).setUint32(4, 2, true);
    expect(() => deserializeFlow(v2, new Rng(1))).toThrow(/unsupported version 2/);
    expect(() => deserializeFlow(new TextEncoder().encode('{"arch":"RR"}'), new Rng(1))).toThrow(/flow weights/);
  });

  it('rejects a blob whose header is corrupted in place', () => {
    const bytes = serializeFlow(trainedLike());
    const bad = bytes.slice();
    bad[12] = 0x7b ^ 0x20; // the header's opening '{' becomes '['
    bad[13] = 0x00;
    expect(() => deserializeFlow(bad, new Rng(1))).toThrow(/flow weights: corrupt header/);
  });

  it('rejects a well-formed header that describes an impossible flow, before allocating it', () => {
    const header = new TextEncoder().encode(JSON.stringify({ arch: { layers: 'R', hidden: [1e9], sScale: 1, whiten: false }, dim: 2, shapes: [] }));
    const bytes = new Uint8Array(12 + Math.ceil(header.length / 4) * 4);
    const view = new DataView(bytes.buffer);
    view.setUint32(0, 0x46574742, true);
    view.setUint32(4, 1, true);
    view.setUint32(8, header.length, true);
    bytes.set(header, 12);
    expect(() => deserializeFlow(bytes, new Rng(1))).toThrow(/flow weights: corrupt header \(arch.hidden.0\)/);
  });

  it('rejects a truncated blob with a clear error, wherever it is cut', () => {
    const bytes = serializeFlow(trainedLike());
    const headerLength = new DataView(bytes.buffer).getUint32(8, true);
    const cuts = [0, 5, 11, 12 + Math.floor(headerLength / 2), 12 + headerLength + 40, bytes.length - 1];
    const before = tf.memory().numTensors;
    for (const cut of cuts) {
      expect(() => deserializeFlow(bytes.slice(0, cut), new Rng(1)), `cut at ${cut}`).toThrow(/flow weights: .*(too short|truncated)/);
    }
    // A rejected blob leaves nothing allocated behind.
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('dispose', () => {
  it('a built, fitted, used, saved and reloaded flow frees every tensor it held', () => {
    const before = tf.memory().numTensors;
    const rng = new Rng(4);
    const built = buildFlow({ layers: 'RPNS', hidden: [8, 8], sScale: 1, whiten: true }, 5, rng);
    built.whitening!.fit(rng.normals(new Float64Array(5 * 200)));
    tf.tidy(() => void built.flow.forward(tf.tensor2d(rng.normals(new Float32Array(5 * 7)), [7, 5])));
    const loaded = deserializeFlow(serializeFlow(built), new Rng(5));
    expect(tf.memory().numTensors).toBeGreaterThan(before);
    built.flow.dispose();
    loaded.flow.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { selectCompute } from '../../../engine/compute/select';
import { buildFlow, type FlowArch } from '../../../engine/flows/build';
import { deserializeFlow, serializeFlow } from '../../../engine/flows/serialize';
import { Sequential } from '../../../engine/flows/sequential';
import { fitSplineDomains } from '../../../engine/flows/spline/fit-domain';
import { normalQuantile, PeriodicBase } from '../../../engine/flows/spline/periodic-base';
import { SplineCouplingStack } from '../../../engine/flows/spline/spline-coupling';
import { mlLoss } from '../../../engine/losses';
import { Rng } from '../../../engine/rng';
import { Adam } from '../../../engine/train/adam';
import { randomize } from '../../helpers/flows';
import { randomHalf } from '../../../engine/flows/partition';

beforeAll(async () => {
  await selectCompute({ prefer: 'wasm', env: {} });
});


const arch = (layers: string, bins = 6): FlowArch => ({ layers, hidden: [16], sScale: 1, whiten: false, spline: { bins } });

/** A torus flow: the periodic base, then spline couplings on two periodic coordinates. */
function torusFlow(rng: Rng, couplings = 4, bins = 8, hidden = [32, 32]): Sequential {
  const periodic = [true, true];
  return new Sequential([new PeriodicBase(periodic), new SplineCouplingStack({ dim: 2, couplings, hidden, bins, periodic, interval: [-5, 5], rng })]);
}

describe('spline flows', () => {
  it('start as the identity, and invert to 1e-5 with opposite log-dets once trained weights are random', () => {
    const rng = new Rng(1);
    const z = tf.tensor2d(rng.normals(new Float32Array(300 * 3)), [300, 3]);
    const id = buildFlow(arch('QQQ'), 3, rng).flow.forward(z);
    const built = buildFlow(arch('QPQ'), 3, rng);
    expect(tf.max(tf.abs(tf.sub(id.x, z))).dataSync()[0]).toBeLessThan(1e-6);
    expect(tf.max(tf.abs(id.logDet)).dataSync()[0]).toBeLessThan(1e-5);
    randomize(built.flow, rng, 0.3);
    const f = built.flow.forward(z);
    const b = built.flow.inverse(f.x);
    expect(tf.max(tf.abs(tf.sub(b.z, z))).dataSync()[0]).toBeLessThan(1e-5);
    expect(tf.max(tf.abs(tf.add(f.logDet, b.logDet))).dataSync()[0]).toBeLessThan(1e-4);
  });

  it('log|det J| equals the log-determinant of a finite-difference Jacobian', () => {
    const rng = new Rng(2);
    const built = buildFlow(arch('QQ'), 3, rng);
    randomize(built.flow, rng, 0.5);
    const z0 = [0.3, -0.7, 1.1];
    const h = 1e-3;
    const rows: number[][] = [];
    for (let j = 0; j < 3; j++) for (const s of [h, -h]) rows.push(z0.map((v, k) => (k === j ? v + s : v)));
    const xs = built.flow.forward(tf.tensor2d(rows)).x.arraySync() as number[][];
    const J = [0, 1, 2].map((i) => [0, 1, 2].map((j) => (xs[2 * j]![i]! - xs[2 * j + 1]![i]!) / (2 * h)));
    const det = J[0]![0]! * (J[1]![1]! * J[2]![2]! - J[1]![2]! * J[2]![1]!) - J[0]![1]! * (J[1]![0]! * J[2]![2]! - J[1]![2]! * J[2]![0]!) + J[0]![2]! * (J[1]![0]! * J[2]![1]! - J[1]![1]! * J[2]![0]!);
    const ld = built.flow.forward(tf.tensor2d([z0])).logDet.dataSync()[0]!;
    expect(Math.abs(ld - Math.log(Math.abs(det)))).toBeLessThan(1e-2);
  });

  it('the periodic base maps N(0, 1) onto the uniform circle, with Φ⁻¹ accurate and invertible', () => {
    const u = tf.tensor2d([[1e-6, 0.01], [0.3, 0.5], [0.975, 0.99]]);
    const expected = [-4.753424, -2.326348, -0.524401, 0, 1.959964, 2.326348];
    const q = normalQuantile(u).dataSync();
    expected.forEach((e, i) => expect(q[i]!).toBeCloseTo(e, 4));
    const base = new PeriodicBase([true, false]);
    base.setDomain([-2, 0], [4, 1]);
    const rng = new Rng(3);
    const z = tf.tensor2d(rng.normals(new Float32Array(20000 * 2)), [20000, 2]);
    const { x, logDet } = base.forward(z);
    const col = Array.from(tf.slice(x, [0, 0], [-1, 1]).dataSync());
    // Uniform on [−2, 2): each quarter holds a quarter of the mass; the other column passes through.
    for (let k = 0; k < 4; k++) expect(col.filter((v) => v >= -2 + k && v < -1 + k).length / 20000).toBeCloseTo(0.25, 1);
    expect(tf.max(tf.abs(tf.sub(tf.slice(x, [0, 1], [-1, 1]), tf.slice(z, [0, 1], [-1, 1])))).dataSync()[0]).toBe(0);
    const back = base.inverse(x);
    const inner = tf.lessEqual(tf.abs(z), 4);
    const err = tf.where(inner, tf.abs(tf.sub(back.z, z)), tf.zerosLike(z));
    expect(tf.max(err).dataSync()[0]).toBeLessThan(1e-3);
    expect(tf.max(tf.abs(tf.add(logDet, back.logDet))).dataSync()[0]).toBeLessThan(1e-2);
  });

  it('serialise → load gives bit-identical samples, intervals included', () => {
    const rng = new Rng(4);
    const built = buildFlow(arch('QQPQ', 5), 4, rng);
    const data = Float64Array.from(rng.normals(new Float64Array(500 * 4), 2));
    fitSplineDomains(built, data);
    randomize(built.flow, rng, 0.3);
    const again = deserializeFlow(serializeFlow(built), new Rng(99));
    const z = tf.tensor2d(rng.normals(new Float32Array(64 * 4)), [64, 4]);
    expect(Array.from(again.flow.forward(z).x.dataSync())).toEqual(Array.from(built.flow.forward(z).x.dataSync()));
    expect(again.arch.spline?.bins).toBe(5);
  });

  it('a random partition gives each Q block its own halves: pinned, invertible, reloaded bit-exact', () => {
    // Pinned: saved flows rebuild their halves from the architecture, so these must never change.
    expect([0, 1, 2, 3].map((b) => randomHalf(8, b))).toEqual([[0, 2, 6, 7], [0, 3, 5, 7], [2, 3, 5, 6], [1, 3, 5, 6]]);
    const rng = new Rng(6);
    const random: FlowArch = { ...arch('QQQ', 5), spline: { bins: 5, partition: 'random' } };
    const built = buildFlow(random, 8, rng);
    const stacks = built.flow.layers.filter((l): l is SplineCouplingStack => l instanceof SplineCouplingStack);
    expect(stacks.map((s) => s.first)).toEqual([0, 1, 2].map((b) => randomHalf(8, b)));
    expect(stacks.map((s) => [...s.first, ...s.second].sort((a, b) => a - b))).toEqual(stacks.map(() => [0, 1, 2, 3, 4, 5, 6, 7]));
    // The even-odd default keeps one stack with the even coordinates first.
    const plain = buildFlow(arch('QQQ', 5), 8, rng).flow.layers.filter((l) => l instanceof SplineCouplingStack);
    expect(plain.map((s) => (s as SplineCouplingStack).first)).toEqual([[0, 2, 4, 6]]);
    fitSplineDomains(built, Float64Array.from(rng.normals(new Float64Array(400 * 8), 2)));
    randomize(built.flow, rng, 0.3);
    const z = tf.tensor2d(rng.normals(new Float32Array(64 * 8)), [64, 8]);
    const f = built.flow.forward(z);
    // Six float32 couplings in a row: each round trip is good to ~1e-5 (spline.test.ts).
    expect(tf.max(tf.abs(tf.sub(built.flow.inverse(f.x).z, z))).dataSync()[0]).toBeLessThan(6e-5);
    const again = deserializeFlow(serializeFlow(built), new Rng(99));
    expect(again.arch.spline?.partition).toBe('random');
    expect(Array.from(again.flow.forward(z).x.dataSync())).toEqual(Array.from(f.x.dataSync()));
  });

  it('fits each coordinate interval to the data range with 10 % margins', () => {
    const rng = new Rng(5);
    const built = buildFlow(arch('Q'), 2, rng);
    const data = new Float64Array(200);
    for (let i = 0; i < 100; i++) ((data[2 * i] = -1 + (2 * i) / 99), (data[2 * i + 1] = 3 + i / 99));
    fitSplineDomains(built, data);
    const stack = built.flow.layers[0] as SplineCouplingStack;
    const lo = stack.lo.dataSync(), w = stack.width.dataSync();
    expect(lo[0]).toBeCloseTo(-1.2, 5);
    expect(w[0]).toBeCloseTo(2.4, 5);
    expect(lo[1]).toBeCloseTo(2.9, 5);
    expect(w[1]).toBeCloseTo(1.2, 5);
  });

  it('ML loss gradients match finite differences', () => {
    const rng = new Rng(6);
    const flow = torusFlow(rng, 2, 6, [8]);
    randomize(flow, rng, 0.3);
    const x = tf.tensor2d(Array.from({ length: 64 }, () => [-Math.PI + 2 * Math.PI * rng.uniform(), -Math.PI + 2 * Math.PI * rng.uniform()]));
    const theta = flow.variables().find((v) => v.trainable)!;
    const { grads } = tf.variableGrads(() => mlLoss(flow, x, 1), [theta]);
    const g = grads[theta.name]!.dataSync();
    const base = theta.dataSync().slice();
    const loss = (): number => mlLoss(flow, x, 1).dataSync()[0]!;
    const h = 1e-2;
    let checked = 0;
    for (let k = 0; k < base.length && checked < 12; k += Math.max(1, Math.floor(base.length / 12))) {
      const at = (v: number): number => {
        const p = base.slice();
        p[k] = v;
        theta.assign(tf.tensor1d(p));
        return loss();
      };
      const fd = (at(base[k]! + h) - at(base[k]! - h)) / (2 * h);
      expect(Math.abs(fd - g[k]!)).toBeLessThan(2e-3 + 0.05 * Math.abs(fd));
      checked++;
    }
    theta.assign(tf.tensor1d(base));
  });
});

// ---------- maximum likelihood on a torus ----------

/** A mixture of three von Mises products on the torus: mode centres, concentrations, weights. */
const MODES = [
  { mu: [-2, 2.5], kappa: [4, 6], w: 0.6 },
  { mu: [-1.2, -0.8], kappa: [8, 3], w: 0.3 },
  { mu: [1.1, -1.5], kappa: [5, 5], w: 0.1 },
];
const logTarget = (a: number, b: number): number =>
  Math.log(MODES.reduce((s, m) => s + m.w * Math.exp(m.kappa[0]! * (Math.cos(a - m.mu[0]!) - 1) + m.kappa[1]! * (Math.cos(b - m.mu[1]!) - 1)) / bessel0(m.kappa[0]!) / bessel0(m.kappa[1]!) * Math.exp(m.kappa[0]! + m.kappa[1]!), 0));
/** Which mode's region a point is in: the nearest centre on the torus. */
const region = (a: number, b: number): number => {
  const d = (x: number, y: number): number => 1 - Math.cos(x - y);
  let best = 0, bd = Infinity;
  MODES.forEach((m, k) => {
    const v = d(a, m.mu[0]!) + d(b, m.mu[1]!);
    if (v < bd) ((bd = v), (best = k));
  });
  return best;
};

function bessel0(k: number): number {
  let s = 0;
  for (let i = 0; i < 2000; i++) s += Math.exp(k * Math.cos((2 * Math.PI * (i + 0.5)) / 2000)) / 2000;
  return s;
}

/** Best & Fisher's von Mises sampler. */
function vonMises(mu: number, kappa: number, rng: Rng): number {
  const tau = 1 + Math.sqrt(1 + 4 * kappa * kappa);
  const rho = (tau - Math.sqrt(2 * tau)) / (2 * kappa);
  const r = (1 + rho * rho) / (2 * rho);
  for (;;) {
    const z = Math.cos(Math.PI * rng.uniform());
    const f = (1 + r * z) / (r + z);
    const c = kappa * (r - f);
    const u2 = rng.uniform();
    if (c * (2 - c) - u2 > 0 || Math.log(c / u2) + 1 - c >= 0) {
      const theta = (rng.uniform() > 0.5 ? 1 : -1) * Math.acos(f) + mu;
      return theta - 2 * Math.PI * Math.floor((theta + Math.PI) / (2 * Math.PI));
    }
  }
}

describe('spline flow: maximum likelihood on a torus', () => {
  it('learns a three-mode von Mises mixture: reweighted mode populations match quadrature', () => {
    const rng = new Rng(7);
    const sample = (): [number, number] => {
      let u = rng.uniform(), k = 0;
      while (u > MODES[k]!.w && k < MODES.length - 1) u -= MODES[k++]!.w;
      const m = MODES[k]!;
      return [vonMises(m.mu[0]!, m.kappa[0]!, rng), vonMises(m.mu[1]!, m.kappa[1]!, rng)];
    };
    const data = Array.from({ length: 20000 }, sample);
    const flow = torusFlow(rng);
    const vars = flow.variables().filter((v) => v.trainable);
    const adam = new Adam(vars, 5e-3);
    for (let step = 0; step < 400; step++) {
      tf.tidy(() => {
        const batch = Array.from({ length: 256 }, () => data[Math.floor(rng.uniform() * data.length)]!);
        const { grads } = tf.variableGrads(() => mlLoss(flow, tf.tensor2d(batch), 1));
        adam.apply(vars.map((v) => grads[v.name]!));
      });
    }
    // Quadrature of the target over each mode's region.
    const n = 400;
    const exact = [0, 0, 0];
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
      const a = -Math.PI + (2 * Math.PI * (i + 0.5)) / n, b = -Math.PI + (2 * Math.PI * (j + 0.5)) / n;
      exact[region(a, b)]! += Math.exp(logTarget(a, b));
    }
    const total = exact.reduce((s, v) => s + v, 0);
    // Reweighted populations from 20 000 generated samples: w ∝ p(x)/q(x).
    const N = 20000;
    const z = tf.tensor2d(rng.normals(new Float32Array(N * 2)), [N, 2]);
    const { x, logDet } = flow.forward(z);
    const xs = x.arraySync() as number[][], ld = logDet.dataSync(), zz = z.dataSync();
    const logw = xs.map(([a, b], i) => logTarget(a!, b!) + 0.5 * (zz[2 * i]! ** 2 + zz[2 * i + 1]! ** 2) + ld[i]!);
    const mx = Math.max(...logw);
    const w = logw.map((l) => Math.exp(l - mx));
    const sw = w.reduce((s, v) => s + v, 0);
    const pop = [0, 0, 0];
    xs.forEach(([a, b], i) => (pop[region(a!, b!)]! += w[i]! / sw));
    const ess = sw ** 2 / w.reduce((s, v) => s + v * v, 0) / N;
    expect(ess).toBeGreaterThan(0.5);
    pop.forEach((p, k) => expect(Math.abs(p - exact[k]! / total)).toBeLessThan(0.02));
  });
});

import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { selectCompute } from '../../../engine/compute/select';
import { paramsPerDim, rqSpline, type SplineDomain } from '../../../engine/flows/spline/rq-spline';
import { Rng } from '../../../engine/rng';

beforeAll(async () => {
  await selectCompute({ prefer: 'cpu', env: {} });
});

const K = 6;

function domain(lo: number[], hi: number[], periodic: boolean[]): SplineDomain {
  return {
    lo: tf.tensor1d(lo),
    width: tf.tensor1d(hi.map((h, i) => h - lo[i]!)),
    periodic: tf.tensor1d(periodic.map((p) => (p ? 1 : 0))),
  };
}

/** Random conditioner output for `rows` rows (each row its own spline), scale large enough to bend. */
function randomRaw(rows: number, dims: number, rng: Rng, scale = 2): tf.Tensor2D {
  const a = new Float32Array(rows * dims * paramsPerDim(K));
  for (let i = 0; i < a.length; i++) a[i] = scale * rng.normal();
  return tf.tensor2d(a, [rows, dims * paramsPerDim(K)]);
}

/** The same spline parameters repeated for every one of `rows` rows. */
const repeatRows = (raw: tf.Tensor2D, rows: number): tf.Tensor2D => tf.tile(raw, [rows, 1]);

const run = (v: number[][], raw: tf.Tensor2D, dom: SplineDomain, inverse: boolean) => {
  const r = rqSpline(tf.tensor2d(v), raw, K, dom, inverse);
  return { y: r.y.arraySync() as number[][], logDet: Array.from(r.logDet.dataSync()) };
};

describe('rational-quadratic spline', () => {
  const dom = domain([-2, -1, -Math.PI], [2, 3, Math.PI], [false, false, true]);

  it('inverse ∘ forward is the identity to 1e-5, inside, in the tails and at the bin edges', () => {
    const rng = new Rng(1);
    const rows = 2000;
    const raw = randomRaw(rows, 3, rng, 1);
    const pts: number[][] = [];
    for (let i = 0; i < rows; i++) {
      // Bounded dims: about a third of the points in the tails; the periodic dim stays on its circle.
      pts.push([3 * rng.normal(), -2 + 6 * rng.uniform(), -Math.PI + 2 * Math.PI * rng.uniform()]);
    }
    pts[0] = [-2, -1, -Math.PI];
    pts[1] = [2, 3, Math.PI];
    const x = tf.tensor2d(pts);
    const fwd = rqSpline(x, raw, K, dom, false);
    const back = rqSpline(fwd.y, raw, K, dom, true);
    // Where the spline is nearly flat (slope at the 1e-3 floor) float32 rounding of y is amplified by
    // 1/slope in x: the error is measured in y units there (backward error), in x units elsewhere.
    const slopes = perDimSlopes(x, raw, dom);
    const err = tf.mul(tf.abs(tf.sub(back.y, x)), tf.minimum(slopes, 1));
    expect(tf.max(err).dataSync()[0]).toBeLessThan(1e-5);
    expect(tf.max(tf.abs(tf.add(fwd.logDet, back.logDet))).dataSync()[0]).toBeLessThan(1e-3);
    // And forward ∘ inverse on points of the output side.
    // (Where the spline is steep, the same amplification runs the other way: measured in x units.)
    const xs = rqSpline(x, raw, K, dom, true).y;
    const again = rqSpline(xs, raw, K, dom, false);
    const steep = tf.minimum(tf.div(1, perDimSlopes(xs, raw, dom)), 1);
    expect(tf.max(tf.mul(tf.abs(tf.sub(again.y, x)), steep)).dataSync()[0]).toBeLessThan(1e-5);
    // The tails are the identity.
    const tail = run([[3.5, 5, 0]], tf.slice(raw, [2, 0], [1, -1]) as tf.Tensor2D, dom, false);
    expect(tail.y[0]![0]).toBe(3.5);
    expect(tail.y[0]![1]).toBe(5);
  });

  it('keeps the interval ends fixed: f(lo) = lo, f(hi) = hi, bounded and periodic', () => {
    const rng = new Rng(2);
    const raw = randomRaw(1, 3, rng);
    const ends = run([[-2, -1, -Math.PI], [2, 3, Math.PI]], repeatRows(raw, 2), dom, false);
    expect(ends.y[0]![0]).toBeCloseTo(-2, 5);
    expect(ends.y[1]![1]).toBeCloseTo(3, 5);
    expect(ends.y[0]![2]).toBeCloseTo(-Math.PI, 5);
    expect(ends.y[1]![2]).toBeCloseTo(Math.PI, 5);
  });

  it('log|dy/dx| equals a finite-difference derivative, bounded and periodic, in the bins and the tails', () => {
    const rng = new Rng(3);
    const cases: [SplineDomain, number, number][] = [
      [domain([-2], [2], [false]), -2.5, 2.5],
      [domain([-1], [3], [false]), -1.5, 3.5],
      [domain([-Math.PI], [Math.PI], [true]), -Math.PI + 0.01, Math.PI - 0.01],
    ];
    const n = 41;
    const h = 1e-3;
    for (const [dom1, lo, hi] of cases) {
      const raw = repeatRows(randomRaw(1, 1, rng, 1), n);
      // Half-step offset: the FD stencil never straddles the interval end, where the curvature jumps.
      const xs = Array.from({ length: n }, (_, i) => lo + ((hi - lo) * (i + 0.5)) / n);
      const at = (dx: number) => run(xs.map((x) => [x + dx]), raw, dom1, false);
      const plus = at(h), minus = at(-h), mid = at(0);
      for (let i = 0; i < n; i++) {
        const fd = (plus.y[i]![0]! - minus.y[i]![0]!) / (2 * h);
        expect(Math.abs(mid.logDet[i]! - Math.log(fd))).toBeLessThan(1e-2);
      }
    }
  });

  it('is increasing with a positive slope everywhere on random parameters', () => {
    const rng = new Rng(4);
    for (let trial = 0; trial < 5; trial++) {
      const raw = randomRaw(1, 3, rng, 2);
      const n = 500;
      const xs = Array.from({ length: n }, (_, i) => -Math.PI + (2 * Math.PI * i) / (n - 1));
      const r = run(xs.map((x) => [x, x, x]), repeatRows(raw, n), dom, false);
      for (let i = 1; i < n; i++) for (let d = 0; d < 3; d++) expect(r.y[i]![d]!).toBeGreaterThanOrEqual(r.y[i - 1]![d]!);
      // Strictly: every slope is positive and finite (the floor is 1e-3).
      for (const ld of r.logDet) expect(Number.isFinite(ld)).toBe(true);
      const sl = perDimSlopes(tf.tensor2d(xs.map((x) => [x, x, x])), repeatRows(raw, n), dom).dataSync();
      for (const v of sl) expect(v).toBeGreaterThan(0);
    }
  });

  it('periodic: value and first derivative continuous across the seam, f(θ + 2π) = f(θ) + 2π', () => {
    const rng = new Rng(5);
    const circle = domain([-Math.PI], [Math.PI], [true]);
    for (let trial = 0; trial < 5; trial++) {
      const raw = randomRaw(1, 1, rng, 1.5);
      const f = (theta: number): number => run([[theta]], raw, circle, false).y[0]![0]!;
      const slope = (theta: number): number => Math.exp(run([[theta]], raw, circle, false).logDet[0]!);
      // f extended to R by f(θ + 2π) = f(θ) + 2π: left and right of the seam meet.
      expect(f(Math.PI) - (f(-Math.PI) + 2 * Math.PI)).toBeCloseTo(0, 5);
      expect(slope(Math.PI)).toBeCloseTo(slope(-Math.PI), 4);
      const h = 1e-4;
      const leftFd = (f(Math.PI) - f(Math.PI - h)) / h;
      const rightFd = (f(-Math.PI + h) - f(-Math.PI)) / h;
      expect(Math.abs(leftFd - rightFd) / leftFd).toBeLessThan(0.05);
    }
  });
});

/** Per-element slope dy/dx of the spline at x, from one-dimension-at-a-time log-dets. */
function perDimSlopes(x: tf.Tensor2D, raw: tf.Tensor2D, dom: SplineDomain): tf.Tensor2D {
  const [n, dims] = x.shape;
  const cols: tf.Tensor1D[] = [];
  const p = paramsPerDim(K);
  for (let d = 0; d < dims; d++) {
    const one: SplineDomain = { lo: tf.slice(dom.lo, [d], [1]), width: tf.slice(dom.width, [d], [1]), periodic: tf.slice(dom.periodic, [d], [1]) };
    const r = rqSpline(tf.slice(x, [0, d], [n, 1]) as tf.Tensor2D, tf.slice(raw, [0, d * p], [n, p]) as tf.Tensor2D, K, one, false);
    cols.push(tf.exp(r.logDet) as tf.Tensor1D);
  }
  return tf.stack(cols, 1) as tf.Tensor2D;
}

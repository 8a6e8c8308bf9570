import * as tf from '@tensorflow/tfjs-core';
import type { ModelSystem } from './types';
import { SYSTEM_STATES } from '../../contract/systems';

export interface DimerParams {
  nSolvent?: number;
  slope?: number;
  boxHalf?: number;
  epsilon?: number;
  rm?: number;
}

const BOND_A = 25;
const BOND_B = 10;
const BOND_MID = 1.5;
const RESTRAINT_K = 20;
const BOX_K = 100;

/** The resolved parameters the energy functions need. */
interface DimerShape {
  /** Particles (dimer + solvent). */
  readonly P: number;
  readonly dim: number;
  readonly slope: number;
  readonly boxHalf: number;
  readonly epsilon: number;
  readonly rm2: number;
}

/**
 * Bistable dimer (particles 0, 1) in a 2-D repulsive solvent; coordinates per particle (x, y).
 * u = Σ_{pairs ≠ (0,1)} ε·(r_m/r)^12 + [slope·d' − 25·d'² + 10·d'⁴, d' = 2(d − 1.5)]
 *   + 20·(x0 + x1)² + 20·y0² + 20·y1² + Σ_coords 2·100·(|c| − boxHalf)²₊.
 * The box wall is counted once. The published TensorFlow energy adds it twice (a bug); the numpy
 * energy and the paper's data use it once.
 */
export function createDimer(params: DimerParams = {}): ModelSystem {
  const { nSolvent = 36, slope = 2.0, boxHalf = 3, epsilon = 1, rm = 1.1 } = params;
  if (!Number.isInteger(nSolvent) || nSolvent < 0) throw new Error(`dimer: nSolvent must be an integer ≥ 0, got ${nSolvent}`);
  if (!(boxHalf > 0)) throw new Error(`dimer: boxHalf must be > 0, got ${boxHalf}`);
  const P = nSolvent + 2;
  const shape: DimerShape = { P, dim: 2 * P, slope, boxHalf, epsilon, rm2: rm * rm };
  const energy64 = (x: Float64Array): number => dimerEnergy64(shape, x);
  const gradient64 = (x: Float64Array, out: Float64Array): Float64Array => dimerGradient64(shape, x, out);
  const masks = pairMasks(P);

  return {
    name: 'dimer',
    dim: shape.dim,
    energy: (x: tf.Tensor2D): tf.Tensor1D => tfEnergy(shape, masks(), x),
    energy64,
    gradient64,
    rc64: (x: Float64Array): number => Math.hypot(x[0]! - x[2]!, x[1]! - x[3]!),
    rc: (x: tf.Tensor2D): tf.Tensor1D => tf.tidy(() => dimerDistance(x)),
    rcRange: [0.5, 2.5],
    states: SYSTEM_STATES.dimer,
    start: (() => {
      const cache: Partial<Record<0 | 1, Float64Array>> = {};
      return (state: 0 | 1 = 0): Float64Array => {
        cache[state] ??= relax(lattice(state === 0 ? 1.0 : 2.0, nSolvent, boxHalf), energy64, gradient64);
        return cache[state].slice();
      };
    })(),
    mcStep: 0.02,
    ...(nSolvent >= 2 ? { identical: { first: 2, count: nSolvent, spatialDim: 2 } } : {}),
  };
}

function bondEnergy(slope: number, d: number): number {
  const q = 2 * (d - BOND_MID);
  const q2 = q * q;
  return slope * q - BOND_A * q2 + BOND_B * q2 * q2;
}

/** dE/dd of the bond. */
function bondForce(slope: number, d: number): number {
  const q = 2 * (d - BOND_MID);
  return 2 * (slope - 2 * BOND_A * q + 4 * BOND_B * q * q * q);
}

/** Every particle pair i < j but the dimer pair (0, 1), in a fixed order, with dx = x_i − x_j, dy = y_i − y_j. */
function forEachPair(x: Float64Array, P: number, visit: (i: number, j: number, dx: number, dy: number) => void): void {
  for (let i = 0; i < P; i++) {
    const xi = x[2 * i]!;
    const yi = x[2 * i + 1]!;
    for (let j = i === 0 ? 2 : i + 1; j < P; j++) visit(i, j, xi - x[2 * j]!, yi - x[2 * j + 1]!);
  }
}

function dimerEnergy64(sh: DimerShape, x: Float64Array): number {
  const { rm2, epsilon, slope, boxHalf, dim } = sh;
  let e = 0;
  forEachPair(x, sh.P, (_i, _j, dx, dy) => {
    const s = rm2 / (dx * dx + dy * dy);
    const s3 = s * s * s;
    e += s3 * s3;
  });
  e *= epsilon;
  const x0 = x[0]!, y0 = x[1]!, x1 = x[2]!, y1 = x[3]!;
  e += bondEnergy(slope, Math.hypot(x0 - x1, y0 - y1));
  e += RESTRAINT_K * ((x0 + x1) ** 2 + y0 * y0 + y1 * y1);
  for (let c = 0; c < dim; c++) {
    const over = Math.abs(x[c]!) - boxHalf;
    if (over > 0) e += 2 * BOX_K * over * over;
  }
  return e;
}

function dimerGradient64(sh: DimerShape, x: Float64Array, out: Float64Array): Float64Array {
  const { rm2, epsilon, slope, boxHalf, dim } = sh;
  out.fill(0);
  forEachPair(x, sh.P, (i, j, dx, dy) => {
    const r2 = dx * dx + dy * dy;
    const s = rm2 / r2;
    const s3 = s * s * s;
    // d/dx_i of ε·s⁶ = −12·ε·s⁶·dx / r².
    const f = (-12 * epsilon * s3 * s3) / r2;
    out[2 * i] = out[2 * i]! + f * dx;
    out[2 * i + 1] = out[2 * i + 1]! + f * dy;
    out[2 * j] = out[2 * j]! - f * dx;
    out[2 * j + 1] = out[2 * j + 1]! - f * dy;
  });
  const x0 = x[0]!, y0 = x[1]!, x1 = x[2]!, y1 = x[3]!;
  const dx = x0 - x1;
  const dy = y0 - y1;
  const d = Math.hypot(dx, dy);
  const fb = bondForce(slope, d) / d;
  const cx = 2 * RESTRAINT_K * (x0 + x1);
  out[0] = out[0]! + fb * dx + cx;
  out[1] = out[1]! + fb * dy + 2 * RESTRAINT_K * y0;
  out[2] = out[2]! - fb * dx + cx;
  out[3] = out[3]! - fb * dy + 2 * RESTRAINT_K * y1;
  for (let c = 0; c < dim; c++) {
    const v = x[c]!;
    const over = Math.abs(v) - boxHalf;
    if (over > 0) out[c] = out[c]! + 4 * BOX_K * over * Math.sign(v);
  }
  return out;
}

/**
 * The constant pair mask [P, P] (1 for i < j except the dimer pair (0, 1), which has its own bond) and
 * its complement, created on first use (the backend may not be ready at construction) and kept out of any tidy.
 */
function pairMasks(P: number): () => [tf.Tensor2D, tf.Tensor2D] {
  const maskData = new Float32Array(P * P);
  for (let i = 0; i < P; i++) for (let j = i + 1; j < P; j++) if (!(i === 0 && j === 1)) maskData[i * P + j] = 1;
  let mask: tf.Tensor2D | null = null;
  let unmasked: tf.Tensor2D | null = null;
  return () => {
    if (!mask || mask.isDisposed) {
      mask = tf.keep(tf.tensor2d(maskData, [P, P]));
      unmasked = tf.keep(tf.sub(1, mask) as tf.Tensor2D);
    }
    return [mask, unmasked!];
  };
}

function dimerDistance(x: tf.Tensor2D): tf.Tensor1D {
  const d = tf.sub(tf.slice(x, [0, 0], [-1, 2]), tf.slice(x, [0, 2], [-1, 2]));
  return tf.sqrt(tf.sum(tf.square(d), 1)) as tf.Tensor1D;
}

/** The batched energy (float32, differentiable); `masks` from `pairMasks`. */
function tfEnergy(sh: DimerShape, [m, notM]: [tf.Tensor2D, tf.Tensor2D], x: tf.Tensor2D): tf.Tensor1D {
  const { P, rm2, epsilon, slope, boxHalf } = sh;
  return tf.tidy(() => {
    // Pairwise r² by broadcasting columns [N, P, 1] against rows [N, 1, P], x and y separately:
    // no gather (no gradient on wasm), and ~2× faster with its gradient than one [N, P, P, 2] tensor.
    const p = tf.reshape(x, [-1, P, 2]);
    const cx = tf.slice(p, [0, 0, 0], [-1, -1, 1]);
    const cy = tf.slice(p, [0, 0, 1], [-1, -1, 1]);
    const dx = tf.sub(cx, tf.reshape(cx, [-1, 1, P]));
    const dy = tf.sub(cy, tf.reshape(cy, [-1, 1, P]));
    // Masked entries get +1 so the diagonal's r² = 0 does not make inf·0 = NaN.
    const r2 = tf.add(tf.add(tf.square(dx), tf.square(dy)), notM);
    const s = tf.div(rm2, r2);
    const s3 = tf.mul(tf.square(s), s);
    const lj = tf.mul(tf.sum(tf.mul(tf.square(s3), m), [1, 2]), epsilon);

    const q = tf.mul(tf.sub(dimerDistance(x), BOND_MID), 2);
    const q2 = tf.square(q);
    const bond = tf.add(tf.sub(tf.mul(q, slope), tf.mul(q2, BOND_A)), tf.mul(tf.square(q2), BOND_B));

    const d4 = tf.slice(x, [0, 0], [-1, 4]);
    const xsum = tf.add(tf.slice(d4, [0, 0], [-1, 1]), tf.slice(d4, [0, 2], [-1, 1]));
    const ys = tf.concat([tf.slice(d4, [0, 1], [-1, 1]), tf.slice(d4, [0, 3], [-1, 1])], 1);
    const restraint = tf.mul(tf.add(tf.reshape(tf.square(xsum), [-1]), tf.sum(tf.square(ys), 1)), RESTRAINT_K);

    const wall = tf.mul(tf.sum(tf.square(tf.relu(tf.sub(tf.abs(x), boxHalf))), 1), 2 * BOX_K);
    return tf.addN([lj, bond, restraint, wall]) as tf.Tensor1D;
  });
}

/**
 * Dimer at distance d along x, centred at the origin; solvent on the smallest square lattice
 * (cell-centred in the box) that has nSolvent sites at least 0.8 away from both dimer particles,
 * keeping the sites farthest from the dimer.
 */
function lattice(d: number, nSolvent: number, boxHalf: number): Float64Array {
  const dimer: [number, number][] = [
    [-d / 2, 0],
    [d / 2, 0],
  ];
  const nearest = (sx: number, sy: number): number =>
    Math.min(...dimer.map(([px, py]) => Math.hypot(sx - px, sy - py)));
  for (let m = Math.ceil(Math.sqrt(nSolvent)); ; m++) {
    const h = (2 * boxHalf) / m;
    const sites: { x: number; y: number; r: number }[] = [];
    for (let i = 0; i < m; i++)
      for (let j = 0; j < m; j++) {
        const sx = -boxHalf + (i + 0.5) * h;
        const sy = -boxHalf + (j + 0.5) * h;
        const r = nearest(sx, sy);
        if (r >= 0.8) sites.push({ x: sx, y: sy, r });
      }
    if (sites.length < nSolvent) continue;
    sites.sort((a, b) => b.r - a.r || a.x - b.x || a.y - b.y);
    const x = new Float64Array(2 * (nSolvent + 2));
    x[0] = -d / 2;
    x[2] = d / 2;
    sites.slice(0, nSolvent).forEach((s, k) => {
      x[2 * (k + 2)] = s.x;
      x[2 * (k + 2) + 1] = s.y;
    });
    return x;
  }
}

/** Steepest descent with an adaptive step (grow on success, halve on failure) to a low-energy start. */
function relax(
  x: Float64Array,
  energy: (x: Float64Array) => number,
  gradient: (x: Float64Array, out: Float64Array) => Float64Array,
  iterations = 2000,
): Float64Array {
  const g = new Float64Array(x.length);
  const trial = new Float64Array(x.length);
  let e = energy(x);
  let eta = 1e-3;
  for (let it = 0; it < iterations; it++) {
    gradient(x, g);
    // Cap every displacement at 0.05 so a stiff r⁻¹² contact cannot fling a particle away.
    for (let i = 0; i < x.length; i++) trial[i] = x[i]! - Math.max(-0.05, Math.min(0.05, eta * g[i]!));
    const et = energy(trial);
    if (et < e) {
      x.set(trial);
      e = et;
      eta *= 1.2;
    } else {
      eta *= 0.5;
    }
  }
  return x;
}

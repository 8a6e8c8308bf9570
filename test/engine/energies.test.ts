import { readFileSync } from 'node:fs';
import { describe, it, expect, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { createDoubleWell } from '../../engine/energies/double-well';
import { createMuellerBrown } from '../../engine/energies/mueller-brown';
import { createDimer } from '../../engine/energies/dimer';
import { createSystem, SYSTEM_NAMES } from '../../engine/energies';
import type { ModelSystem } from '../../engine/energies/types';
import { Rng } from '../../engine/rng';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const fd = (s: ModelSystem, x: Float64Array, h = 1e-6): Float64Array => {
  const g = new Float64Array(x.length);
  const y = x.slice();
  for (let i = 0; i < x.length; i++) {
    y[i] = x[i]! + h;
    const up = s.energy64(y);
    y[i] = x[i]! - h;
    const down = s.energy64(y);
    y[i] = x[i]!;
    g[i] = (up - down) / (2 * h);
  }
  return g;
};

const norm = (v: ArrayLike<number>): number => Math.sqrt(Array.from(v).reduce((a, b) => a + b * b, 0));
const diffNorm = (a: ArrayLike<number>, b: ArrayLike<number>): number =>
  norm(Array.from(a, (v, i) => v - b[i]!));

/** Random configurations: around `centre` with Gaussian noise. */
function batch(centre: Float64Array, n: number, std: number, rng: Rng): Float64Array[] {
  return Array.from({ length: n }, () => centre.map((c) => c + std * rng.normal()));
}

function checkGradients(s: ModelSystem, xs: Float64Array[]): void {
  for (const x of xs) {
    const g = s.gradient64(x, new Float64Array(s.dim));
    expect(diffNorm(g, fd(s, x))).toBeLessThan(1e-5 * Math.max(1, norm(g)));
  }
}

function checkTf(s: ModelSystem, xs: Float64Array[]): void {
  const flat = new Float32Array(xs.length * s.dim);
  xs.forEach((x, i) => flat.set(x, i * s.dim));
  const xt = tf.tensor2d(flat, [xs.length, s.dim]);
  // Compare against float64 evaluated at the float32-rounded inputs the tensor actually holds.
  const x32 = xs.map((x) => Float64Array.from(Float32Array.from(x)));
  const e = s.energy(xt).arraySync();
  const rc = s.rc(xt).arraySync();
  const g = tf.grad((v: tf.Tensor) => tf.sum(s.energy(v as tf.Tensor2D)))(xt).arraySync() as number[][];
  x32.forEach((x, i) => {
    const e64 = s.energy64(x);
    expect(Math.abs(e[i]! - e64)).toBeLessThan(1e-4 * Math.max(1, Math.abs(e64)));
    expect(rc[i]!).toBeCloseTo(s.rc64(x), 5);
    const g64 = s.gradient64(x, new Float64Array(s.dim));
    expect(diffNorm(g[i]!, g64)).toBeLessThan(1e-4 * Math.max(1, norm(g64)));
  });
  xt.dispose();
}

describe('double well', () => {
  const s = createDoubleWell();

  it('energy64 matches the formula by hand', () => {
    expect(s.energy64(Float64Array.of(1.5, -0.7))).toBeCloseTo(1.5 ** 4 - 6 * 1.5 ** 2 + 1.5 + 0.5 * 0.49, 12);
    expect(s.energy64(Float64Array.of(0, 0))).toBe(0);
    const t = createDoubleWell({ dim: 3, a4: 2, a2: 3, a1: -0.5, k: 4 });
    expect(t.energy64(Float64Array.of(-1, 0.5, 2))).toBeCloseTo(2 - 3 + 0.5 + 2 * (0.25 + 4), 12);
  });

  it('starts at the two minima, in their states', () => {
    const g = new Float64Array(2);
    for (const st of [0, 1] as const) {
      const x = s.start(st);
      expect(Math.abs(s.gradient64(x, g)[0]!)).toBeLessThan(1e-10);
      const r = s.rc64(x);
      expect(r >= s.states[st].min && r < s.states[st].max).toBe(true);
    }
    expect(s.start(0)[0]).toBeCloseTo(-1.7723, 4);
    expect(s.start(1)[0]).toBeCloseTo(1.6888, 4);
  });

  it('gradient64 matches finite differences; tfjs matches float64', () => {
    const rng = new Rng(11);
    const xs = batch(new Float64Array(4), 16, 1.5, rng);
    const s4 = createDoubleWell({ dim: 4 });
    checkGradients(s4, xs);
    checkTf(s4, xs);
    checkTf(s, batch(new Float64Array(2), 16, 1.5, rng));
  });
});

describe('Mueller–Brown', () => {
  const s = createMuellerBrown();

  it('energy64 matches the formula by hand', () => {
    // At (0, 0): exponents −1, −2.5, −6.5·0.25 + 11·0.5·(−1.5) − 6.5·2.25 = −24.5, 0.7 − 0.6 + 0.7 = 0.8.
    const e00 = 0.1 * (-200 * Math.exp(-1) - 100 * Math.exp(-2.5) - 170 * Math.exp(-24.5) + 15 * Math.exp(0.8));
    expect(s.energy64(Float64Array.of(0, 0))).toBeCloseTo(e00, 12);
    // At (−0.5, 1.5), dim 3 with x3 = 2, k = 1:
    // j=0: dx −1.5, dy 1.5 → −2.25 − 22.5; j=1: dx −0.5, dy 1 → −0.25 − 10; j=2: 0;
    // j=3: dx 0.5, dy 0.5 → 0.7·0.25 + 0.6·0.25 + 0.7·0.25 = 0.5; extra ½·4.
    const e = -200 * Math.exp(-24.75) - 100 * Math.exp(-10.25) - 170 + 15 * Math.exp(0.5) + 2;
    expect(createMuellerBrown({ dim: 3, k: 1 }).energy64(Float64Array.of(-0.5, 1.5, 2))).toBeCloseTo(e, 10);
  });

  it('starts at the literature minima (−146.70 top left, −108.17 bottom right, ×k)', () => {
    const g = new Float64Array(2);
    const a = s.start(0);
    const b = s.start(1);
    expect(a[0]).toBeCloseTo(-0.558, 3);
    expect(a[1]).toBeCloseTo(1.442, 3);
    expect(b[0]).toBeCloseTo(0.623, 3);
    expect(b[1]).toBeCloseTo(0.028, 3);
    expect(s.energy64(a)).toBeCloseTo(-14.67, 2);
    expect(s.energy64(b)).toBeCloseTo(-10.817, 2);
    for (const [st, x] of [[0, a], [1, b]] as const) {
      expect(norm(s.gradient64(x, g))).toBeLessThan(1e-8);
      const r = s.rc64(x);
      expect(r >= s.states[st].min && r < s.states[st].max).toBe(true);
    }
  });

  it('gradient64 matches finite differences; tfjs matches float64', () => {
    const rng = new Rng(12);
    const s3 = createMuellerBrown({ dim: 3 });
    const xs = Array.from({ length: 16 }, () =>
      Float64Array.of(-1.5 + 2.5 * rng.uniform(), -0.4 + 2.2 * rng.uniform(), rng.normal()),
    );
    checkGradients(s3, xs);
    checkTf(s3, xs);
    checkTf(s, xs.map((x) => x.slice(0, 2)));
  });
});

describe('dimer', () => {
  it('energy64 matches the formula by hand (1 solvent particle)', () => {
    const s = createDimer({ nSolvent: 1 });
    expect(s.dim).toBe(6);
    const x = Float64Array.of(-0.6, 0.1, 0.7, -0.2, 0.2, 1.3);
    const d = Math.sqrt(1.3 ** 2 + 0.3 ** 2);
    const q = 2 * (d - 1.5);
    const r02sq = 0.8 ** 2 + 1.2 ** 2;
    const r12sq = 0.5 ** 2 + 1.5 ** 2;
    const expected =
      (1.21 / r02sq) ** 6 + (1.21 / r12sq) ** 6 + (2 * q - 25 * q * q + 10 * q ** 4) + 20 * 0.1 ** 2 + 20 * 0.01 + 20 * 0.04;
    expect(s.energy64(x)).toBeCloseTo(expected, 10);
    expect(s.rc64(x)).toBeCloseTo(d, 14);
  });

  it('counts the box wall once: one coordinate at ±3.5 adds exactly 2·100·0.25 = 50', () => {
    const s = createDimer({ nSolvent: 1, epsilon: 0 });
    const inside = Float64Array.of(-0.5, 0, 0.5, 0, 2.5, 1);
    const base = s.energy64(inside);
    for (const [c, v] of [[4, 3.5], [5, -3.5]] as const) {
      const out = inside.slice();
      out[c] = v;
      expect(s.energy64(out) - base).toBeCloseTo(50, 12);
      const both = tf.tensor2d([Array.from(inside), Array.from(out)]);
      const [e0, e1] = s.energy(both).arraySync();
      expect(e1! - e0!).toBeCloseTo(50, 3);
      both.dispose();
    }
  });

  it('has 76 coordinates and low-energy starts in both states', () => {
    const s = createDimer();
    expect(s.dim).toBe(76);
    for (const st of [0, 1] as const) {
      const x = s.start(st);
      const e = s.energy64(x);
      expect(Number.isFinite(e)).toBe(true);
      expect(e).toBeLessThan(40);
      const r = s.rc64(x);
      expect(r >= s.states[st].min && r < s.states[st].max).toBe(true);
      expect(Math.abs(r - (st === 0 ? 1 : 2))).toBeLessThan(0.15);
    }
  });

  it('gradient64 matches finite differences; tfjs matches float64', () => {
    const s = createDimer();
    const rng = new Rng(13);
    const xs = [...batch(s.start(0), 4, 0.05, rng), ...batch(s.start(1), 4, 0.05, rng)];
    const wall = s.start(0);
    wall[10] = 3.3; // one solvent x beyond the wall
    wall[11] = -3.2;
    xs.push(wall);
    checkGradients(s, xs);
    checkTf(s, xs);
  });
});

describe('registry', () => {
  it('creates every system and validates params by name', () => {
    const molecule = { pdb: readFileSync('data/molecules/alanine-dipeptide.pdb', 'utf8'), forcefieldXml: readFileSync('data/forcefields/amber99sbildn.xml', 'utf8') };
    for (const name of SYSTEM_NAMES) expect(createSystem(name, {}, molecule).name).toBe(name);
    // A molecule without its structure and force field is refused, naming what is missing.
    expect(() => createSystem('alanine-dipeptide')).toThrow(/structure \(PDB\) and force field/);
    expect(createSystem('molecule', { temperature: 600 }, molecule).energy64(createSystem('molecule', {}, molecule).start(0))).toBeCloseTo(
      createSystem('molecule', {}, molecule).energy64(createSystem('molecule', {}, molecule).start(0)) / 2,
      9,
    );
    expect(createSystem('double-well', { dim: 5 }).dim).toBe(5);
    expect(createSystem('dimer', { nSolvent: 4 }).dim).toBe(12);
    expect(() => createSystem('double-well', { k: 'x' })).toThrow(/'k'/);
    expect(() => createSystem('mueller-brown', { k: Number.NaN })).toThrow(/'k'/);
    expect(() => createSystem('dimer', { nsolvent: 4 })).toThrow(/'nsolvent'/);
    expect(() => createSystem('nope' as never)).toThrow(/nope/);
  });
});

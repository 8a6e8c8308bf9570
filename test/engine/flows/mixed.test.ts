import { beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { createMolecule } from '../../../engine/energies/mm';
import { MixedCoordinatesLayer } from '../../../engine/flows/internal/mixed-layer';
import { alignToReference } from '../../../engine/flows/internal/mixed-geometry';
import { Rng } from '../../../engine/rng';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const mol = createMolecule(readFileSync('data/molecules/alanine-dipeptide.pdb', 'utf8'), readFileSync('data/forcefields/amber99sbildn.xml', 'utf8'));
const N = 22;
/** Cartesian subset: all 10 heavy atoms (ACE CH3 C O, ALA N CA CB C O, NME N CH3), i.e. the backbone
 * incl. its φ/ψ-defining atoms and CB; the 12 hydrogens go to internal coordinates. 3·10 − 6 + 36 = 60. */
const HEAVY = mol.topology.atoms.flatMap((a, i) => (a.element === 'H' ? [] : [i]));
const x0 = mol.positions;

/** `count` copies of x0 + Gaussian noise (nm), aligned (Kabsch on the subset) to x0. */
function alignedNoisy(count: number, sigma: number, rng: Rng): Float64Array {
  const out = new Float64Array(count * 3 * N);
  for (let i = 0; i < out.length; i++) out[i] = x0[i % (3 * N)]! + sigma * rng.normal();
  return alignToReference(out, HEAVY, x0);
}
/** Max |a − b|; angle differences are not wrapped (the data's dihedrals sit far from the ±π cut). */
const maxAbs = (a: ArrayLike<number>, b: ArrayLike<number>): number => Array.from(a).reduce((s, v, i) => Math.max(s, Math.abs(v - b[i]!)), 0);

/** Float64 reference of forward z → x from the layer's fitted constants (same NeRF convention). */
function forward64(layer: MixedCoordinatesLayer, z: ArrayLike<number>): Float64Array {
  const [mean, , toX, , , , icMean, icStd] = layer.variables().map((v) => v.dataSync());
  const m3 = mean!.length, nc = m3 - 6, nl = layer.rows.length, x = new Float64Array(3 * N);
  layer.cartesian.forEach((a, i) => {
    for (let k = 0; k < 3; k++) {
      let s = mean![3 * i + k]!;
      for (let c = 0; c < nc; c++) s += z[c]! * toX![c * m3 + 3 * i + k]!;
      x[3 * a + k] = s;
    }
  });
  const at = (i: number): number[] => [x[3 * i]!, x[3 * i + 1]!, x[3 * i + 2]!];
  const sub = (p: number[], q: number[]): number[] => p.map((v, k) => v - q[k]!);
  const cr = (p: number[], q: number[]): number[] => [p[1]! * q[2]! - p[2]! * q[1]!, p[2]! * q[0]! - p[0]! * q[2]!, p[0]! * q[1]! - p[1]! * q[0]!];
  const un = (p: number[]): number[] => p.map((v) => v / Math.hypot(...p));
  layer.rows.forEach((row, k) => {
    const q = [0, 1, 2].map((j) => icMean![j * nl + k]! + icStd![j * nl + k]! * z[nc + j * nl + k]!);
    const [r, th, ph] = q as [number, number, number];
    const b = at(row.bond), c = at(row.angle), u = un(sub(b, c)), n = un(cr(sub(c, at(row.dihedral)), u)), m = cr(n, u);
    for (let j = 0; j < 3; j++) x[3 * row.atom + j] = b[j]! + r * (-Math.cos(th) * u[j]! + Math.sin(th) * (Math.cos(ph) * m[j]! + Math.sin(ph) * n[j]!));
  });
  return x;
}
/** log sqrt det(JᵀJ) of the 3N × (3N−6) Jacobian of forward64 (central differences, Cholesky). */
function fdLogVolume(layer: MixedCoordinatesLayer, z: Float64Array, h = 1e-5): number {
  const d = z.length, n = 3 * N, J = new Float64Array(n * d);
  for (let j = 0; j < d; j++) {
    const zp = Float64Array.from(z), zm = Float64Array.from(z);
    zp[j]! += h;
    zm[j]! -= h;
    const xp = forward64(layer, zp), xm = forward64(layer, zm);
    for (let i = 0; i < n; i++) J[i * d + j] = (xp[i]! - xm[i]!) / (2 * h);
  }
  const G = new Float64Array(d * d);
  for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) for (let i = 0; i < n; i++) G[a * d + b]! += J[i * d + a]! * J[i * d + b]!;
  let half = 0; // Cholesky: ½ log det G = Σ log L_kk
  for (let k = 0; k < d; k++) {
    for (let j = 0; j < k; j++) G[k * d + k]! -= G[k * d + j]! ** 2;
    const lkk = Math.sqrt(G[k * d + k]!);
    half += Math.log(lkk);
    for (let i = k + 1; i < d; i++) {
      for (let j = 0; j < k; j++) G[i * d + k]! -= G[i * d + j]! * G[k * d + j]!;
      G[i * d + k]! /= lkk;
    }
  }
  return half;
}

describe('MixedCoordinatesLayer (alanine dipeptide)', () => {
  const rng = new Rng(11);
  const train = alignedNoisy(256, 0.005, rng);

  it('Kabsch alignment undoes a random rigid motion', () => {
    const [a, b, c] = [rng.normal(), rng.normal(), rng.normal()];
    const [q0, q1, q2, q3] = [1, a, b, c].map((v) => v / Math.hypot(1, a, b, c)) as [number, number, number, number];
    const R = [[q0 * q0 + q1 * q1 - q2 * q2 - q3 * q3, 2 * (q1 * q2 - q0 * q3), 2 * (q1 * q3 + q0 * q2)],
      [2 * (q1 * q2 + q0 * q3), q0 * q0 - q1 * q1 + q2 * q2 - q3 * q3, 2 * (q2 * q3 - q0 * q1)],
      [2 * (q1 * q3 - q0 * q2), 2 * (q2 * q3 + q0 * q1), q0 * q0 - q1 * q1 - q2 * q2 + q3 * q3]];
    const moved = x0.map((_, i) => 0.7 * (i % 3) + [0, 1, 2].reduce((s, k) => s + R[i % 3]![k]! * x0[i - (i % 3) + k]!, 0));
    expect(maxAbs(alignToReference(moved, HEAVY, x0), x0)).toBeLessThan(1e-12);
  });

  it('3N − 6 output, round trips on aligned data, log-det = FD volume factor of the embedding', () => {
    const layer = new MixedCoordinatesLayer(N, mol.topology.bonds, HEAVY);
    layer.fit(train);
    expect(HEAVY.length).toBe(10);
    expect(layer.dim).toBe(3 * N - 6);
    expect(layer.dim).toBe(60);
    // Aligned data have 6 zero-variance directions (exactly the linear alignment constraints).
    expect(Math.max(...layer.droppedVariance)).toBeLessThan(1e-15);
    const test = alignedNoisy(32, 0.005, rng), n = 32, d = layer.dim;
    const x = tf.tensor2d(Float32Array.from(test), [n, 3 * N]);
    const inv = layer.inverse(x), fwd = layer.forward(inv.z), back = layer.inverse(fwd.x);
    const [xs, zs, xb, zb, ldi, ldf] = [x, inv.z, fwd.x, back.z, inv.logDet, fwd.logDet].map((t) => t.dataSync() as Float32Array);
    const res = { xx: maxAbs(xs!, xb!), zz: maxAbs(zs!, zb!), fwdInv: maxAbs(ldf!, ldi!.map((v) => -v)), ref: 0, fdAbs: 0, fdDiff: 0 };
    const fd: number[] = [];
    for (let r = 0; r < 6; r++) {
      const z = Float64Array.from(zs!.subarray(r * d, (r + 1) * d));
      res.ref = Math.max(res.ref, maxAbs(forward64(layer, z), xb!.subarray(r * 3 * N, (r + 1) * 3 * N)));
      fd.push(fdLogVolume(layer, z));
      res.fdAbs = Math.max(res.fdAbs, Math.abs(fd[r]! - ldf![r]!));
      if (r > 0) res.fdDiff = Math.max(res.fdDiff, Math.abs(fd[r]! - fd[0]! - (ldf![r]! - ldf![0]!)));
    }
    console.log(JSON.stringify({ ...res, dropped: Math.max(...layer.droppedVariance), ldSpread: Math.max(...fd) - Math.min(...fd) }, (_k, v: unknown) => (typeof v === 'number' ? Number(v.toPrecision(2)) : v)));
    expect(res.xx).toBeLessThan(1e-5);
    expect(res.zz).toBeLessThan(1e-4);
    expect(res.fwdInv).toBeLessThan(1e-4);
    expect(res.ref).toBeLessThan(1e-5);
    // Reweighting uses log-det differences (constants cancel in normalised weights); here the layer's
    // log-det is the exact volume factor, so the absolute value matches too.
    expect(res.fdDiff).toBeLessThan(1e-3);
    expect(res.fdAbs).toBeLessThan(1e-3);
    tf.dispose([x, inv.z, inv.logDet, fwd.x, fwd.logDet, back.z, back.logDet]);
    layer.dispose();
  });

  it('gradients flow, nothing trainable, dispose frees every tensor', () => {
    const before = tf.memory().numTensors;
    const layer = new MixedCoordinatesLayer(N, mol.topology.bonds, HEAVY);
    layer.fit(train);
    expect(layer.variables().every((v) => !v.trainable)).toBe(true);
    const x = tf.tensor2d(Float32Array.from(train.subarray(0, 4 * 3 * N)), [4, 3 * N]);
    const { z, logDet } = layer.inverse(x);
    const gz = tf.grad((zz: tf.Tensor) => tf.add(tf.sum(layer.forward(zz as tf.Tensor2D).x), tf.sum(layer.forward(zz as tf.Tensor2D).logDet)))(z);
    const gx = tf.grad((xx: tf.Tensor) => tf.add(tf.sum(tf.square(layer.inverse(xx as tf.Tensor2D).z)), tf.sum(layer.inverse(xx as tf.Tensor2D).logDet)))(x);
    expect([...gz.dataSync(), ...gx.dataSync()].every(Number.isFinite)).toBe(true);
    tf.dispose([x, z, logDet, gz, gx]);
    // Unaligned data: the noise's own rigid-body part gives the dropped directions real variance.
    layer.fit(Float64Array.from({ length: 64 * 3 * N }, (_, i) => x0[i % (3 * N)]! + 0.005 * rng.normal()));
    expect(Math.max(...layer.droppedVariance)).toBeGreaterThan(1e-6);
    layer.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('log-weight attribution (spline flow in mixed coordinates)', () => {
  it('splits log q exactly into coordinate groups, and Var(log w) into shares that add up to 1', async () => {
    const { buildFlow } = await import('../../../engine/flows/build');
    const { fitSplineDomains } = await import('../../../engine/flows/spline/fit-domain');
    const { logQByGroup, varianceShares } = await import('../../../engine/diagnostics/log-w-attribution');
    const rng = new Rng(12);
    const built = buildFlow({ layers: 'QPQ', hidden: [8], sScale: 1, whiten: false, coordinates: 'mixed', spline: { bins: 4 } }, 3 * N, rng, { nAtoms: N, bonds: mol.topology.bonds, cartesian: HEAVY });
    const train = alignedNoisy(256, 0.005, rng);
    built.mixed!.layer.fit(train);
    fitSplineDomains(built, train);
    for (const v of built.flow.variables()) if (v.trainable) v.assign(tf.mul(tf.randomUniform(v.shape, -0.2, 0.2), 1));
    const z = tf.tensor2d(rng.normals(new Float32Array(64 * built.flow.dim)), [64, built.flow.dim]);
    const { groups, x } = logQByGroup(built, z);
    const f = built.flow.forward(z);
    const logN = tf.sum(tf.sub(tf.mul(tf.square(z), -0.5), 0.5 * Math.log(2 * Math.PI)), 1);
    const logQ = tf.sub(logN, f.logDet).dataSync();
    for (let i = 0; i < 64; i++) {
      const parts = groups.cartesian[i]! + groups.bonds[i]! + groups.angles[i]! + groups.torsions[i]!;
      expect(Math.abs(parts - logQ[i]!)).toBeLessThan(1e-3 * Math.max(1, Math.abs(logQ[i]!)));
    }
    expect(maxAbs(x, f.x.dataSync())).toBeLessThan(1e-6);
    // Torsions of the mixed transform carry only log σ in its log-det, bonds 2 log r + log σ: both move.
    expect(new Set(Array.from(groups.bonds)).size).toBeGreaterThan(1);
    const { shares } = varianceShares({ a: groups.bonds, b: groups.angles, c: groups.torsions });
    expect(shares.a! + shares.b! + shares.c!).toBeCloseTo(1, 10);
  });
});

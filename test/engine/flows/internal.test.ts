import { beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { createMolecule } from '../../../engine/energies/mm';
import { InternalCoordinatesLayer, wrapAngle64 } from '../../../engine/flows/internal/internal-layer';
import { buildZMatrix, VIRTUAL, type ZMatrix } from '../../../engine/flows/internal/zmatrix';
import { Rng } from '../../../engine/rng';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const mol = createMolecule(readFileSync('data/molecules/alanine-dipeptide.pdb', 'utf8'), readFileSync('data/forcefields/amber99sbildn.xml', 'utf8'));
const alaZm = buildZMatrix(22, mol.topology.bonds);

// ---------- independent float64 reference: textbook bond, angle, torsion formulas ----------
type P = number[];
const sub = (a: P, b: P): P => a.map((v, k) => v - b[k]!);
const dot = (a: P, b: P): number => a.reduce((s, v, k) => s + v * b[k]!, 0);
const cross = (a: P, b: P): P => [a[1]! * b[2]! - a[2]! * b[1]!, a[2]! * b[0]! - a[0]! * b[2]!, a[0]! * b[1]! - a[1]! * b[0]!];
const norm = (a: P): number => Math.sqrt(dot(a, a));
const angle = (a: P, b: P, c: P): number => Math.acos(dot(sub(a, b), sub(c, b)) / (norm(sub(a, b)) * norm(sub(c, b))));
/** IUPAC torsion p0–p1–p2–p3 (Blondel & Karplus form). */
function torsion(p0: P, p1: P, p2: P, p3: P): number {
  const b1 = sub(p1, p0), b2 = sub(p2, p1), b3 = sub(p3, p2);
  return Math.atan2(norm(b2) * dot(b1, cross(b2, b3)), dot(cross(b1, b2), cross(b2, b3)));
}
/** x → q for the documented convention: root xyz | r | θ | φ; row 0 is spherical (θ from +z, φ = −azimuth); row 1's torsion reference is angle atom + ẑ. */
function ref64(zm: ZMatrix, x: ArrayLike<number>): Float64Array {
  const at = (i: number): P => [x[3 * i]!, x[3 * i + 1]!, x[3 * i + 2]!];
  const m = zm.rows.length, q = new Float64Array(3 + 3 * m);
  q.set(at(zm.seed[0]), 0);
  zm.rows.forEach((row, k) => {
    const a = at(row.atom), b = at(row.bond), v = sub(a, b);
    q[3 + k] = norm(v);
    if (row.angle === VIRTUAL) {
      q[3 + m + k] = Math.acos(v[2]! / norm(v));
      q[3 + 2 * m + k] = Math.atan2(-v[1]!, v[0]!);
    } else {
      const c = at(row.angle), d = row.dihedral === VIRTUAL ? [c[0]!, c[1]!, c[2]! + 1] : at(row.dihedral);
      q[3 + m + k] = angle(a, b, c);
      q[3 + 2 * m + k] = torsion(d, c, b, a);
    }
  });
  return q;
}
/** log|det| by LU with partial pivoting. */
function logAbsDet(a: Float64Array, n: number): number {
  const m = Float64Array.from(a);
  let s = 0;
  for (let k = 0; k < n; k++) {
    let p = k;
    for (let i = k + 1; i < n; i++) if (Math.abs(m[i * n + k]!) > Math.abs(m[p * n + k]!)) p = i;
    for (let j = 0; j < n; j++) [m[k * n + j], m[p * n + j]] = [m[p * n + j]!, m[k * n + j]!];
    const piv = m[k * n + k]!;
    s += Math.log(Math.abs(piv));
    for (let i = k + 1; i < n; i++) {
      const f = m[i * n + k]! / piv;
      for (let j = k; j < n; j++) m[i * n + j]! -= f * m[k * n + j]!;
    }
  }
  return s;
}
/** log|det ∂z/∂x| of the reference (with the layer's σ): central differences, h = 1e-6 nm; angle differences wrapped. */
function fdLogDet(zm: ZMatrix, x: Float64Array, std: Float32Array): number {
  const n = x.length, m = zm.rows.length, J = new Float64Array(n * n), h = 1e-6;
  for (let j = 0; j < n; j++) {
    const xp = Float64Array.from(x), xm = Float64Array.from(x);
    xp[j]! += h;
    xm[j]! -= h;
    const qp = ref64(zm, xp), qm = ref64(zm, xm);
    for (let i = 0; i < n; i++) {
      const dq = i >= 3 + 2 * m ? wrapAngle64(qp[i]! - qm[i]!) : qp[i]! - qm[i]!;
      J[i * n + j] = dq / (2 * h);
    }
  }
  return logAbsDet(J, n) - std.reduce((s, v) => s + Math.log(v), 0);
}

// ---------- data ----------
/** `count` copies of `x0` with Gaussian noise (nm), row-major. */
function noisy(x0: Float64Array, count: number, sigma: number, rng: Rng): Float64Array {
  const out = new Float64Array(count * x0.length);
  for (let i = 0; i < out.length; i++) out[i] = x0[i % x0.length]! + sigma * rng.normal();
  return out;
}
/** A random tree of n atoms with relabelled indices and bond lengths 0.1–0.15 nm, free of near-collinear reference triples. */
function randomMolecule(n: number, chain: boolean, rng: Rng): { zm: ZMatrix; x: Float64Array } {
  for (;;) {
    const perm = Array.from({ length: n }, (_, i) => i).sort(() => rng.uniform() - 0.5);
    const x = new Float64Array(3 * n), bonds: [number, number][] = [];
    for (let i = 1; i < n; i++) {
      const p = chain ? i - 1 : rng.int(i);
      bonds.push([perm[p]!, perm[i]!]);
      const dir = [rng.normal(), rng.normal(), rng.normal()], len = (0.1 + 0.05 * rng.uniform()) / norm(dir);
      for (let k = 0; k < 3; k++) x[3 * perm[i]! + k] = x[3 * perm[p]! + k]! + len * dir[k]! + (i === 1 ? 0.3 * rng.normal() : 0);
    }
    const zm = buildZMatrix(n, bonds);
    const at = (i: number): P => [x[3 * i]!, x[3 * i + 1]!, x[3 * i + 2]!];
    const ok = zm.rows.every((r) => r.angle === VIRTUAL || (Math.sin(angle(at(r.atom), at(r.bond), at(r.angle))) > 0.3 &&
      (r.dihedral === VIRTUAL || Math.sin(angle(at(r.bond), at(r.angle), at(r.dihedral))) > 0.3 || Math.sin(angle(at(r.dihedral), at(r.bond), at(r.angle))) > 0.3)));
    const q = ref64(zm, x);
    if (ok && Math.sin(q[3 + zm.rows.length]!) > 0.3) return { zm, x };
  }
}

const maxAbs = (a: ArrayLike<number>, b: ArrayLike<number>, wrapFrom = Infinity): number =>
  Array.from(a).reduce((s, v, i) => Math.max(s, Math.abs(i >= wrapFrom ? wrapAngle64(v - b[i]!) : v - b[i]!)), 0);

interface Check { xx: number; zz: number; qRef: number; logDet: number; fwdInv: number }
/** Every property on one layer and data set: x → z → x, z → x → z, IC vs reference, log-det vs FD, forward = −inverse. */
function check(layer: InternalCoordinatesLayer, data: Float64Array, fdRows = 3): Check {
  const d = layer.dim, n = data.length / d, p0 = d - layer.zmatrix.rows.length;
  const x = tf.tensor2d(Float32Array.from(data), [n, d]);
  const inv = layer.inverse(x);
  const fwd = layer.forward(inv.z);
  const back = layer.inverse(fwd.x);
  const [xs, zs, xb, zb, ldi, ldf] = [x, inv.z, fwd.x, back.z, inv.logDet, fwd.logDet].map((t) => t.dataSync() as Float32Array);
  const [mean, std] = layer.variables().map((v) => v.dataSync() as Float32Array);
  const out: Check = { xx: maxAbs(xs!, xb!), zz: maxAbs(zs!, zb!, p0), qRef: 0, logDet: 0, fwdInv: maxAbs(ldi!, Float32Array.from(ldf!, (v) => -v)) };
  for (let r = 0; r < n; r++) {
    const xr = Float64Array.from(xs!.subarray(r * d, (r + 1) * d));
    const q = ref64(layer.zmatrix, xr);
    // Reference z = (q − μ)/σ, angles compared modulo 2π; scaled back by σ so the error is in nm/rad.
    const zRef = q.map((v, i) => (i >= p0 ? wrapAngle64(v - mean![i]!) : v - mean![i]!));
    out.qRef = Math.max(out.qRef, maxAbs(zRef, zs!.subarray(r * d, (r + 1) * d).map((v, i) => v * std![i]!), p0));
    if (r < fdRows) out.logDet = Math.max(out.logDet, Math.abs(fdLogDet(layer.zmatrix, xr, std!) - ldi![r]!));
  }
  tf.dispose([x, inv.z, inv.logDet, fwd.x, fwd.logDet, back.z, back.logDet]);
  return out;
}

describe('Z-matrix', () => {
  it('places every atom once, after its references, along bonds', () => {
    const bonded = (i: number, j: number): boolean => mol.topology.bonds.some(([a, b]) => (a === i && b === j) || (a === j && b === i));
    const placed = [alaZm.seed[0]];
    expect(alaZm.rows.length).toBe(21);
    alaZm.rows.forEach((r, k) => {
      expect(bonded(r.atom, r.bond)).toBe(true);
      if (r.angle !== VIRTUAL) expect(bonded(r.bond, r.angle)).toBe(true);
      expect(r.angle === VIRTUAL).toBe(k === 0);
      expect(r.dihedral === VIRTUAL).toBe(k <= 1);
      for (const ref of [r.bond, r.angle, r.dihedral]) if (ref !== VIRTUAL) expect(placed).toContain(ref);
      placed.push(r.atom);
    });
    expect(new Set(placed).size).toBe(22);
    expect(alaZm.seed).toEqual([placed[0], placed[1], placed[2]]);
  });
  it('rejects disconnected graphs, bad bonds and bad orders', () => {
    expect(() => buildZMatrix(4, [[0, 1], [2, 3]])).toThrow(/disconnected/);
    expect(() => buildZMatrix(3, [[0, 3]])).toThrow(/bad bond/);
    expect(() => buildZMatrix(3, [[0, 1], [1, 2]], [0, 0, 1])).toThrow(/permutation/);
    expect(buildZMatrix(3, [[0, 1], [1, 2]], [2, 1, 0]).seed).toEqual([2, 1, 0]);
  });
});

describe('InternalCoordinatesLayer', () => {
  const rng = new Rng(7);
  const alaData = noisy(mol.positions, 64, 0.01, rng);
  const results: Record<string, Check> = {};

  it('alanine dipeptide: exact round trips, reference coordinates, log-det = FD Jacobian', () => {
    const layer = new InternalCoordinatesLayer(alaZm);
    results.plain = check(layer, alaData);
    layer.fit(alaData);
    results.fitted = check(layer, noisy(mol.positions, 32, 0.01, rng));
    layer.dispose();
    for (const r of Object.values(results)) {
      expect(r.xx).toBeLessThan(1e-5);
      expect(r.qRef).toBeLessThan(1e-5);
      expect(r.logDet).toBeLessThan(1e-3);
      expect(r.fwdInv).toBeLessThan(1e-3);
    }
    expect(results.plain!.zz).toBeLessThan(1e-5);
    expect(results.fitted!.zz).toBeLessThan(1e-4); // z = IC/σ: float32 rounding of IC over σ ~ 0.01
  });

  it('random small chains and trees', () => {
    for (const [n, chain] of [[3, true], [4, true], [6, false], [8, true], [10, false], [12, true]] as const) {
      const { zm, x } = randomMolecule(n, chain, rng);
      const layer = new InternalCoordinatesLayer(zm);
      const r = check(layer, noisy(x, 8, 0.002, rng), 8);
      layer.dispose();
      expect(r.xx).toBeLessThan(1e-5);
      expect(r.zz).toBeLessThan(1e-5);
      expect(r.qRef).toBeLessThan(1e-5);
      expect(r.logDet).toBeLessThan(1e-3);
      results[`n${n}`] = r;
    }
    console.log(JSON.stringify(results, (_k, v: unknown) => (typeof v === 'number' ? Number(v.toPrecision(2)) : v)));
  });

  it('dihedrals near ±π round-trip; the forward map is 2π-periodic', () => tf.tidy(() => {
    const layer = new InternalCoordinatesLayer(alaZm);
    const d = layer.dim, m = alaZm.rows.length;
    const z0 = layer.inverse(tf.tensor2d(Float32Array.from(mol.positions), [1, d])).z.dataSync();
    const cases = [Math.PI, Math.PI - 1e-4, -Math.PI + 1e-4, -Math.PI + 1e-7, Math.PI + 1e-4, Math.PI + 2 * Math.PI];
    const zs = new Float32Array(cases.length * d);
    cases.forEach((phi, i) => {
      zs.set(z0, i * d);
      for (let k = 2; k < m; k++) zs[i * d + 3 + 2 * m + k] = phi; // every torsion row at once
    });
    const z = tf.tensor2d(zs, [cases.length, d]);
    const x = layer.forward(z).x;
    const back = layer.inverse(x).z.dataSync();
    for (let i = 0; i < cases.length; i++) {
      for (let k = 2; k < m; k++) {
        const phi = back[i * d + 3 + 2 * m + k]!;
        expect(phi).toBeGreaterThan(-Math.PI);
        expect(phi).toBeLessThanOrEqual(Math.fround(Math.PI));
        expect(Math.abs(wrapAngle64(phi - cases[i]!))).toBeLessThan(1e-5);
      }
    }
    const xs = x.dataSync();
    expect(maxAbs(xs.subarray(0, d), xs.subarray(5 * d, 6 * d))).toBeLessThan(1e-5); // φ = π and 3π: same structure
    const x2 = layer.forward(layer.inverse(x).z).x.dataSync();
    expect(maxAbs(xs, x2)).toBeLessThan(1e-5);
    layer.dispose();
  }));

  it('has no trainable variables, gradients flow both ways, dispose frees every tensor', () => {
    const before = tf.memory().numTensors;
    const layer = new InternalCoordinatesLayer(alaZm);
    layer.fit(alaData.subarray(0, 8 * 66));
    expect(layer.variables().every((v) => !v.trainable)).toBe(true);
    const x = tf.tensor2d(Float32Array.from(alaData.subarray(0, 4 * 66)), [4, 66]);
    const gz = tf.grad((xx: tf.Tensor) => tf.add(tf.sum(tf.square(layer.inverse(xx as tf.Tensor2D).z)), tf.sum(layer.inverse(xx as tf.Tensor2D).logDet)))(x);
    const { z, logDet } = layer.inverse(x);
    const gx = tf.grad((zz: tf.Tensor) => tf.add(tf.sum(layer.forward(zz as tf.Tensor2D).x), tf.sum(layer.forward(zz as tf.Tensor2D).logDet)))(z);
    expect([...gz.dataSync(), ...gx.dataSync()].every(Number.isFinite)).toBe(true);
    tf.dispose([x, gz, z, logDet, gx]);
    layer.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

import { ONE_4PI_EPS0, type MMParams } from './system';

/** Energies in kJ/mol, by OpenMM force: the torsions hold propers and impropers together. */
export interface MMEnergies { bonds: number; angles: number; torsions: number; nonbonded: number; total: number }

/** Dihedral angle of x[a]-x[b]-x[c]-x[d] (IUPAC sign, as OpenMM) and its gradient, written into g (12 numbers). */
export function dihedral64(x: Float64Array, a: number, b: number, c: number, d: number, g?: Float64Array): number {
  const b1 = [0, 0, 0], b2 = [0, 0, 0], b3 = [0, 0, 0];
  for (let k = 0; k < 3; k++) {
    b1[k] = x[3 * b + k]! - x[3 * a + k]!;
    b2[k] = x[3 * c + k]! - x[3 * b + k]!;
    b3[k] = x[3 * d + k]! - x[3 * c + k]!;
  }
  const m = cross(b1, b2), n = cross(b2, b3);
  const lb2 = Math.hypot(b2[0]!, b2[1]!, b2[2]!);
  const phi = Math.atan2(lb2 * dot(b1, n), dot(m, n));
  if (g) {
    // Blondel & Karplus (1996): singular only where three atoms are collinear.
    const mm = dot(m, m), nn = dot(n, n), l2 = lb2 * lb2;
    const f1 = dot(b1, b2) / l2, f3 = dot(b3, b2) / l2;
    for (let k = 0; k < 3; k++) {
      const g0 = (-lb2 / mm) * m[k]!, g3 = (lb2 / nn) * n[k]!;
      g[k] = g0;
      g[9 + k] = g3;
      g[3 + k] = -(1 + f1) * g0 + f3 * g3;
      g[6 + k] = f1 * g0 - (1 + f3) * g3; // the four sum to zero (translation)
    }
  }
  return phi;
}
const cross = (u: number[], v: number[]): number[] => [u[1]! * v[2]! - u[2]! * v[1]!, u[2]! * v[0]! - u[0]! * v[2]!, u[0]! * v[1]! - u[1]! * v[0]!];
const dot = (u: number[], v: number[]): number => u[0]! * v[0]! + u[1]! * v[1]! + u[2]! * v[2]!;

/**
 * float64 energy of one configuration x (nm, [3N]); where `grad` is given, dE/dx (kJ/mol/nm) is
 * added into it (forces are −grad).
 */
export function mmEnergy64(p: MMParams, x: Float64Array, grad?: Float64Array): MMEnergies {
  if (x.length !== 3 * p.n) throw new Error(`mm: expected ${3 * p.n} coordinates, got ${x.length}`);
  const add = (i: number, s: number, v: ArrayLike<number>): void => {
    if (grad) for (let k = 0; k < 3; k++) grad[3 * i + k] = grad[3 * i + k]! + s * v[k]!;
  };
  const diff = (i: number, j: number): number[] => [x[3 * i]! - x[3 * j]!, x[3 * i + 1]! - x[3 * j + 1]!, x[3 * i + 2]! - x[3 * j + 2]!];
  let bonds = 0;
  for (const b of p.bonds) {
    const d = diff(b.i, b.j);
    const r = Math.hypot(d[0]!, d[1]!, d[2]!);
    bonds += 0.5 * b.k * (r - b.length) ** 2;
    const s = (b.k * (r - b.length)) / r;
    add(b.i, s, d);
    add(b.j, -s, d);
  }
  let angles = 0;
  for (const a of p.angles) {
    const [i, j, k] = a.atoms;
    const u = diff(i, j), v = diff(k, j);
    const lu = Math.hypot(u[0]!, u[1]!, u[2]!), lv = Math.hypot(v[0]!, v[1]!, v[2]!);
    const c = Math.min(1, Math.max(-1, dot(u, v) / (lu * lv)));
    const theta = Math.acos(c);
    angles += 0.5 * a.k * (theta - a.angle) ** 2;
    // dθ/du = −(v/(|u||v|) − c·u/|u|²)/sinθ, and likewise for v.
    const s = (-a.k * (theta - a.angle)) / Math.max(Math.sin(theta), 1e-12);
    const gu = u.map((_, q) => s * (v[q]! / (lu * lv) - (c * u[q]!) / (lu * lu)));
    const gv = v.map((_, q) => s * (u[q]! / (lu * lv) - (c * v[q]!) / (lv * lv)));
    add(i, 1, gu);
    add(k, 1, gv);
    add(j, -1, [gu[0]! + gv[0]!, gu[1]! + gv[1]!, gu[2]! + gv[2]!]);
  }
  let torsions = 0;
  const g = new Float64Array(12);
  for (const t of p.torsions) {
    const [a, b, c, d] = t.atoms;
    const phi = dihedral64(x, a, b, c, d, grad ? g : undefined);
    const arg = t.periodicity * phi - t.phase;
    torsions += t.k * (1 + Math.cos(arg));
    if (grad) {
      const s = -t.k * t.periodicity * Math.sin(arg);
      [a, b, c, d].forEach((atom, q) => add(atom, s, g.subarray(3 * q, 3 * q + 3)));
    }
  }
  let nonbonded = 0;
  for (const pr of p.pairs) {
    const d = diff(pr.i, pr.j);
    const r2 = dot(d, d), r = Math.sqrt(r2);
    const s2 = (pr.sigma * pr.sigma) / r2, s6 = s2 * s2 * s2, s12 = s6 * s6;
    const coul = (ONE_4PI_EPS0 * pr.qq) / r;
    nonbonded += coul + 4 * pr.epsilon * (s12 - s6);
    // (dE/dr)/r
    const s = (-coul + 4 * pr.epsilon * (-12 * s12 + 6 * s6)) / r2;
    add(pr.i, s, d);
    add(pr.j, -s, d);
  }
  return { bonds, angles, torsions, nonbonded, total: bonds + angles + torsions + nonbonded };
}

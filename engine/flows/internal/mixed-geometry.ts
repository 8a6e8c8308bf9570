import * as tf from '@tensorflow/tfjs-core';
import type { ZRow } from './zmatrix';

/**
 * Helpers of the mixed transform (`mixed-layer.ts`): the Z-matrix of the non-Cartesian atoms, the
 * batched NeRF placement onto known atoms, and the Kabsch (Horn quaternion) alignment of training data.
 */

/**
 * One row per atom NOT in `cartesian`, placed by breadth-first search from the Cartesian atoms over the
 * bond graph, so every reference is a Cartesian atom or an earlier row. Like `buildZMatrix`: bond = BFS
 * parent; angle = the parent's parent, else a placed neighbour of the parent (Cartesian atoms first,
 * then higher degree, then lower index); dihedral = a placed non-Cartesian sibling on the same bond
 * atom (relative dihedrals for a methyl's H's), else the angle atom's parent, else a placed neighbour of
 * the angle atom or of the parent. If the graph offers none, any placed atom serves (a frame needs only a
 * point off the bond–angle line; collinear references are not checked).
 */
export function mixedZRows(nAtoms: number, bonds: readonly (readonly [number, number])[], cartesian: readonly number[]): ZRow[] {
  const inS = new Set(cartesian);
  if (inS.size !== cartesian.length || inS.size < 3 || cartesian.some((a) => !(Number.isInteger(a) && a >= 0 && a < nAtoms))) {
    throw new Error('mixed: the Cartesian atoms must be ≥ 3 distinct atom indices');
  }
  const nbrs: number[][] = Array.from({ length: nAtoms }, () => []);
  for (const [i, j] of bonds) {
    if (!(i >= 0 && i < nAtoms && j >= 0 && j < nAtoms && i !== j)) throw new Error(`mixed: bad bond [${i}, ${j}]`);
    if (!nbrs[i]!.includes(j)) (nbrs[i]!.push(j), nbrs[j]!.push(i));
  }
  const deg = (a: number): number => nbrs[a]!.length;
  for (const n of nbrs) n.sort((a, b) => Number(inS.has(b)) - Number(inS.has(a)) || deg(b) - deg(a) || a - b);
  const parent = new Array<number>(nAtoms).fill(-1);
  const order = [...cartesian], known = new Set(cartesian), rows: ZRow[] = [];
  const pick = (cands: number[], excl: number[]): number | undefined => cands.find((i) => i >= 0 && known.has(i) && !excl.includes(i));
  for (let k = 0; k < order.length; k++) {
    const b = order[k]!;
    for (const a of nbrs[b]!) {
      if (known.has(a)) continue;
      parent[a] = b;
      const c = pick([parent[b]!, ...nbrs[b]!, ...order], [a, b])!;
      // A placed sibling (another non-Cartesian atom on b, e.g. the first H of a methyl) comes first:
      // the dihedral a–b–c–sibling is then a near-constant ±120° offset, and only the first sibling
      // carries the group's rotation. Referencing the heavy chain instead would make every H of a
      // rotor a multi-modal, jointly rotating dihedral, which the flow models badly.
      const sibling = nbrs[b]!.filter((s) => s !== a && s !== c && known.has(s) && !inS.has(s));
      const d = pick([...sibling, parent[c]!, ...nbrs[c]!, ...nbrs[b]!, ...order], [a, b, c])!;
      rows.push({ atom: a, bond: b, angle: c, dihedral: d });
      known.add(a);
      order.push(a);
    }
  }
  if (known.size < nAtoms) throw new Error('mixed: some atoms are not bonded (through any path) to the Cartesian atoms');
  return rows;
}

export type V3 = [tf.Tensor, tf.Tensor, tf.Tensor];
const sub = (p: V3, q: V3): V3 => [tf.sub(p[0], q[0]), tf.sub(p[1], q[1]), tf.sub(p[2], q[2])];
const dot = (p: V3, q: V3): tf.Tensor => tf.addN([tf.mul(p[0], q[0]), tf.mul(p[1], q[1]), tf.mul(p[2], q[2])]);
const cross = (p: V3, q: V3): V3 => [
  tf.sub(tf.mul(p[1], q[2]), tf.mul(p[2], q[1])),
  tf.sub(tf.mul(p[2], q[0]), tf.mul(p[0], q[2])),
  tf.sub(tf.mul(p[0], q[1]), tf.mul(p[1], q[0])),
];
const unit = (p: V3): V3 => {
  const s = tf.rsqrt(dot(p, p));
  return [tf.mul(p[0], s), tf.mul(p[1], s), tf.mul(p[2], s)];
};

/** NeRF placement (same convention as `IcPlan`): fills pos[row.atom] from columns r, θ, φ (one per row). */
export function placeRows(pos: V3[], rows: readonly ZRow[], r: tf.Tensor[], theta: tf.Tensor[], phi: tf.Tensor[]): void {
  rows.forEach((row, k) => {
    const b = pos[row.bond]!, c = pos[row.angle]!, d = pos[row.dihedral]!;
    const u = unit(sub(b, c)), n = unit(cross(sub(c, d), u)), m = cross(n, u);
    const rs = tf.mul(r[k]!, tf.sin(theta[k]!));
    const w = [tf.neg(tf.mul(r[k]!, tf.cos(theta[k]!))), tf.mul(rs, tf.cos(phi[k]!)), tf.mul(rs, tf.sin(phi[k]!))] as const;
    pos[row.atom] = [0, 1, 2].map((j) => tf.addN([b[j]!, tf.mul(w[0], u[j]!), tf.mul(w[1], m[j]!), tf.mul(w[2], n[j]!)])) as V3;
  });
}

/**
 * Kabsch alignment, float64: every configuration (row of `data`, 3N columns) is rigidly moved (all its
 * atoms) so that its `subset` atoms best fit (least squares) the same atoms of `reference`. The optimal
 * proper rotation is Horn's quaternion: the top eigenvector of a 4×4 symmetric matrix.
 * After alignment the subset's centroid equals the reference's and Σ (x_i − c) × (y_i − c) = 0 (the
 * stationarity of the fit): 6 LINEAR constraints, so aligned data lie in a (3M − 6)-dim affine subspace.
 */
export function alignToReference(data: Float64Array, subset: readonly number[], reference: ArrayLike<number>): Float64Array {
  const d = reference.length, n = data.length / d, out = new Float64Array(data.length);
  if (!Number.isInteger(n)) throw new Error('align: data length is not a multiple of the reference length');
  const centroid = (x: ArrayLike<number>, o: number): number[] =>
    [0, 1, 2].map((k) => subset.reduce((s, a) => s + x[o + 3 * a + k]!, 0) / subset.length);
  const cy = centroid(reference, 0);
  for (let s = 0; s < n; s++) {
    const o = s * d, cx = centroid(data, o);
    const S = [0, 1, 2].map((i) => [0, 1, 2].map((j) => subset.reduce((t, a) => t + (data[o + 3 * a + i]! - cx[i]!) * (reference[3 * a + j]! - cy[j]!), 0)));
    const [[xx, xy, xz], [yx, yy, yz], [zx, zy, zz]] = S as [number[], number[], number[]];
    const K = [
      [xx! + yy! + zz!, yz! - zy!, zx! - xz!, xy! - yx!],
      [yz! - zy!, xx! - yy! - zz!, xy! + yx!, zx! + xz!],
      [zx! - xz!, xy! + yx!, -xx! + yy! - zz!, yz! + zy!],
      [xy! - yx!, zx! + xz!, yz! + zy!, -xx! - yy! + zz!],
    ];
    const [q0, q1, q2, q3] = topEigenvector(K) as [number, number, number, number];
    const R = [
      [q0 * q0 + q1 * q1 - q2 * q2 - q3 * q3, 2 * (q1 * q2 - q0 * q3), 2 * (q1 * q3 + q0 * q2)],
      [2 * (q1 * q2 + q0 * q3), q0 * q0 - q1 * q1 + q2 * q2 - q3 * q3, 2 * (q2 * q3 - q0 * q1)],
      [2 * (q1 * q3 - q0 * q2), 2 * (q2 * q3 + q0 * q1), q0 * q0 - q1 * q1 - q2 * q2 + q3 * q3],
    ];
    for (let a = 0; a < d / 3; a++) {
      const v = [0, 1, 2].map((k) => data[o + 3 * a + k]! - cx[k]!);
      for (let i = 0; i < 3; i++) out[o + 3 * a + i] = cy[i]! + R[i]![0]! * v[0]! + R[i]![1]! * v[1]! + R[i]![2]! * v[2]!;
    }
  }
  return out;
}

/** Unit eigenvector of the largest eigenvalue of a small symmetric matrix (cyclic Jacobi). */
function topEigenvector(a: number[][]): number[] {
  const n = a.length, v = a.map((_, i) => a.map((__, j) => (i === j ? 1 : 0)));
  for (let sweep = 0; sweep < 50; sweep++) {
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) {
      const apq = a[p]![q]!;
      if (Math.abs(apq) < 1e-300) continue;
      const th = (a[q]![q]! - a[p]![p]!) / (2 * apq);
      const t = Math.sign(th || 1) / (Math.abs(th) + Math.sqrt(th * th + 1)), c = 1 / Math.sqrt(t * t + 1), s = t * c;
      for (const m of [a, v]) for (const row of m) [row[p], row[q]] = [c * row[p]! - s * row[q]!, s * row[p]! + c * row[q]!];
      for (let k = 0; k < n; k++) [a[p]![k], a[q]![k]] = [c * a[p]![k]! - s * a[q]![k]!, s * a[p]![k]! + c * a[q]![k]!];
    }
  }
  let best = 0;
  for (let i = 1; i < n; i++) if (a[i]![i]! > a[best]![best]!) best = i;
  return v.map((row) => row[best]!);
}

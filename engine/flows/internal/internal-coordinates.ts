import * as tf from '@tensorflow/tfjs-core';
import { constMatMul } from '../permute';
import { VIRTUAL, type ZMatrix } from './zmatrix';

/**
 * Cartesian ↔ internal coordinates for a Z-matrix, batched. Layout of q (3N columns):
 *   [root x, y, z | r (M) | θ (M) | φ (M)],  M = N − 1 rows, in row order.
 * Placement (NeRF, Parsons et al. 2005) of atom a from references b (bond), c (angle), d (dihedral):
 *   u = (b − c)/|b − c|,  n = (c − d)×u / |…|,  m = n×u,
 *   a = b + r(−cos θ·u + sin θ cos φ·m + sin θ sin φ·n),
 * so r = |a − b|, θ = ∠(a, b, c) and φ is the IUPAC torsion (d, c, b, a), in (−π, π].
 * (r, θ, φ) are spherical coordinates of a − b in the orthonormal frame (−u, m, n), which depends only
 * on earlier atoms, so the Jacobian is block-triangular: log|det ∂x/∂q| = Σ_rows log(r² |sin θ|)
 * (the root's block is the identity), and log|det ∂q/∂x| is its negative.
 */

type Vec = readonly [number, number, number];
/** A reference point: an atom's position plus a fixed lab-frame offset (non-zero only if virtual). */
export interface Ref { readonly atom: number; readonly offset: Vec }
export interface RowRefs { readonly a: Ref; readonly b: Ref; readonly c: Ref; readonly d: Ref }

const ZERO: Vec = [0, 0, 0];
const plus = (p: Vec, q: Vec): Vec => [p[0] + q[0], p[1] + q[1], p[2] + q[2]];

/** Virtual references: a missing angle atom is bond + ẑ; a missing dihedral atom is the angle point
 * + ẑ, or + x̂ when the angle point is itself virtual (row 0: θ = polar angle from +z, φ = −azimuth). */
export function rowRefs(zm: ZMatrix): RowRefs[] {
  return zm.rows.map((row) => {
    const c: Ref = row.angle === VIRTUAL ? { atom: row.bond, offset: [0, 0, 1] } : { atom: row.angle, offset: ZERO };
    const d: Ref = row.dihedral !== VIRTUAL ? { atom: row.dihedral, offset: ZERO } : { atom: c.atom, offset: plus(c.offset, row.angle === VIRTUAL ? [1, 0, 0] : [0, 0, 1]) };
    return { a: { atom: row.atom, offset: ZERO }, b: { atom: row.bond, offset: ZERO }, c, d };
  });
}

type V3 = readonly [tf.Tensor, tf.Tensor, tf.Tensor];
const sub = (p: V3, q: V3): V3 => [tf.sub(p[0], q[0]), tf.sub(p[1], q[1]), tf.sub(p[2], q[2])];
const scale = (p: V3, s: tf.Tensor): V3 => [tf.mul(p[0], s), tf.mul(p[1], s), tf.mul(p[2], s)];
const dot = (p: V3, q: V3): tf.Tensor => tf.addN([tf.mul(p[0], q[0]), tf.mul(p[1], q[1]), tf.mul(p[2], q[2])]);
const cross = (p: V3, q: V3): V3 => [
  tf.sub(tf.mul(p[1], q[2]), tf.mul(p[2], q[1])),
  tf.sub(tf.mul(p[2], q[0]), tf.mul(p[0], q[2])),
  tf.sub(tf.mul(p[0], q[1]), tf.mul(p[1], q[0])),
];
const unit = (p: V3): V3 => scale(p, tf.rsqrt(dot(p, p)));
/** The placement frame (u, m, n) of references b, c, d. */
function frame(b: V3, c: V3, d: V3): { u: V3; m: V3; n: V3 } {
  const u = unit(sub(b, c));
  const n = unit(cross(sub(c, d), u));
  return { u, m: cross(n, u), n };
}

/** Constants of one Z-matrix: a 0/1 matrix selecting the root and every row's a, b, c, d columns. */
export class IcPlan {
  readonly refs: RowRefs[];
  readonly m: number;
  private readonly select: tf.Tensor2D;
  private readonly selectT: tf.Tensor2D;
  private readonly offsets: tf.Tensor1D;

  constructor(readonly zmatrix: ZMatrix) {
    this.refs = rowRefs(zmatrix);
    const n3 = 3 * zmatrix.nAtoms, m = (this.m = this.refs.length), cols = 3 + 12 * m;
    const sel = new Float32Array(n3 * cols), off = new Float32Array(cols);
    for (let k = 0; k < 3; k++) sel[(3 * zmatrix.seed[0] + k) * cols + k] = 1;
    // Column 3 + (4·k + j)·m + row: component k of reference j (a, b, c, d) of that row.
    this.refs.forEach((rr, row) => [rr.a, rr.b, rr.c, rr.d].forEach((ref, j) => {
      for (let k = 0; k < 3; k++) {
        const col = 3 + (4 * k + j) * m + row;
        sel[(3 * ref.atom + k) * cols + col] = 1;
        off[col] = ref.offset[k]!;
      }
    }));
    this.select = tf.keep(tf.tensor2d(sel, [n3, cols]));
    this.selectT = tf.keep(tf.transpose(this.select));
    this.offsets = tf.keep(tf.tensor1d(off));
  }

  /** x [B, 3N] → q [B, 3N], all rows at once. */
  toInternal(x: tf.Tensor2D): tf.Tensor2D {
    const p = tf.add(constMatMul(x, this.select, this.selectT), this.offsets);
    const [root, ...s] = tf.split(p, [3, ...Array<number>(12).fill(this.m)], 1);
    const pt = (j: number): V3 => [s[j]!, s[4 + j]!, s[8 + j]!];
    const v = sub(pt(0), pt(1));
    const { u, m, n } = frame(pt(1), pt(2), pt(3));
    const vu = dot(v, u), vm = dot(v, m), vn = dot(v, n);
    const r = tf.sqrt(dot(v, v));
    const theta = tf.atan2(tf.sqrt(tf.add(tf.square(vm), tf.square(vn))), tf.neg(vu));
    return tf.concat([root!, r, theta, tf.atan2(vn, vm)], 1) as tf.Tensor2D;
  }

  /** q [B, 3N] → x [B, 3N], row by row (each atom needs its references), batched over samples. */
  toCartesian(q: tf.Tensor2D): tf.Tensor2D {
    const col = tf.unstack(q, 1);
    const pos: V3[] = new Array(this.zmatrix.nAtoms);
    pos[this.zmatrix.seed[0]] = [col[0]!, col[1]!, col[2]!];
    const at = (ref: Ref): V3 => pos[ref.atom]!.map((t, k) => (ref.offset[k] ? tf.add(t, ref.offset[k]) : t)) as unknown as V3;
    this.refs.forEach((rr, row) => {
      const r = col[3 + row]!, theta = col[3 + this.m + row]!, phi = col[3 + 2 * this.m + row]!;
      const b = at(rr.b);
      const { u, m, n } = frame(b, at(rr.c), at(rr.d));
      const rs = tf.mul(r, tf.sin(theta));
      const w = [tf.neg(tf.mul(r, tf.cos(theta))), tf.mul(rs, tf.cos(phi)), tf.mul(rs, tf.sin(phi))] as const;
      pos[rr.a.atom] = [0, 1, 2].map((k) => tf.addN([b[k]!, tf.mul(w[0], u[k]!), tf.mul(w[1], m[k]!), tf.mul(w[2], n[k]!)])) as unknown as V3;
    });
    return tf.stack(pos.flat(), 1) as tf.Tensor2D;
  }

  /** log|det ∂x/∂q| = Σ_rows log(r² |sin θ|), per sample. */
  logDetToCartesian(q: tf.Tensor2D): tf.Tensor1D {
    const r = tf.slice(q, [0, 3], [-1, this.m]), theta = tf.slice(q, [0, 3 + this.m], [-1, this.m]);
    return tf.sum(tf.add(tf.mul(2, tf.log(tf.abs(r))), tf.log(tf.abs(tf.sin(theta)))), 1) as tf.Tensor1D;
  }

  dispose(): void {
    tf.dispose([this.select, this.selectT, this.offsets]);
  }
}

/** The same x → q in float64 for one configuration (fitting the standardisation on data). */
export function toInternal64(refs: readonly RowRefs[], root: number, x: ArrayLike<number>): Float64Array {
  const m = refs.length, q = new Float64Array(3 + 3 * m);
  const at = (r: Ref): number[] => [0, 1, 2].map((k) => x[3 * r.atom + k]! + r.offset[k]!);
  const d3 = (p: number[], s: number[]): number[] => p.map((v, k) => v - s[k]!);
  const dt = (p: number[], s: number[]): number => p[0]! * s[0]! + p[1]! * s[1]! + p[2]! * s[2]!;
  const cr = (p: number[], s: number[]): number[] => [p[1]! * s[2]! - p[2]! * s[1]!, p[2]! * s[0]! - p[0]! * s[2]!, p[0]! * s[1]! - p[1]! * s[0]!];
  const un = (p: number[]): number[] => p.map((v) => v / Math.sqrt(dt(p, p)));
  for (let k = 0; k < 3; k++) q[k] = x[3 * root + k]!;
  refs.forEach((rr, row) => {
    const b = at(rr.b), c = at(rr.c), v = d3(at(rr.a), b);
    const u = un(d3(b, c)), n = un(cr(d3(c, at(rr.d)), u)), mm = cr(n, u);
    const vm = dt(v, mm), vn = dt(v, n);
    q[3 + row] = Math.sqrt(dt(v, v));
    q[3 + m + row] = Math.atan2(Math.hypot(vm, vn), -dt(v, u));
    q[3 + 2 * m + row] = Math.atan2(vn, vm);
  });
  return q;
}

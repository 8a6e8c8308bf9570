import * as tf from '@tensorflow/tfjs-core';
import { ONE_4PI_EPS0, type MMParams } from './system';

/** Molar gas constant in kJ/(mol·K): kT = R·T. */
export const MOLAR_GAS_CONSTANT = 0.00831446261815324;

export interface MMTfEnergy {
  readonly dim: number;
  /** Batched, differentiable: x [batch, 3N] in nm → [batch] in kJ/mol. */
  energyKJ(x: tf.Tensor2D): tf.Tensor1D;
  /** Frees the constant tensors (recreated on the next call). */
  dispose(): void;
}

/**
 * Atom selection is a constant matMul with a ±1 difference matrix [N, M] (column m = x_i − x_j),
 * not a gather: matMul has a gradient on every backend (gather has none on wasm).
 */
export function createMMTfEnergy(p: MMParams): MMTfEnergy {
  const N = p.n;
  const diffs = (list: readonly (readonly [number, number])[]): Float32Array => {
    const m = new Float32Array(N * list.length);
    list.forEach(([i, j], c) => { m[i * list.length + c]! += 1; m[j * list.length + c]! -= 1; });
    return m;
  };
  const spec = {
    bond: { cols: p.bonds.map((b) => [b.i, b.j] as const) },
    angU: { cols: p.angles.map((a) => [a.atoms[0], a.atoms[1]] as const) },
    angV: { cols: p.angles.map((a) => [a.atoms[2], a.atoms[1]] as const) },
    tor1: { cols: p.torsions.map((t) => [t.atoms[1], t.atoms[0]] as const) },
    tor2: { cols: p.torsions.map((t) => [t.atoms[2], t.atoms[1]] as const) },
    tor3: { cols: p.torsions.map((t) => [t.atoms[3], t.atoms[2]] as const) },
    pair: { cols: p.pairs.map((q) => [q.i, q.j] as const) },
  };
  const vecs = {
    bondK: p.bonds.map((b) => 0.5 * b.k), bondR0: p.bonds.map((b) => b.length),
    angK: p.angles.map((a) => 0.5 * a.k), angT0: p.angles.map((a) => a.angle),
    torK: p.torsions.map((t) => t.k), torN: p.torsions.map((t) => t.periodicity), torPhase: p.torsions.map((t) => t.phase),
    qq: p.pairs.map((q) => ONE_4PI_EPS0 * q.qq), sig2: p.pairs.map((q) => q.sigma * q.sigma), eps4: p.pairs.map((q) => 4 * q.epsilon),
  };
  type Consts = Record<keyof typeof spec, tf.Tensor2D> & Record<keyof typeof vecs, tf.Tensor1D>;
  let c: Consts | null = null;
  const consts = (): Consts => {
    // Created lazily (the backend may not be ready at construction) and kept out of any tidy.
    if (c && !c.pair.isDisposed) return c;
    const out: Partial<Record<string, tf.Tensor>> = {};
    for (const [k, s] of Object.entries(spec)) out[k] = tf.keep(tf.tensor2d(diffs(s.cols), [N, s.cols.length]));
    for (const [k, v] of Object.entries(vecs)) out[k] = tf.keep(tf.tensor1d(v));
    return (c = out as Consts);
  };
  const dot = (u: tf.Tensor[], v: tf.Tensor[]): tf.Tensor => tf.addN([tf.mul(u[0]!, v[0]!), tf.mul(u[1]!, v[1]!), tf.mul(u[2]!, v[2]!)]);
  const cross = (u: tf.Tensor[], v: tf.Tensor[]): tf.Tensor[] => [
    tf.sub(tf.mul(u[1]!, v[2]!), tf.mul(u[2]!, v[1]!)),
    tf.sub(tf.mul(u[2]!, v[0]!), tf.mul(u[0]!, v[2]!)),
    tf.sub(tf.mul(u[0]!, v[1]!), tf.mul(u[1]!, v[0]!)),
  ];
  const sum = (t: tf.Tensor, b: number): tf.Tensor1D => (t.shape[1] === 0 ? tf.zeros([b]) : tf.sum(t, 1)) as tf.Tensor1D;

  return {
    dim: 3 * N,
    energyKJ(x: tf.Tensor2D): tf.Tensor1D {
      const k = consts();
      return tf.tidy(() => {
        const B = x.shape[0];
        const xt = tf.reshape(tf.transpose(tf.reshape(x, [B, N, 3]), [0, 2, 1]), [B * 3, N]);
        /** The [B, M] x, y, z components of the selected difference vectors. */
        const sel = (d: tf.Tensor2D): tf.Tensor[] => {
          const m = d.shape[1];
          const v = tf.reshape(tf.matMul(xt, d), [B, 3, m]);
          return [0, 1, 2].map((q) => tf.reshape(tf.slice(v, [0, q, 0], [B, 1, m]), [B, m]));
        };
        const b = sel(k.bond);
        const r = tf.sqrt(dot(b, b));
        const bonds = sum(tf.mul(tf.square(tf.sub(r, k.bondR0)), k.bondK), B);
        const u = sel(k.angU), v = sel(k.angV);
        const w = cross(u, v);
        const theta = tf.atan2(tf.sqrt(dot(w, w)), dot(u, v));
        const angles = sum(tf.mul(tf.square(tf.sub(theta, k.angT0)), k.angK), B);
        const b1 = sel(k.tor1), b2 = sel(k.tor2), b3 = sel(k.tor3);
        const m = cross(b1, b2), n = cross(b2, b3);
        const phi = tf.atan2(tf.mul(tf.sqrt(dot(b2, b2)), dot(b1, n)), dot(m, n));
        const torsions = sum(tf.mul(tf.add(1, tf.cos(tf.sub(tf.mul(phi, k.torN), k.torPhase))), k.torK), B);
        const d = sel(k.pair);
        const r2 = dot(d, d);
        const s6 = tf.pow(tf.div(k.sig2, r2), 3);
        const lj = tf.mul(tf.sub(tf.square(s6), s6), k.eps4);
        const nonbonded = sum(tf.add(tf.div(k.qq, tf.sqrt(r2)), lj), B);
        return tf.addN([bonds, angles, torsions, nonbonded]) as tf.Tensor1D;
      });
    },
    dispose(): void {
      if (c) for (const t of Object.values(c)) t.dispose();
      c = null;
    },
  };
}

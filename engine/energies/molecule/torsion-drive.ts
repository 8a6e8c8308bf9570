import type { Topology } from '../mm/pdb-topology';
import { dihedral64 } from '../mm/energy64';

/**
 * Set dihedral a–b–c–d to `targetDeg` by rigidly rotating every atom on c's side of the b–c bond
 * about the b→c axis (Rodrigues). The b–c bond must not be in a ring (then both sides are linked).
 */
export function setDihedral(x: Float64Array, top: Topology, [a, b, c, d]: readonly [number, number, number, number], targetDeg: number): Float64Array {
  const nbrs: number[][] = top.atoms.map(() => []);
  for (const [i, j] of top.bonds) (nbrs[i]!.push(j), nbrs[j]!.push(i));
  const side = new Set([c]);
  const queue = [c];
  while (queue.length) for (const k of nbrs[queue.pop()!]!) if (k !== b && !side.has(k)) (side.add(k), queue.push(k));
  if (side.has(b) || side.has(a)) throw new Error('torsion drive: the rotated bond is in a ring');
  const delta = (targetDeg * Math.PI) / 180 - dihedral64(x, a, b, c, d);
  const out = Float64Array.from(x);
  const o = [x[3 * b]!, x[3 * b + 1]!, x[3 * b + 2]!];
  const ax = [0, 1, 2].map((k) => x[3 * c + k]! - o[k]!);
  const len = Math.hypot(ax[0]!, ax[1]!, ax[2]!);
  const [ux, uy, uz] = ax.map((v) => v / len) as [number, number, number];
  const cs = Math.cos(delta), sn = Math.sin(delta);
  for (const i of side) {
    const [vx, vy, vz] = [0, 1, 2].map((k) => x[3 * i + k]! - o[k]!) as [number, number, number];
    const dt = ux * vx + uy * vy + uz * vz;
    const cx = uy * vz - uz * vy, cy = uz * vx - ux * vz, cz = ux * vy - uy * vx;
    out[3 * i] = o[0]! + vx * cs + cx * sn + ux * dt * (1 - cs);
    out[3 * i + 1] = o[1]! + vy * cs + cy * sn + uy * dt * (1 - cs);
    out[3 * i + 2] = o[2]! + vz * cs + cz * sn + uz * dt * (1 - cs);
  }
  return out;
}

/**
 * Steepest descent with a backtracking step on a float64 energy: enough to relax a torsion-driven
 * structure into its local minimum (not a production minimiser). Returns the relaxed coordinates.
 */
export function relax(x0: Float64Array, energy: (x: Float64Array) => number, gradient: (x: Float64Array, g: Float64Array) => Float64Array, steps = 2000): Float64Array {
  let x = Float64Array.from(x0), e = energy(x), step = 1e-4;
  const g = new Float64Array(x.length), trial = new Float64Array(x.length);
  for (let s = 0; s < steps; s++) {
    gradient(x, g);
    const norm = Math.hypot(...g);
    if (!(norm > 1e-6)) break;
    for (;;) {
      for (let i = 0; i < x.length; i++) trial[i] = x[i]! - (step / norm) * g[i]!;
      const et = energy(trial);
      if (et < e) {
        [x, e] = [Float64Array.from(trial), et];
        step *= 1.2;
        break;
      }
      step *= 0.5;
      if (step < 1e-9) return x;
    }
  }
  return x;
}

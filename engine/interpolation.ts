import * as tf from '@tensorflow/tfjs-core';
import type { ModelSystem } from './energies/types';
import { xDimOf, type Flow } from './flows/types';
import type { LatentPath } from '../contract/run-result';

/**
 * Map xA and xB to z, interpolate linearly in z, map back. A well-trained generator gives a path
 * whose energy stays low: it has learned a low-energy transition route, not a straight line in x.
 */
export function latentPath(flow: Flow, system: ModelSystem, xA: Float64Array, xB: Float64Array, points: number): LatentPath {
  const dim = xDimOf(flow), zDim = flow.dim;
  if (xA.length !== dim || xB.length !== dim) throw new Error(`latentPath: end points need ${dim} coordinates`);
  if (!(Number.isInteger(points) && points >= 2)) throw new Error('latentPath: points must be an integer ≥ 2');
  const t = Array.from({ length: points }, (_, i) => i / (points - 1));
  const [xs, zs] = tf.tidy(() => {
    const ends = flow.inverse(tf.tensor2d([Array.from(xA), Array.from(xB)], [2, dim])).z;
    const [zA, zB] = tf.split(ends, 2, 0) as [tf.Tensor2D, tf.Tensor2D];
    const w = tf.tensor2d(t, [points, 1]);
    const z = tf.add(tf.mul(tf.sub(1, w), zA), tf.mul(w, zB)) as tf.Tensor2D;
    return [flow.forward(z).x.dataSync() as Float32Array, ends.dataSync() as Float32Array];
  });
  let d2 = 0;
  for (let j = 0; j < zDim; j++) d2 += (zs![zDim + j]! - zs![j]!) ** 2;
  const x: number[][] = [];
  const u: (number | null)[] = [];
  const rc: number[] = [];
  const row = new Float64Array(dim);
  for (let i = 0; i < points; i++) {
    for (let j = 0; j < dim; j++) row[j] = xs![i * dim + j]!;
    x.push(Array.from(row));
    const e = system.energy64(row);
    u.push(Number.isFinite(e) ? e : null);
    rc.push(system.rc64(row));
  }
  return { t, x, u, rc, latentDistance: Math.sqrt(d2) };
}

import * as tf from '@tensorflow/tfjs-core';

/**
 * Batched dihedral a–b–c–d of x [batch, 3N] in degrees, IUPAC sign (as `dihedral64`), differentiable.
 * Atoms are picked with tf.slice (its gradient is a pad, available on every backend; tf.gather's is not on wasm).
 */
export function dihedralDeg(x: tf.Tensor2D, [a, b, c, d]: readonly [number, number, number, number]): tf.Tensor1D {
  return tf.tidy(() => {
    const p = (i: number): tf.Tensor2D => tf.slice(x, [0, 3 * i], [-1, 3]);
    const [pa, pb, pc, pd] = [p(a), p(b), p(c), p(d)];
    const b1: tf.Tensor2D = tf.sub(pb, pa), b2: tf.Tensor2D = tf.sub(pc, pb), b3: tf.Tensor2D = tf.sub(pd, pc);
    const m = cross(b1, b2), n = cross(b2, b3);
    const lb2 = tf.sqrt(tf.sum(tf.square(b2), 1));
    const y = tf.mul(lb2, tf.sum(tf.mul(b1, n), 1));
    const xx = tf.sum(tf.mul(m, n), 1);
    return tf.mul(tf.atan2(y, xx), 180 / Math.PI) as tf.Tensor1D;
  });
}

function cross(u: tf.Tensor2D, v: tf.Tensor2D): tf.Tensor2D {
  const [u0, u1, u2] = tf.split(u, 3, 1) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
  const [v0, v1, v2] = tf.split(v, 3, 1) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
  return tf.concat([tf.sub(tf.mul(u1, v2), tf.mul(u2, v1)), tf.sub(tf.mul(u2, v0), tf.mul(u0, v2)), tf.sub(tf.mul(u0, v1), tf.mul(u1, v0))], 1) as tf.Tensor2D;
}

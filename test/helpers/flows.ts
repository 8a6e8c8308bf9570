import * as tf from '@tensorflow/tfjs-core';
import type { Flow } from '../../engine/flows/types';
import type { Rng } from '../../engine/rng';

/** Replace every trainable variable by uniform values in ±scale (a flow starts as the identity otherwise). */
export function randomize(flow: Flow, rng: Rng, scale = 0.5): void {
  for (const v of flow.variables()) {
    if (!v.trainable) continue;
    const a = new Float32Array(v.size);
    for (let i = 0; i < a.length; i++) a[i] = scale * (2 * rng.uniform() - 1);
    tf.tidy(() => v.assign(tf.tensor(a, v.shape)));
  }
}

/** The identity flow on `dim` coordinates: q is the standard normal in x itself (latent moves are plain moves in x). */
export function identityFlow(dim: number): Flow {
  return {
    dim,
    forward: (z) => ({ x: tf.clone(z), logDet: tf.zeros([z.shape[0]]) as tf.Tensor1D }),
    inverse: (x) => ({ z: tf.clone(x), logDet: tf.zeros([x.shape[0]]) as tf.Tensor1D }),
    variables: () => [],
    dispose: () => {},
  };
}

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

import * as tf from '@tensorflow/tfjs-core';

/** A forward pass that saves what its hand-written gradient needs. */
export type CustomForward<A extends tf.Tensor[], T extends tf.Tensor> = (
  save: (tensors: tf.Tensor[]) => void,
  ...inputs: A
) => { value: T; gradFunc: (dy: T, saved: tf.Tensor[]) => tf.Tensor[] };

/**
 * Typed wrapper over `tf.customGrad`: one tape node whose gradient (one tensor per input) is
 * written by hand. Used where tfjs's built-in gradients are slow on wasm (transposed matMuls).
 */
export function customOp<A extends tf.Tensor[], T extends tf.Tensor = tf.Tensor2D>(
  forward: CustomForward<A, T>,
): (...inputs: A) => T {
  const op = tf.customGrad(((...args: unknown[]) => {
    const save = args.pop() as (tensors: tf.Tensor[]) => void;
    return forward(save, ...(args as A));
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return (...inputs: A) => op(...inputs) as T;
}

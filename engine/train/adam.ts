import * as tf from '@tensorflow/tfjs-core';

/** Optimiser state for checkpoints: step count and both moments, per variable. */
export interface AdamState {
  step: number;
  m: Float32Array[];
  v: Float32Array[];
}

/**
 * Adam with the bias corrections folded into one scalar step size, so an update is 11 ops per
 * variable. The flows keep one variable per coupling network (not two per layer), which keeps
 * the optimizer's op count small: tfjs's stock Adam on per-layer variables dominated small-model
 * steps on wasm. (A single flat vector was tried: splitting it back costs more than it saves on
 * the 76-D model, because wasm's SplitV on ~10⁶ floats is slow.)
 */
export class Adam {
  private m: tf.Tensor[];
  private v: tf.Tensor[];
  private step = 0;

  constructor(
    private readonly vars: readonly tf.Variable[],
    public lr: number,
    private readonly beta1 = 0.9,
    private readonly beta2 = 0.999,
    private readonly eps = 1e-7,
  ) {
    this.m = vars.map((v) => tf.keep(tf.zerosLike(v)));
    this.v = vars.map((v) => tf.keep(tf.zerosLike(v)));
  }

  /** One update; `scale` multiplies the gradients (gradient-norm clipping). */
  apply(grads: readonly tf.Tensor[], scale = 1): void {
    this.step += 1;
    const t = this.step;
    const lrT = (this.lr * Math.sqrt(1 - this.beta2 ** t)) / (1 - this.beta1 ** t);
    const c1 = (1 - this.beta1) * scale;
    const c2 = (1 - this.beta2) * scale * scale;
    this.vars.forEach((variable, i) => {
      const [m, v] = tf.tidy(() => {
        const g = grads[i]!;
        const m = tf.add(tf.mul(this.m[i]!, this.beta1), tf.mul(g, c1));
        const v = tf.add(tf.mul(this.v[i]!, this.beta2), tf.mul(tf.square(g), c2));
        variable.assign(tf.sub(variable, tf.mul(tf.div(m, tf.add(tf.sqrt(v), this.eps)), lrT)));
        return [tf.keep(m), tf.keep(v)];
      });
      this.m[i]!.dispose();
      this.v[i]!.dispose();
      this.m[i] = m!;
      this.v[i] = v!;
    });
  }

  state(): AdamState {
    return {
      step: this.step,
      m: this.m.map((t) => t.dataSync() as Float32Array),
      v: this.v.map((t) => t.dataSync() as Float32Array),
    };
  }

  restore(s: AdamState): void {
    if (s.m.length !== this.vars.length || s.m.some((a, i) => a.length !== this.vars[i]!.size)) {
      throw new Error('optimizer state does not match the flow');
    }
    this.dispose();
    this.m = s.m.map((a, i) => tf.keep(tf.tensor(a, this.vars[i]!.shape)));
    this.v = s.v.map((a, i) => tf.keep(tf.tensor(a, this.vars[i]!.shape)));
    this.step = s.step;
  }

  dispose(): void {
    [...this.m, ...this.v].forEach((t) => t.dispose());
  }
}

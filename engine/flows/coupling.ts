import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../rng';
import { Mlp } from './mlp';
import { HalvesFlow } from './halves';

/** `affine` is RealNVP (x_b' = x_b·exp(s) + t); `additive` is NICE (x_b' = x_b + t). */
export type CouplingKind = 'affine' | 'additive';

export interface CouplingStackOptions {
  readonly dim: number;
  /** One entry per coupling; coupling i updates the second half if i is even, else the first. */
  readonly kinds: readonly CouplingKind[];
  readonly hidden: readonly number[];
  /** s = sScale·tanh(raw): bounded log-scales keep exp(s) finite early in KL training. */
  readonly sScale: number;
  readonly rng: Rng;
}

/**
 * A run of coupling layers over alternating halves (even/odd coordinates). The halves are split
 * once on entry and merged once on exit, not per coupling, so a step runs as few ops as possible.
 * Each coupling's conditioner is one MLP that emits [s, t] together. The last layer of every MLP
 * starts at zero, so the stack starts as the identity.
 */
export class CouplingStack extends HalvesFlow {
  private readonly couplings: { kind: CouplingKind; net: Mlp; updatesSecond: boolean }[];
  private readonly sScale: number;

  constructor(o: CouplingStackOptions) {
    super(o.dim);
    this.sScale = o.sScale;
    const nSecond = o.dim - this.nFirst;
    this.couplings = o.kinds.map((kind, i) => {
      const updatesSecond = i % 2 === 0;
      const nIn = updatesSecond ? this.nFirst : nSecond;
      const nOut = (updatesSecond ? nSecond : this.nFirst) * (kind === 'affine' ? 2 : 1);
      return { kind, updatesSecond, net: new Mlp([nIn, ...o.hidden, nOut], o.rng) };
    });
  }

  variables(): tf.Variable[] {
    return this.couplings.map((c) => c.net.theta);
  }

  override dispose(): void {
    this.couplings.forEach((c) => c.net.dispose());
    super.dispose();
  }

  protected run(input: tf.Tensor2D, inverse: boolean): { y: tf.Tensor2D; logDet: tf.Tensor1D } {
    const n = input.shape[0];
    let [first, second] = this.halves(input);
    const order = inverse ? [...this.couplings].reverse() : this.couplings;
    const sTerms: tf.Tensor1D[] = [];
    for (const c of order) {
      const cond = c.updatesSecond ? first : second;
      const target = c.updatesSecond ? second : first;
      const width = target.shape[1];
      const out = c.net.apply(cond);
      let updated: tf.Tensor2D;
      if (c.kind === 'additive') {
        updated = inverse ? tf.sub(target, out) : tf.add(target, out);
      } else {
        const raw = tf.tanh(tf.slice(out, [0, 0], [n, width])) as tf.Tensor2D;
        const s = this.sScale === 1 ? raw : (tf.mul(raw, this.sScale) as tf.Tensor2D);
        const t = tf.slice(out, [0, width], [n, width]) as tf.Tensor2D;
        updated = inverse ? tf.mul(tf.sub(target, t), tf.exp(tf.neg(s))) : tf.add(tf.mul(target, tf.exp(s)), t);
        sTerms.push(tf.sum(s, 1));
      }
      if (c.updatesSecond) second = updated;
      else first = updated;
    }
    const y = this.merge(first, second);
    let logDet: tf.Tensor1D = sTerms.length ? (tf.addN(sTerms) as tf.Tensor1D) : tf.zeros([n]);
    if (inverse) logDet = tf.neg(logDet);
    return { y, logDet };
  }
}

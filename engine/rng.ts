import { xoroshiro128plusFromState } from 'pure-rand/generator/xoroshiro128plus';
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';

type Generator = ReturnType<typeof xoroshiro128plusFromState>;

/**
 * Seedable random stream used for every random number the engine draws (weights, batches, noise),
 * so one seed on one backend reproduces a run. tfjs's own random ops are not used: their seeding
 * differs between backends.
 */
export class Rng {
  private gen: Generator;
  private spare: number | null = null;

  constructor(seed: number | readonly number[]) {
    this.gen = xoroshiro128plusFromState(typeof seed === 'number' ? mixSeed(seed) : seed);
  }

  /** Uniform in [0, 1). */
  uniform(): number {
    return uniformFloat64(this.gen);
  }

  /** Integer uniform in [0, n). */
  int(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  /** Standard normal (Marsaglia polar method; the second variate is kept for the next call). */
  normal(): number {
    if (this.spare !== null) {
      const s = this.spare;
      this.spare = null;
      return s;
    }
    let u = 0;
    let v = 0;
    let s = 0;
    do {
      u = 2 * this.uniform() - 1;
      v = 2 * this.uniform() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const m = Math.sqrt((-2 * Math.log(s)) / s);
    this.spare = v * m;
    return u * m;
  }

  /** Fill (or allocate) an array with standard normals scaled by `std`. */
  normals<T extends Float32Array | Float64Array>(out: T, std = 1): T {
    for (let i = 0; i < out.length; i++) out[i] = std * this.normal();
    return out;
  }

  /** An independent stream (2^64 steps ahead), for sub-tasks that must not perturb this one. */
  split(): Rng {
    const child = new Rng(this.gen.getState());
    this.gen.jump();
    return child;
  }

  /** Generator state, for checkpoints. */
  state(): number[] {
    return [...this.gen.getState()];
  }
}

/**
 * Expand a seed into a well-mixed 128-bit state with splitmix32: pure-rand's own seeding leaves the
 * state nearly unmixed, so the first draws of neighbouring seeds were almost equal (first uniform ≈ 1).
 */
function mixSeed(seed: number): number[] {
  let s = (Math.floor(seed) ^ 0x9e3779b9) >>> 0;
  const next = (): number => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) | 0;
  };
  return [next(), next(), next(), next()];
}

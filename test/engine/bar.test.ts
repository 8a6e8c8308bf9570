import { describe, expect, it } from 'vitest';
import { bar } from '../../engine/bar';
import { logSumExp } from '../../engine/reweighting';
import { Rng } from '../../engine/rng';

// p̃0 = exp(−x²/2) (Z0 = √2π), p̃1 = exp(−(x − μ)²/2s²) (Z1 = s√2π): log(Z1/Z0) = log s exactly.
const logP0 = (x: number): number => -0.5 * x * x;
const logP1 = (mu: number, s: number) => (x: number): number => -0.5 * ((x - mu) / s) ** 2;

function draws(rng: Rng, n: number, mu: number, s: number): { fwd: Float64Array; rev: Float64Array } {
  const l1 = logP1(mu, s);
  const x0 = rng.normals(new Float64Array(n));
  const x1 = rng.normals(new Float64Array(n)).map((z) => mu + s * z);
  return { fwd: x0.map((x) => l1(x) - logP0(x)), rev: x1.map((x) => l1(x) - logP0(x)) };
}

describe('bar', () => {
  it('recovers log(Z1/Z0) of two Gaussians within 3 standard errors, and its error bar matches the spread of repeats', () => {
    const rng = new Rng(11);
    const values: number[] = [];
    const ses: number[] = [];
    for (let r = 0; r < 40; r++) {
      const { fwd, rev } = draws(rng, 2000, 1.5, 1.5);
      const b = bar(fwd, rev);
      expect(Math.abs(b.value - Math.log(1.5))).toBeLessThan(3 * b.se);
      values.push(b.value);
      ses.push(b.se);
    }
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    const sd = Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (values.length - 1));
    const meanSe = ses.reduce((a, b) => a + b, 0) / ses.length;
    expect(meanSe / sd).toBeGreaterThan(0.7);
    expect(meanSe / sd).toBeLessThan(1.4);
  });

  it('stays unbiased with little overlap, where the one-sided estimate from p0 falls short', () => {
    const rng = new Rng(12);
    const { fwd, rev } = draws(rng, 5000, 4, 1.5);
    const b = bar(fwd, rev);
    const oneSided = logSumExp(fwd) - Math.log(fwd.length);
    expect(Math.abs(b.value - Math.log(1.5))).toBeLessThan(Math.max(3 * b.se, 0.1));
    expect(Math.log(1.5) - oneSided).toBeGreaterThan(0.5);
  });

  it('takes samples that p1 gives no weight (Δ = −∞), and has no estimate without both sets', () => {
    const rng = new Rng(13);
    const { fwd, rev } = draws(rng, 4000, 0.5, 1);
    // 4000 more p0 samples where p̃1 = 0: p0 with a second region of its own mass, so Z0 doubles
    // and log(Z1/Z0) = log(1/2) (s = 1).
    const widened = Float64Array.from([...fwd, ...new Array<number>(4000).fill(-Infinity)]);
    const b = bar(widened, rev);
    expect(Math.abs(b.value - Math.log(0.5))).toBeLessThan(3 * b.se);
    expect(bar([], rev).value).toBeNaN();
    expect(bar([-Infinity], [-Infinity]).value).toBeNaN();
  });
});

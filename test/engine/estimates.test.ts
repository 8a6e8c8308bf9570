import { describe, expect, it } from 'vitest';
import { createSystem } from '../../engine/energies';
import { estimate } from '../../engine/estimates';
import { Rng } from '../../engine/rng';
import type { GeneratedSamples } from '../../engine/sampling';

const dw = createSystem('double-well', {});
const bins = { min: -2.5, max: 2.5, n: 20 };

/** Samples with the given RC values and log-weights (coordinates are not read by `estimate`). */
function samples(rc: number[], logw: number[]): GeneratedSamples {
  return {
    tau: 1,
    dim: 2,
    x: new Float32Array(2 * rc.length),
    u: new Float64Array(rc.length),
    logw: Float64Array.from(logw),
    rc: Float64Array.from(rc),
    state: Int8Array.from(rc.map((r) => (r < 0 ? 0 : 1))),
  };
}

describe('estimate warnings', () => {
  const n = 2000;
  const rc = Array.from({ length: n }, (_, i) => (i % 2 === 0 ? -1.5 : 1.5) + 0.001 * i / n);

  it('none for equal weights over both states; ΔF is exact for the 50/50 split', () => {
    const e = estimate(dw, samples(rc, rc.map(() => 0)), { bins, bootstrap: 20, rng: new Rng(1) });
    expect(e.warnings).toEqual([]);
    expect(e.deltaF.value).toBeCloseTo(0, 12);
    expect(e.ess).toBeCloseTo(n, 6);
  });

  it('warns when the weights collapse onto a few samples', () => {
    const logw = rc.map((_, i) => (i < 10 ? 0 : -50));
    const e = estimate(dw, samples(rc, logw), { bins, bootstrap: 20, rng: new Rng(1) });
    expect(e.ess).toBeLessThan(11);
    expect(e.warnings.join(' ')).toMatch(/ESS is .* collapsed/);
  });

  it('warns about a state the generator (almost) never produces, and reports ΔF as null', () => {
    const left = rc.map(() => -1.5);
    const e = estimate(dw, samples(left, left.map(() => 0)), { bins, bootstrap: 20, rng: new Rng(1) });
    expect(e.warnings.join(' ')).toMatch(/state 'right' holds 0 of 2000 .*mode dropping/);
    expect(e.deltaF.value).toBeNull();
    expect(JSON.parse(JSON.stringify(e)).deltaF.value).toBeNull();
  });
});

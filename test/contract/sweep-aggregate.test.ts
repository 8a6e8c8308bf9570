import { describe, expect, it } from 'vitest';
import type { RunStatus } from '../../contract/api';
import { aggregateSweep, outcomeOf, sampleStats, type SweepRunOutcome } from '../../contract/sweep-aggregate';

const AXES = ['seed', 'flow.hidden'];

/** A run of the seeds × flow.hidden grid: seed s, hidden h, ΔF ± err, ESS. */
function run(index: number, seed: number, hidden: number[], dF: number | null, err: number | null, ess: number | null, status: RunStatus = 'completed'): SweepRunOutcome {
  return { index, combination: { seed, 'flow.hidden': hidden }, status, seed, deltaF: dF === null && err === null ? null : { value: dF, stderr: err }, essFraction: ess };
}

describe('sampleStats', () => {
  it('mean, sample std (n − 1) and standard error', () => {
    // [1, 2, 3, 4]: mean 2.5, squared deviations 2.25 + 0.25 + 0.25 + 2.25 = 5, var 5/3.
    const s = sampleStats([1, 2, 3, 4]);
    expect(s.n).toBe(4);
    expect(s.mean).toBe(2.5);
    expect(s.sd).toBeCloseTo(Math.sqrt(5 / 3), 12);
    expect(s.se).toBeCloseTo(Math.sqrt(5 / 3) / 2, 12);
    expect(sampleStats([7])).toEqual({ n: 1, mean: 7, sd: null, se: null });
    expect(sampleStats([])).toEqual({ n: 0, mean: null, sd: null, se: null });
  });
});

describe('aggregateSweep', () => {
  // Group [64,64]: ΔF 1.0, 1.2, 1.4, 1.6 with error bars 0.05 → spread 0.2582 > 2 × 0.05: flagged.
  // Group [128,128]: ΔF 2.0, 2.1 (a third run failed, a fourth has no ΔF) with error bars 0.1, 0.2 → spread 0.0707 < 2 × 0.15.
  const runs: SweepRunOutcome[] = [
    run(0, 1, [64, 64], 1.0, 0.05, 0.2),
    run(1, 1, [128, 128], 2.0, 0.1, 0.5),
    run(2, 2, [64, 64], 1.2, 0.05, 0.3),
    run(3, 2, [128, 128], 2.1, 0.2, 0.7),
    run(4, 3, [64, 64], 1.4, 0.05, 0.4),
    run(5, 3, [128, 128], 99, 0.1, 0.9, 'failed'),
    run(6, 4, [64, 64], 1.6, 0.05, 0.1),
    run(7, 4, [128, 128], null, null, 0.6),
  ];

  it('groups by the non-seed axes, in order of their first run', () => {
    const g = aggregateSweep(runs, AXES);
    expect(g.map((x) => x.combination)).toEqual([{ 'flow.hidden': [64, 64] }, { 'flow.hidden': [128, 128] }]);
    expect(g.map((x) => x.runs)).toEqual([
      [0, 2, 4, 6],
      [1, 3, 5, 7],
    ]);
  });

  it('ΔF mean, seed spread, standard error and mean error bar against hand-computed values', () => {
    const [a, b] = aggregateSweep(runs, AXES);
    // a: mean 1.3; deviations ±0.3, ±0.1 → Σ² = 0.2, var 0.2/3, sd 0.258199, se 0.129099.
    expect(a!.n).toBe(4);
    expect(a!.seeds).toEqual([1, 2, 3, 4]);
    expect(a!.deltaF.mean).toBeCloseTo(1.3, 12);
    expect(a!.deltaF.spread).toBeCloseTo(0.2581988897, 9);
    expect(a!.deltaF.se).toBeCloseTo(0.1290994449, 9);
    expect(a!.deltaF.meanError).toBeCloseTo(0.05, 12);
    expect(a!.deltaF.errorBarsTooSmall).toBe(true);
    // b: the failed run (ΔF 99) and the run without ΔF are left out: 2.0, 2.1 → mean 2.05, sd 0.0707107, se 0.05.
    expect(b!.n).toBe(2);
    expect(b!.seeds).toEqual([1, 2]);
    expect(b!.deltaF.mean).toBeCloseTo(2.05, 12);
    expect(b!.deltaF.spread).toBeCloseTo(Math.SQRT1_2 / 10, 12);
    expect(b!.deltaF.se).toBeCloseTo(0.05, 12);
    expect(b!.deltaF.meanError).toBeCloseTo(0.15, 12);
    expect(b!.deltaF.errorBarsTooSmall).toBe(false);
  });

  it('ESS mean ± SE over finished runs (a finished run without ΔF still has an ESS)', () => {
    const [a, b] = aggregateSweep(runs, AXES);
    // a: 0.2, 0.3, 0.4, 0.1 → mean 0.25, Σ² = 0.05, sd √(0.05/3) = 0.1290994, se 0.0645497.
    expect(a!.ess.n).toBe(4);
    expect(a!.ess.mean).toBeCloseTo(0.25, 12);
    expect(a!.ess.sd).toBeCloseTo(0.1290994449, 9);
    expect(a!.ess.se).toBeCloseTo(0.0645497224, 9);
    // b: 0.5, 0.7, 0.6 (the failed run's 0.9 left out) → mean 0.6, sd 0.1, se 0.1/√3.
    expect(b!.ess.n).toBe(3);
    expect(b!.ess.mean).toBeCloseTo(0.6, 12);
    expect(b!.ess.sd).toBeCloseTo(0.1, 12);
    expect(b!.ess.se).toBeCloseTo(0.1 / Math.sqrt(3), 12);
  });

  it('one finished run: a mean but no spread, no SE and no flag', () => {
    const g = aggregateSweep([run(0, 1, [8], 1, 0.001, 0.5), run(1, 2, [8], 5, 0.001, 0.5, 'running'), run(2, 3, [8], 9, 0.001, 0.5, 'cancelled')], AXES);
    expect(g).toHaveLength(1);
    expect(g[0]!.n).toBe(1);
    expect(g[0]!.deltaF).toEqual({ mean: 1, se: null, spread: null, meanError: 0.001, errorBarsTooSmall: false });
    expect(g[0]!.ess).toEqual({ n: 1, mean: 0.5, sd: null, se: null });
  });

  it('the flag sits at 2× the mean error bar', () => {
    // ΔF 0 and 1: sd = 1/√2 = 0.7071. Error bars 0.36 → 2 × 0.36 = 0.72 > sd: not flagged; 0.35 → 0.70 < sd: flagged.
    const pair = (err: number) => aggregateSweep([run(0, 1, [8], 0, err, null), run(1, 2, [8], 1, err, null)], AXES)[0]!.deltaF.errorBarsTooSmall;
    expect(pair(0.36)).toBe(false);
    expect(pair(0.35)).toBe(true);
    // Runs without error bars: nothing to compare, no flag.
    expect(aggregateSweep([run(0, 1, [8], 0, null, null), run(1, 2, [8], 1, null, null)], AXES)[0]!.deltaF).toMatchObject({ meanError: null, errorBarsTooSmall: false });
  });

  it('without a seed axis every run is its own group', () => {
    const noSeed = [0, 1, 2].map((k): SweepRunOutcome => ({ index: k, combination: { 'flow.hidden': [8] }, status: 'completed', seed: 7, deltaF: { value: k, stderr: 0.1 }, essFraction: 0.5 }));
    const g = aggregateSweep(noSeed, ['flow.hidden']);
    expect(g.map((x) => x.runs)).toEqual([[0], [1], [2]]);
    expect(g.map((x) => x.deltaF.mean)).toEqual([0, 1, 2]);
    expect(g.every((x) => x.n === 1 && x.deltaF.se === null)).toBe(true);
  });

  it('a seed-only sweep is one group', () => {
    const g = aggregateSweep([run(0, 1, [8], 1, 0.1, 0.5), run(1, 2, [8], 3, 0.1, 0.5)], ['seed']);
    expect(g).toHaveLength(1);
    expect(g[0]!.combination).toEqual({});
    expect(g[0]!.deltaF.mean).toBe(2);
  });

  it('an outcome from a run result', () => {
    const o = outcomeOf({ index: 3, combination: { seed: 2 } }, 'completed', { seed: 2, deltaF: { A: 'A', B: 'B', value: 1.5, stderr: 0.1 }, essFraction: 0.4 });
    expect(o).toEqual({ index: 3, combination: { seed: 2 }, status: 'completed', seed: 2, deltaF: { value: 1.5, stderr: 0.1 }, essFraction: 0.4 });
    expect(outcomeOf({ index: 0, combination: {} }, 'queued', null)).toEqual({ index: 0, combination: {}, status: 'queued', seed: null, deltaF: null, essFraction: null });
  });
});

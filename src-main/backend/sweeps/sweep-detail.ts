import type { RunDto, SweepDetailDto, SweepDto } from '../../../contract/api';
import { aggregateSweep, SEED_AXIS } from '../../../contract/sweep-aggregate';

/** A sweep with its runs and the aggregates over seeds (the run's own seed stands for the seed axis). */
export function sweepDetailFrom(s: SweepDto, runs: RunDto[]): SweepDetailDto {
  const seedAxis = s.axes.some((a) => a.path === SEED_AXIS);
  const outcomes = runs.map((r, i) => ({
    index: i,
    combination: { ...(r.combination ?? {}), ...(seedAxis ? { [SEED_AXIS]: r.seed } : {}) },
    status: r.status,
    seed: r.seed,
    deltaF: r.deltaF,
    essFraction: r.essFraction,
  }));
  return { ...s, runs, groups: aggregateSweep(outcomes, s.axes.map((a) => a.path)) };
}

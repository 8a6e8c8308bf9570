import type { BufferStats } from '../../contract/progress';
import type { ExploreSummary, RunResult } from '../../contract/run-result';
import type { GeneratorSpec } from '../../contract/run-spec';

import type { ModelSystem } from '../../engine/energies/types';

import type { BuiltFlow } from '../../engine/flows/build';
import type { TrainSummary } from '../../engine/train/trainer';
import type { TemperatureEstimate } from '../../contract/run-result';
import type { ComputeReport } from '../../contract/compute';

export interface TrainingData {
  readonly x: Float64Array;
  readonly acceptance: number;
  readonly seconds: number;
  /** Contiguous blocks of `x` for block-average error bars (MD: chains × 5); absent for independent samples. */
  readonly blocks?: number;
}

/** How exploration went, whether it ran in this process or before a resume. */
export interface ExploreOutcome {
  readonly acceptance: number;
  readonly finalStep: number;
  readonly skippedSteps: number;
  readonly stats: BufferStats;
  readonly seconds: number;
}

/** The result document of a generator run. */
export function assembleResult(
  spec: GeneratorSpec,
  seed: number,
  system: ModelSystem,
  backend: ComputeReport,
  built: BuiltFlow,
  data: TrainingData | null,
  summary: TrainSummary,
  estimates: TemperatureEstimate[],
  t: {
    sampleSeconds: number;
    totalSeconds: number;
    explored: ExploreOutcome | null;
    path: RunResult['path'];
    surface: RunResult['surface'];
    exploreBasins: ExploreSummary['basins'];
  },
): RunResult {
  const ex = t.explored;
  const explore: ExploreSummary | null =
    ex && spec.explore && spec.data?.source === 'configuration'
      ? {
          iterations: spec.explore.iterations,
          bufferSize: spec.data.bufferSize,
          acceptance: ex.acceptance,
          finalStep: ex.finalStep,
          skippedSteps: ex.skippedSteps,
          buffer: ex.stats,
          basins: t.exploreBasins,
          seconds: ex.seconds,
        }
      : null;
  const primary = estimates.find((e) => e.tau === 1) ?? estimates[0]!;
  const nTotal = estimates.reduce((a, e) => a + e.nSamples, 0);
  return {
    format: 'bgw-result/1',
    method: 'generator',
    name: spec.name ?? null,
    system: system.name,
    dim: built.flow.dim,
    backend: {
      name: backend.name,
      detail: backend.detail,
      ...(backend.device ? { device: backend.device } : {}),
      passedOver: backend.passedOver,
    },
    seed,
    tau: primary.tau,
    nSamples: primary.nSamples,
    essFraction: primary.essFraction,
    deltaF: primary.deltaF,
    exact: primary.exact ? { deltaF: primary.exact.deltaF } : null,
    profile: { ...primary.profile, exact: primary.exact?.profile.F ?? null },
    temperatures: estimates,
    warnings: estimates.flatMap((e) => e.warnings),
    data: data ? { n: data.x.length / system.dim, acceptance: data.acceptance, seconds: data.seconds } : null,
    explore,
    training: { steps: summary.steps, skippedSteps: summary.skippedSteps, finalLoss: summary.finalLoss, ...(summary.heldOut ? { heldOut: summary.heldOut } : {}), ...(summary.sampler ? { sampler: summary.sampler } : {}) },
    umbrella: null,
    path: t.path,
    surface: t.surface,
    timing: {
      exploreSeconds: ex?.seconds ?? 0,
      trainSeconds: summary.seconds,
      msPerStep: summary.msPerStep,
      ...(summary.cores ? { cores: summary.cores } : {}),
      // The sampling time covers every draw, not only the stored one.
      samplesPerSecond: t.sampleSeconds > 0 ? (nTotal * spec.sampling.draws) / t.sampleSeconds : 0,
      totalSeconds: t.totalSeconds,
    },
    spec,
    finishedAt: new Date().toISOString(),
  };
}

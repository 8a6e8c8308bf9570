import type { ComputeReport } from './compute';
import type { BufferStats, SamplerProgress, TrainProgress } from './progress';
import type { RunSpec } from './run-spec';
import type { SurfaceResult } from './surface';

/**
 * What a finished run reports (`result.json`), for both methods: a generator run and an
 * umbrella-sampling reference share `deltaF`, `profile` and `temperatures`, so they compare side
 * by side. The top-level ΔF, profile and ESS are those at the primary temperature (τ = 1 when
 * sampled, else the first); `temperatures` holds every τ. Sections a method does not have are null.
 */
export interface RunResult {
  readonly format: 'bgw-result/1';
  readonly method: 'generator' | 'umbrella';
  readonly name: string | null;
  readonly system: string;
  readonly dim: number;
  readonly backend: {
    readonly name: string;
    readonly detail: string;
    readonly device?: string;
    /** The backends tried before the chosen one, each with why it was passed over. */
    readonly passedOver: readonly { readonly name: string; readonly reason: string }[];
  };
  readonly seed: number;
  readonly tau: number;
  readonly nSamples: number;
  /** Kish ESS / N of the importance weights (null for umbrella sampling: no weights). */
  readonly essFraction: number | null;
  readonly deltaF: TemperatureEstimate['deltaF'];
  readonly exact: { readonly deltaF: number } | null;
  readonly profile: TemperatureEstimate['profile'] & { readonly exact: (number | null)[] | null };
  readonly temperatures: readonly TemperatureEstimate[];
  /** Warnings from every temperature (collapsed weights, possible mode dropping, WHAM not converged). */
  readonly warnings: readonly string[];
  readonly data: { readonly n: number; readonly acceptance: number; readonly seconds: number } | null;
  readonly explore: ExploreSummary | null;
  readonly training: {
    readonly steps: number;
    readonly skippedSteps: number;
    readonly finalLoss: TrainProgress['loss'] | null;
    /** Early stopping: the best held-out NLL, its step, and whether its weights were put back. */
    readonly heldOut?: { readonly bestStep: number; readonly bestNll: number; readonly restored: boolean };
    /** FAB or temperature annealing: the last AIS round's (or rung's) report. */
    readonly sampler?: SamplerProgress;
  } | null;
  readonly umbrella: UmbrellaSummary | null;
  /** Latent interpolation between the two states' start configurations (generator runs). */
  readonly path: LatentPath | null;
  /** Systems with a 2-D surface (molecules: the Ramachandran plot), at the primary temperature. */
  readonly surface: SurfaceResult | null;
  readonly timing: {
    readonly exploreSeconds: number;
    readonly trainSeconds: number;
    readonly msPerStep: number;
    /** Threads the training ran on (data-parallel when > 1); absent in results stored before. */
    readonly cores?: number;
    readonly samplesPerSecond: number;
    readonly totalSeconds: number;
  };
  readonly spec: RunSpec;
  readonly finishedAt: string;
}

/** How the exploration from one configuration went. */
export interface ExploreSummary {
  readonly iterations: number;
  readonly bufferSize: number;
  readonly acceptance: number;
  readonly finalStep: number;
  readonly skippedSteps: number;
  /** The final buffer: fraction in each state, RC histogram, lowest and highest RC reached. */
  readonly buffer: BufferStats;
  /** Molecules: fraction of the final buffer in each named basin (e.g. C7eq, αR, C7ax). */
  readonly basins: readonly { readonly name: string; readonly fraction: number }[] | null;
  readonly seconds: number;
}

/** Per-window diagnostics of an umbrella-sampling run. */
export interface UmbrellaSummary {
  readonly k: number;
  readonly windows: readonly { readonly center: number; readonly acceptance: number; readonly meanRc: number; readonly n: number }[];
  readonly whamIterations: number;
  readonly converged: boolean;
  readonly seconds: number;
}

export type { ComputeReport, SurfaceResult };
export type { RunEvent } from './progress';

/** Everything a run reports at one temperature. */
export interface TemperatureEstimate {
  readonly tau: number;
  readonly nSamples: number;
  /** Kish ESS of the importance weights; null for methods without weights (umbrella sampling). */
  readonly ess: number | null;
  /** ESS / N. ESS alone hides mode dropping: always read it next to ΔF. */
  readonly essFraction: number | null;
  /** With `sampling.draws` > 1: ESS / N of every fresh draw of n samples (the first is `essFraction`'s). */
  readonly essDraws?: readonly number[];
  /** Fraction of (unweighted) generated samples in each state: a mode-dropping check (null: no generator). */
  readonly stateFractions: { readonly A: number; readonly B: number } | null;
  /** null where not finite (a state without weight, fewer than two finite bootstrap values). */
  readonly deltaF: { readonly A: string; readonly B: string; readonly value: number | null; readonly stderr: number | null };
  readonly profile: { readonly centers: number[]; readonly F: (number | null)[]; readonly stderr: (number | null)[] };
  /**
   * The independence sampler run over the same proposals (an exact MCMC chain): its acceptance and
   * unweighted ΔF with a batch-means error, a cross-check on the reweighted ΔF. Absent for umbrella runs.
   */
  readonly mcmc?: { readonly acceptance: number; readonly deltaF: { readonly value: number; readonly stderr: number } | null };
  /**
   * With held-out equilibrium data (`training.heldOut`) at this temperature and plain flow samples:
   * ΔF by BAR between the flow's samples and those data, state by state, and each state's
   * KL(p ‖ q) in nats (docs/science.md, "Bidirectional estimates"). Importance weights need on the
   * order of exp(KL) samples, so a large KL says why the ESS collapsed and that sampling more will not help.
   */
  readonly bidirectional?: {
    readonly deltaF: { readonly value: number | null; readonly stderr: number | null };
    readonly klForward: { readonly A: number | null; readonly B: number | null };
    readonly nData: { readonly A: number; readonly B: number };
  };
  /** Exact quadrature, where the system has it. */
  readonly exact?: { readonly deltaF: number; readonly profile: { readonly F: (number | null)[] } };
  /** Why these estimates should not be trusted, if they should not (empty when they look sound). */
  readonly warnings: readonly string[];
}

/** A path through configuration space, straight in latent space (paper Fig. 2F). */
export interface LatentPath {
  /** Interpolation parameter in [0, 1], one per point. */
  readonly t: number[];
  /** Configurations F_zx((1 − t)·z_A + t·z_B), one row per point. */
  readonly x: number[][];
  /** Reduced energy per point (null where not finite: JSON has no Infinity). */
  readonly u: (number | null)[];
  readonly rc: number[];
  /** |z_B − z_A|: how far apart the generator puts the two ends in latent space. */
  readonly latentDistance: number;
}

/** The fresh draws' ESS at the primary temperature and their median (`sampling.draws` > 1), else null. */
export function essDrawsOf(result: RunResult): { readonly median: number; readonly draws: readonly number[] } | null {
  const draws = result.temperatures.find((t) => t.tau === result.tau)?.essDraws;
  if (!draws || draws.length < 2) return null;
  const sorted = [...draws].sort((a, b) => a - b);
  const m = sorted.length;
  return { median: m % 2 ? sorted[(m - 1) / 2]! : (sorted[m / 2 - 1]! + sorted[m / 2]!) / 2, draws };
}

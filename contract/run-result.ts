import type { BackendReport } from '../engine/compute/select';
import type { TemperatureEstimate } from '../engine/estimates';
import type { LatentPath } from '../engine/interpolation';
import type { BufferStats, ExploreProgress } from '../engine/samplers/explore';
import type { TrainProgress } from '../engine/train/trainer';
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

/** Progress pushed while a run works (the CLI prints it; the backend will persist and stream it). */
export type RunEvent =
  | { readonly type: 'phase'; readonly phase: 'backend' | 'data' | 'explore' | 'train' | 'sample' | 'analyse' | 'umbrella'; readonly message: string }
  | ({ readonly type: 'train' } & TrainProgress)
  | ({ readonly type: 'explore' } & ExploreProgress)
  | { readonly type: 'umbrella'; readonly window: number; readonly windows: number; readonly acceptance: number }
  /** ESS / N of a small fresh batch at τ = 1 while training (every ~2 % of the steps). */
  | { readonly type: 'ess'; readonly step: number; readonly essFraction: number };

export type { BackendReport, SurfaceResult };

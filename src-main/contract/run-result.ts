import type { BackendReport } from '../../workers/backend';
import type { TemperatureEstimate } from '../../workers/engine/estimates';
import type { TrainProgress } from '../../workers/engine/train/trainer';
import type { RunSpec } from './run-spec';

/**
 * What a finished run reports (`result.json`). The top-level ΔF, profile and ESS are those at the
 * primary temperature (τ = 1 when sampled, else the first); `temperatures` holds every τ sampled.
 */
export interface RunResult {
  readonly format: 'bgw-result/1';
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
  readonly essFraction: number;
  readonly deltaF: TemperatureEstimate['deltaF'];
  readonly exact: { readonly deltaF: number } | null;
  readonly profile: TemperatureEstimate['profile'] & { readonly exact: (number | null)[] | null };
  readonly temperatures: readonly TemperatureEstimate[];
  /** Warnings from every temperature (collapsed weights, possible mode dropping). */
  readonly warnings: readonly string[];
  readonly data: { readonly n: number; readonly acceptance: number; readonly seconds: number } | null;
  readonly training: {
    readonly steps: number;
    readonly skippedSteps: number;
    readonly finalLoss: TrainProgress['loss'] | null;
  };
  readonly timing: {
    readonly trainSeconds: number;
    readonly msPerStep: number;
    readonly samplesPerSecond: number;
    readonly totalSeconds: number;
  };
  readonly spec: RunSpec;
  readonly finishedAt: string;
}

/** Progress pushed while a run works (the CLI prints it; the backend will persist and stream it). */
export type RunEvent =
  | { readonly type: 'phase'; readonly phase: 'backend' | 'data' | 'train' | 'sample' | 'analyse'; readonly message: string }
  | ({ readonly type: 'train' } & TrainProgress);

export type { BackendReport };

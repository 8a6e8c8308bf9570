/**
 * What a working run reports as it goes: training and exploration steps (the engine produces
 * them, the worker batches them into metric points, the CLI prints them).
 */

/** The loss terms of one step (unweighted), and their weighted total. */
export interface StepLoss {
  total: number;
  ml: number;
  kl: number;
  rc: number;
}

export interface TrainProgress {
  readonly stage: number;
  readonly stageName: string;
  /** Step within the whole schedule (1-based) and the schedule's total. */
  readonly step: number;
  readonly totalSteps: number;
  readonly loss: StepLoss;
  readonly gradNorm: number;
  readonly skippedSteps: number;
}

export interface BufferStats {
  /** Fraction of the buffer in state A, state B and neither. */
  readonly stateFractions: { readonly A: number; readonly B: number; readonly neither: number };
  /** Unweighted RC histogram of the buffer (counts), on the system's RC range. */
  readonly rcHistogram: { readonly centers: number[]; readonly counts: number[] };
  readonly rcMin: number;
  readonly rcMax: number;
}

export interface ExploreProgress {
  readonly iteration: number;
  readonly totalIterations: number;
  readonly loss: StepLoss;
  /** Acceptance of this iteration's latent moves, and the step size they used. */
  readonly acceptance: number;
  readonly step: number;
  readonly skippedSteps: number;
  /** Present on adaptation iterations (every `adaptEvery`) and the last one. */
  readonly buffer?: BufferStats;
}

/** Progress pushed while a run works (the CLI prints it; the backend stores it as metrics and streams it). */
export type RunEvent =
  | { readonly type: 'phase'; readonly phase: 'backend' | 'data' | 'explore' | 'train' | 'sample' | 'analyse' | 'umbrella'; readonly message: string }
  | ({ readonly type: 'train' } & TrainProgress)
  | ({ readonly type: 'explore' } & ExploreProgress)
  | { readonly type: 'umbrella'; readonly window: number; readonly windows: number; readonly acceptance: number }
  /** ESS / N of a small fresh batch at τ = 1 while training (every ~2 % of the steps). */
  | { readonly type: 'ess'; readonly step: number; readonly essFraction: number }
  /** Mean negative log-likelihood of the held-out rows (`training.heldOut`), at each ESS probe. */
  | { readonly type: 'heldOut'; readonly step: number; readonly nll: number };

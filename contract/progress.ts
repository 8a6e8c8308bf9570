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

/**
 * Training by energy with its own sampler (FAB's AIS rounds, temperature annealing's rungs): one
 * report per AIS round or rung.
 */
export interface SamplerProgress {
  readonly kind: 'fab' | 'anneal';
  /** Training step (1-based, whole schedule) at which the samples were drawn. */
  readonly step: number;
  /** The temperature τ the samples target (FAB: 1; annealing: the rung's). */
  readonly temperature: number;
  /** Kish ESS / N of the round's (or rung's) importance weights. */
  readonly essFraction: number;
  /** FAB: mean acceptance of the AIS moves over the intermediate levels. */
  readonly acceptance?: number;
  /** FAB: log Z estimate of exp(−u/τ) and its standard error. */
  readonly logZ?: number;
  readonly logZSe?: number;
  readonly bufferSize: number;
  /** Mean age of the buffer's rows, in AIS rounds (annealing: rungs). */
  readonly bufferAge: number;
}

/** Progress pushed while a run works (the CLI prints it; the backend stores it as metrics and streams it). */
export type RunEvent =
  | { readonly type: 'phase'; readonly phase: 'backend' | 'data' | 'explore' | 'train' | 'sample' | 'analyse' | 'umbrella'; readonly message: string }
  | ({ readonly type: 'train' } & TrainProgress)
  | ({ readonly type: 'explore' } & ExploreProgress)
  | ({ readonly type: 'sampler' } & SamplerProgress)
  | { readonly type: 'umbrella'; readonly window: number; readonly windows: number; readonly acceptance: number }
  /** ESS / N of a small fresh batch at τ = 1 while training (every ~2 % of the steps). */
  | { readonly type: 'ess'; readonly step: number; readonly essFraction: number }
  /**
   * At each ESS probe with held-out rows (`training.heldOut`): their mean negative log-likelihood,
   * and where the data are at the probe's τ = 1, each state's KL(p‖q) in nats by BAR between the
   * probe's draws and the rows (null where a state has fewer than 10 draws, no rows, or BAR has no finite answer).
   */
  | { readonly type: 'heldOut'; readonly step: number; readonly nll: number; readonly klForward?: { readonly A: number | null; readonly B: number | null } };

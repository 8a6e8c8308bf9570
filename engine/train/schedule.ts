import type { RcLossKind } from '../losses';

/** One stage of the staged training schedule (published schedules are lists of these). */
export interface Stage {
  readonly name?: string;
  /** Length in passes over the training data (needs data) … */
  readonly epochs?: number;
  /** … or in gradient steps. Exactly one of the two is given. */
  readonly iterations?: number;
  readonly lr: number;
  readonly batch: number;
  readonly wML: number;
  readonly wKL: number;
  readonly wRC: number;
  /** linlogcut threshold for the KL energy. */
  readonly highEnergy: number;
  /** linlogcut cap. */
  readonly maxEnergy: number;
  /** KL batch members draw their τ from this list in equal shares (multi-temperature training). */
  readonly temperatures: readonly number[];
  readonly rcLoss: RcLossKind;
  /** Train by FAB instead of the weighted losses (no data needed). */
  readonly fab?: FabSettings | undefined;
  /** Train by temperature annealing instead of the weighted losses (no data needed). */
  readonly anneal?: AnnealSettings | undefined;
}

/** Flow annealed importance sampling bootstrap (docs/science.md, "FAB"): AIS towards p²/q feeding a prioritised replay buffer. */
export interface FabSettings {
  /** Intermediate AIS distributions and Metropolis moves at each. */
  readonly intermediate: number;
  readonly transitions: number;
  /** The AIS move: random-walk Metropolis in z, or HMC with `leapfrog` steps (default Metropolis). */
  readonly kernel?: 'metropolis' | 'hmc' | undefined;
  readonly leapfrog?: number | undefined;
  /** Initial latent proposal scale, then adapted per level towards `targetAcceptance`. */
  readonly step: number;
  readonly targetAcceptance: number;
  /** AIS chains per round. */
  readonly chains: number;
  /** Replay buffer capacity, the rows it needs before the first update, and updates per AIS round. */
  readonly bufferSize: number;
  readonly minBuffer: number;
  readonly updatesPerAis: number;
}

/** Temperature-annealed training (docs/science.md, "Temperature annealing"): reverse KL at ladder[0], then reweighted ML down the ladder. */
export interface AnnealSettings {
  /** Temperatures τ, decreasing, ending at the target (1). */
  readonly ladder: readonly number[];
  /** Reverse-KL steps at ladder[0]; each later rung takes the stage's `iterations`. */
  readonly klIterations: number;
  /** Samples drawn from the flow at the start of each rung (its reweighted-ML pool). */
  readonly samples: number;
}

/** Steps a stage takes: `iterations`, or enough batches to cover the data `epochs` times. */
export function stageSteps(stage: Stage, nData: number): number {
  if (stage.anneal) return stage.anneal.klIterations + (stage.iterations ?? 0) * (stage.anneal.ladder.length - 1);
  if (stage.iterations !== undefined) return stage.iterations;
  if (stage.epochs === undefined) throw new Error('a stage needs epochs or iterations');
  if (nData <= 0) throw new Error('a stage measured in epochs needs training data');
  return Math.max(1, Math.ceil((stage.epochs * nData) / stage.batch));
}

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
}

/** Steps a stage takes: `iterations`, or enough batches to cover the data `epochs` times. */
export function stageSteps(stage: Stage, nData: number): number {
  if (stage.iterations !== undefined) return stage.iterations;
  if (stage.epochs === undefined) throw new Error('a stage needs epochs or iterations');
  if (nData <= 0) throw new Error('a stage measured in epochs needs training data');
  return Math.max(1, Math.ceil((stage.epochs * nData) / stage.batch));
}

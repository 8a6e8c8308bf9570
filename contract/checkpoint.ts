/**
 * A resumable position in a generator run, written at every stage end, at the end of training
 * ('trained': what "sample more" loads) and every few minutes. Resume rebuilds the flow from
 * `flow`, restores the optimiser and the random streams, and continues at `state.stage` /
 * `state.stageStep` (or the exploration iteration), so step counters carry on rather than restart.
 * The mini-batch order is saved too (`state.batches`), so a resumed run takes the same batches, and
 * its result is the uninterrupted run's (checkpoints written before it existed reshuffle).
 */
export interface JobCheckpoint {
  readonly phase: 'explore' | 'train' | 'trained';
  /** Progress step of the phase: exploration iterations or training steps done. */
  readonly step: number;
  readonly state: CheckpointState;
  /** serializeFlow bytes. */
  readonly flow: Uint8Array;
  /** encodeAdam bytes (mid-stage or mid-exploration), else null: a new stage starts a fresh Adam. */
  readonly optimizer: Uint8Array | null;
  /** encodeBuffer bytes (exploration), else null. */
  readonly buffer: Uint8Array | null;
  /** A FAB or annealing stage's state mid-stage (its replay buffer), else null or absent (older checkpoints). */
  readonly sampler?: Uint8Array | null;
  /** The weights with the best held-out NLL so far (float32 values of every variable; `state.heldOutBest` says which step), else null or absent. */
  readonly best?: Uint8Array | null;
}

export interface CheckpointState {
  readonly stage: number;
  readonly stageStep: number;
  readonly skippedSteps: number;
  /** xoroshiro states of the run's random streams. */
  readonly rng: { readonly train: number[]; readonly sample: number[]; readonly stats: number[] };
  readonly explore?: { readonly iteration: number; readonly latentStep: number; readonly windowAcc: number; readonly totalAcc: number; readonly skippedSteps: number; readonly seconds: number; readonly done: boolean };
  readonly trainSeconds?: number;
  /** The training rows' order this epoch (little-endian Uint32, base64) and the next position in it. */
  readonly batches?: { readonly order: string; readonly pos: number };
  /** Early stopping so far: the best step and held-out NLL (their weights in `JobCheckpoint.best` with `keepBest`, else none). */
  readonly heldOutBest?: { readonly step: number; readonly nll: number };
  /** At 'trained': early stopping's report (the result's `training.heldOut`), for a run resumed while sampling. */
  readonly heldOut?: { readonly bestStep: number; readonly bestNll: number; readonly restored: boolean };
}

export interface ExploreBuffer {
  readonly buffer: Float32Array;
  readonly u: Float64Array;
  readonly rc: Float64Array;
}

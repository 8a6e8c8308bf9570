import type { MetricPoint, RunProgress, SampleSetKind } from './api';
import type { RunResult } from './run-result';
import type { RunSpec } from './run-spec';
import type { JobCheckpoint } from './checkpoint';

/**
 * Messages between the scheduler and a job worker, matched by run id (after piscina: typed
 * request / progress / result, and a worker that always answers a start with `result` or `error`).
 */
export interface JobRequest {
  readonly spec: RunSpec;
  readonly seed: number;
  readonly resume: JobCheckpoint | null;
  /** "Sample more": only sample from `resume`'s flow. */
  readonly sampleOnly: boolean;
  readonly checkpointEverySeconds: number;
  /** Training threads the scheduler gave this run (data-parallel when > 1). */
  readonly cores: number;
  /** Stored inputs the spec names (data.source "samples", a start row), read by the scheduler. */
  readonly inputs: JobInputs;
  /** Test-only failure injection (a backend's `faults` hook); never part of a spec. */
  readonly faults?: JobFaults | undefined;
}

/** Failures a test injects through the real code path: the energy throws, or the thread dies. */
export interface JobFaults {
  /** The system's energy throws from this training step on (the run fails cleanly). */
  readonly energyThrowsAtStep?: number;
  /** The worker thread exits with code 3 at this training step, as a native crash would. */
  readonly workerExitsAtStep?: number;
}

export interface JobInputs {
  readonly data: Float64Array | null;
  readonly start: Float64Array | null;
  /** Molecule systems: the structure's PDB text and the force field's XML text (the engine reads no files). */
  readonly molecule: MoleculeResources | null;
}

export type ToWorker =
  | { readonly type: 'start'; readonly runId: number; readonly job: JobRequest }
  | { readonly type: 'cancel'; readonly runId: number }
  /** The run's share of the cores changed (another run started or ended): train on this many threads from the next step. */
  | { readonly type: 'cores'; readonly runId: number; readonly cores: number };

/** One output sample set, columns ready for the database (weights normalised). */
export interface OutputSet {
  readonly kind: SampleSetKind;
  readonly name: string;
  readonly tau: number | null;
  readonly essFraction: number | null;
  readonly x: Float32Array;
  readonly u: Float64Array | null;
  readonly logw: Float64Array | null;
  readonly w: Float64Array;
  readonly rc: Float64Array | null;
  readonly state: Int8Array | null;
}

export interface JobOutput {
  readonly result: RunResult;
  readonly sets: readonly OutputSet[];
  /** The trained generator (serializeFlow bytes), generator runs. */
  readonly flow: Uint8Array | null;
  /** Umbrella windows' RC series per temperature (umbrella runs; `bgw run --out` writes them). */
  readonly windows: readonly (readonly UmbrellaWindow[])[] | null;
}

export type FromWorker =
  | { readonly type: 'progress'; readonly runId: number; readonly points: MetricPoint[]; readonly progress: RunProgress; readonly backend?: string }
  | { readonly type: 'checkpoint'; readonly runId: number; readonly checkpoint: JobCheckpoint }
  | { readonly type: 'result'; readonly runId: number; readonly output: JobOutput }
  | { readonly type: 'error'; readonly runId: number; readonly error: { readonly name: string; readonly message: string; readonly stack?: string } };

export interface UmbrellaWindow {
  center: number;
  k: number;
  /** RC of every stride-th production step. */
  rc: Float64Array;
  acceptance: number;
  meanRc: number;
}

/** What a molecule system is made of: the structure's PDB text and a parsed (or XML) force field. */
export interface MoleculeResources {
  readonly pdb: string;
  readonly forcefieldXml: string;
}

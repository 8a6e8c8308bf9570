import type { RunEvent } from '../../contract/run-result';
import type { JobFaults, JobInputs } from '../../contract/jobs';
import type { GeneratorSpec } from '../../contract/run-spec';
import type { CheckpointState, ExploreBuffer, JobCheckpoint } from '../../contract/checkpoint';
import { withFault } from '../../engine/energies/faulty';
import { createSystem } from '../../engine/energies';
import { isMoleculeSystem } from '../../engine/energies/molecule/system';
import type { ModelSystem } from '../../engine/energies/types';
import { buildFlow, type BuiltFlow } from '../../engine/flows/build';
import { deserializeFlow, serializeFlow } from '../../engine/flows/serialize';
import { Rng } from '../../engine/rng';
import { metropolisStates } from '../../engine/samplers/metropolis';
import type { AdamState } from '../../engine/train/adam';
import type { TrainingData } from './assemble-result';
import { splitHeldOut } from '../../engine/train/held-out';
import { encodeAdam, encodeBuffer } from './checkpoint';
import { moleculeHooks } from './molecule-steps';
import { modelSystemHooks, type Emit, type RunSystemHooks } from './system-hooks';

// What the phases of a generator run (train-sample.ts) share, and how it is set up: the system and
// its hooks (molecule or model system, chosen here), the random streams, the training data and the flow.

export interface TrainSampleOptions {
  readonly seed: number;
  readonly onEvent?: (e: RunEvent) => void;
  readonly signal?: AbortSignal;
  /** Continue from this checkpoint (a resumed run). */
  readonly resume?: JobCheckpoint | null;
  /** Only sample from `resume`'s flow, with this run's own seed ("sample more" from a finished run). */
  readonly sampleOnly?: boolean;
  /** Receives a checkpoint at every stage end, after training, and every `checkpointEverySeconds`. */
  readonly onCheckpoint?: (c: JobCheckpoint) => void;
  readonly checkpointEverySeconds?: number;
  /** Training threads (data-parallel when > 1; default 1). */
  readonly cores?: number;
  /** The share of those threads the run may use now (the scheduler lowers it when another run starts). */
  readonly coreBudget?: { readonly current: number };
  /** Stored data the spec refers to (`data.source: "samples"`, a start `{setId, index}`). */
  readonly inputs?: JobInputs;
  /** Tests only: make the energy throw from a training step on. */
  readonly faults?: JobFaults | undefined;
}

/** What the phases of one generator run share; made once by `setUp`. */
export interface Run {
  readonly spec: GeneratorSpec;
  readonly o: TrainSampleOptions;
  readonly emit: Emit;
  /** The system as built (disposed at the end); `system` is it with any injected fault. */
  readonly base: ModelSystem;
  readonly system: ModelSystem;
  /** Where molecules and model systems differ (MD, alignment, mixed transform, surface). */
  readonly hooks: RunSystemHooks;
  readonly rng: { readonly train: Rng; readonly sample: Rng; readonly stats: Rng; readonly ess: Rng };
  readonly resume: JobCheckpoint | null;
  readonly sampleOnly: boolean;
  readonly data: TrainingData | null;
  /** The rows the flow is fitted and trained on, and those held out for early stopping (`training.heldOut`). */
  readonly fitRows: Float64Array | null;
  readonly heldOut: Float64Array | null;
  readonly built: BuiltFlow;
  /** The current training step, which an injected energy fault reads. */
  readonly step: { now: number };
  /** The exploration buffer so far (checkpoints carry it), or the final one. */
  explored: ExploreBuffer | null;
}

/** The system and its hooks, the random streams, the training data (data phase) and the flow, new or resumed. */
export function setUp(spec: GeneratorSpec, o: TrainSampleOptions, emit: Emit): Run {
  const step = { now: 0 };
  const base = createSystem(spec.system.name, spec.system.params, o.inputs?.molecule ?? null, { permutationReduction: spec.system.permutationReduction });
  const failAt = o.faults?.energyThrowsAtStep;
  const system = failAt ? withFault(base, () => step.now + 1 >= failAt, `injected fault: energy threw at training step ${failAt}`) : base;
  // The one place that asks what kind of system this is.
  const hooks = isMoleculeSystem(system) ? moleculeHooks(system) : modelSystemHooks(system);
  const rng = new Rng(o.seed);
  // Independent streams, so changing one phase's budget leaves the others' random numbers alone.
  const dataRng = rng.split();
  let trainRng = rng.split();
  let sampleRng = rng.split();
  let statsRng = rng.split();
  // Split last, so the streams above are what they were before ESS probing existed.
  const essRng = rng.split();

  const resume = o.resume ?? null;
  const sampleOnly = o.sampleOnly === true;
  if (sampleOnly && resume?.phase !== 'trained') throw new Error('sample more needs a finished run with a saved generator');
  // The data is also the run's reference (the surface's MD columns; generated data is stored as
  // the reference set). A run resumed after training makes it again (same seed, same rows) or
  // reads the stored set again, so it reports what the uninterrupted run would.
  const reference = spec.data?.source === 'md' || spec.data?.source === 'metropolis' || spec.data?.source === 'samples';
  const needsData = !sampleOnly && (resume?.phase !== 'trained' || reference);
  const data = needsData ? makeData(spec, system, hooks, dataRng, emit, o.inputs?.data ?? null, o.signal) : null;
  const built = resume ? deserializeFlow(resume.flow, trainRng) : buildFlow(spec.flow, system.dim, trainRng, hooks.topology);
  if (resume && !sampleOnly) {
    trainRng = new Rng(resume.state.rng.train);
    sampleRng = new Rng(resume.state.rng.sample);
    statsRng = new Rng(resume.state.rng.stats);
    emit({ type: 'phase', phase: 'train', message: `resuming from the ${resume.phase} checkpoint at step ${resume.step}` });
  }
  const streams = { train: trainRng, sample: sampleRng, stats: statsRng, ess: essRng };
  const { fitRows, heldOut } = holdOut(spec, data, system.dim, emit);
  return { spec, o, emit, base, system, hooks, rng: streams, resume, sampleOnly, data, fitRows, heldOut, built, step, explored: null };
}

/** The training rows and, with `training.heldOut`, the held-out ones (the reference keeps every row). */
function holdOut(spec: GeneratorSpec, data: TrainingData | null, dim: number, emit: Emit): { fitRows: Float64Array | null; heldOut: Float64Array | null } {
  const h = spec.training.heldOut;
  if (!data || !h) return { fitRows: data?.x ?? null, heldOut: null };
  const split = splitHeldOut(data.x, dim, h.fraction);
  emit({ type: 'phase', phase: 'data', message: `held out ${split.heldOut.length / dim} of ${data.x.length / dim} rows for early stopping` });
  return { fitRows: split.train, heldOut: split.heldOut };
}

/** A checkpoint of the run as it stands (`o.onCheckpoint`), with the streams' states, the flow and the buffer. */
export function snapshot(run: Run, phase: JobCheckpoint['phase'], step: number, s: Omit<CheckpointState, 'rng'>, adam: AdamState | null, sampler: Uint8Array | null = null, best: Uint8Array | null = null): void {
  const { rng } = run;
  run.o.onCheckpoint?.({
    phase,
    step,
    state: { ...s, rng: { train: rng.train.state(), sample: rng.sample.state(), stats: rng.stats.state() } },
    flow: serializeFlow(run.built),
    optimizer: adam ? encodeAdam(adam) : null,
    buffer: run.explored ? encodeBuffer(run.explored) : null,
    sampler,
    best,
  });
}

/** The data phase: Metropolis reference data, MD (molecules) or stored configurations; null for explore runs. */
function makeData(spec: GeneratorSpec, system: ModelSystem, hooks: RunSystemHooks, rng: Rng, emit: Emit, stored: Float64Array | null, signal?: AbortSignal): TrainingData | null {
  if (spec.data?.source === 'md') return hooks.mdData(spec.data, rng, emit, signal);
  if (spec.data?.source === 'samples') {
    if (!stored || stored.length === 0 || stored.length % system.dim !== 0) throw new Error(`training data (sample set ${spec.data.setId}) was not loaded or does not match the system's ${system.dim} coordinates`);
    emit({ type: 'phase', phase: 'data', message: `training data: ${stored.length / system.dim} stored configurations (set ${spec.data.setId})` });
    return { x: hooks.align(stored), acceptance: Number.NaN, seconds: 0 };
  }
  if (spec.data?.source !== 'metropolis') return null;
  const d = spec.data;
  emit({ type: 'phase', phase: 'data', message: `Metropolis reference data: ${d.perState} per state` });
  const t = performance.now();
  // A reduced system's chains run on the whole space (no assignment per step) and are relabelled after.
  const r = metropolisStates(system.reduction?.unreduced ?? system, {
    perState: d.perState,
    tau: d.temperature,
    rng,
    stride: d.stride,
    burnIn: d.burnIn,
    ...(d.step !== undefined ? { step: d.step } : {}),
  });
  return { x: hooks.align(r.samples), acceptance: r.acceptance, seconds: (performance.now() - t) / 1000 };
}

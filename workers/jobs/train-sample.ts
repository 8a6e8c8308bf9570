import type { RunEvent, RunResult } from '../../contract/run-result';
import type { GeneratorSpec } from '../../contract/run-spec';
import { selectCompute } from '../../engine/compute/select';
import { withFault } from '../../engine/energies/faulty';
import { createSystem } from '../../engine/energies';
import type { ModelSystem } from '../../engine/energies/types';
import { estimate } from '../../engine/estimates';
import { alignMolecule, basinFractions, exploreStartMd, fitMixed, mdData, mixedTopology, surfaceOf } from './molecule-steps';
import { project } from '../../engine/surface';
import { buildFlow, type BuiltFlow } from '../../engine/flows/build';
import { deserializeFlow, serializeFlow } from '../../engine/flows/serialize';
import { Rng } from '../../engine/rng';
import { essProbe } from '../../engine/ess-probe';
import { latentPath } from '../../engine/interpolation';
import { bufferStats, explore, type ExploreState } from '../../engine/samplers/explore';
import { chainDeltaF, independenceIndices } from '../../engine/samplers/independence';
import { metropolisStates } from '../../engine/samplers/metropolis';
import { sampleFlow, type GeneratedSamples } from '../../engine/sampling';
import type { AdamState } from '../../engine/train/adam';
import { train, type TrainSummary } from '../../engine/train/trainer';
import { assembleResult, type ExploreOutcome, type TrainingData } from './assemble-result';
import type { JobInputs } from '../../contract/jobs';
import { decodeAdam, decodeBuffer, encodeAdam, encodeBuffer } from './checkpoint';
import type { CheckpointState, ExploreBuffer, JobCheckpoint } from '../../contract/checkpoint';
import type { TemperatureEstimate } from '../../contract/run-result';
import type { ComputeReport } from '../../contract/compute';

export interface TrainSampleOutput {
  readonly result: RunResult;
  /** Generated samples, one set per sampled temperature (same order as `result.temperatures`). */
  readonly samples: readonly GeneratedSamples[];
  /** The trained generator, as `serializeFlow` bytes. */
  readonly flowBytes: Uint8Array;
  /** The exploration buffer (explore runs): float32 rows, with energies and RC. */
  readonly explored: { readonly x: Float32Array; readonly u: Float64Array; readonly rc: Float64Array } | null;
  /** The Metropolis training data (runs by example), row-major float64: the reference the UI compares against. */
  readonly reference: Float64Array | null;
}

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
  /** Stored data the spec refers to (`data.source: "samples"`, a start `{setId, index}`). */
  readonly inputs?: JobInputs;
}

/**
 * A generator run: reference data (Metropolis) or exploration from one configuration → staged
 * training (explore runs use the final buffer as ML data) → sampling at each temperature →
 * reweighted estimates → latent path between the states. No files, no database: the CLI and the
 * worker pool both call this and persist what it returns (and the checkpoints it hands out).
 */
export async function runTrainSample(spec: GeneratorSpec, o: TrainSampleOptions): Promise<TrainSampleOutput> {
  const t0 = performance.now();
  const emit = o.onEvent ?? (() => {});
  const backend: ComputeReport = await selectCompute({ prefer: spec.backend });
  const passed = backend.passedOver.map((p) => `${p.name}: ${p.reason}`).join('; ');
  emit({ type: 'phase', phase: 'backend', message: `backend ${backend.detail}${passed ? ` (passed over ${passed})` : ''}` });
  let trainStepNow = 0;
  const base = createSystem(spec.system.name, spec.system.params, o.inputs?.molecule ?? null);
  const failAt = spec.faults?.energyThrowsAtStep;
  const system = failAt ? withFault(base, () => trainStepNow + 1 >= failAt, `injected fault: energy threw at training step ${failAt}`) : base;
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
  const needsData = !sampleOnly && resume?.phase !== 'trained';
  const data = needsData ? makeData(spec, system, dataRng, emit, o.inputs?.data ?? null, o.signal) : null;
  const built = resume ? deserializeFlow(resume.flow, trainRng) : buildFlow(spec.flow, system.dim, trainRng, mixedTopology(system));
  if (resume && !sampleOnly) {
    trainRng = new Rng(resume.state.rng.train);
    sampleRng = new Rng(resume.state.rng.sample);
    statsRng = new Rng(resume.state.rng.stats);
    emit({ type: 'phase', phase: 'train', message: `resuming from the ${resume.phase} checkpoint at step ${resume.step}` });
  }
  // The flow's tensors are freed whatever happens: a worker thread runs many jobs.
  try {
    if (built.whitening && !resume) {
      if (!data) throw new Error('flow.whiten needs training data to fit on (add a "data" section)');
      built.whitening.fit(data.x);
    }
    // Exploration from one configuration has no data yet: its mixed transform is fitted on the
    // short MD around the start that also fills its initial buffer (runExplore).
    if (built.mixed && !resume && data) fitMixed(built, data.x, emit);
    let explored: ExploreBuffer | null = resume?.buffer ? decodeBuffer(resume.buffer) : null;
    const snapshot = (phase: JobCheckpoint['phase'], step: number, s: Omit<CheckpointState, 'rng'>, adam: AdamState | null): void =>
      o.onCheckpoint?.({
        phase,
        step,
        state: { ...s, rng: { train: trainRng.state(), sample: sampleRng.state(), stats: statsRng.state() } },
        flow: serializeFlow(built),
        optimizer: adam ? encodeAdam(adam) : null,
        buffer: explored ? encodeBuffer(explored) : null,
      });

    let exploreOutcome: ExploreOutcome | null = resume?.state.explore && explored ? outcomeFrom(resume.state.explore, spec, system, explored) : null;
    if (!sampleOnly && (!resume || resume.phase === 'explore')) {
      const r = await runExplore(spec, system, built, trainRng, emit, o, resume, (st) => {
        explored = { buffer: st.buffer, u: st.u, rc: st.rc };
        const ex = { iteration: st.iteration, latentStep: st.latentStep, windowAcc: st.windowAcc, totalAcc: st.totalAcc, skippedSteps: st.skippedSteps, seconds: 0, done: false };
        snapshot('explore', st.iteration, { stage: 0, stageStep: 0, skippedSteps: 0, explore: ex }, st.adam);
      });
      if (r) ((explored = r.buffer), (exploreOutcome = r.outcome));
    }

    let summary: TrainSummary;
    if (sampleOnly || resume?.phase === 'trained') {
      summary = { steps: resume!.step, skippedSteps: resume!.state.skippedSteps, seconds: resume!.state.trainSeconds ?? 0, msPerStep: 0, finalLoss: null };
    } else {
      emit({ type: 'phase', phase: 'train', message: `training ${spec.flow.layers} (${spec.flow.hidden.join('×')})` });
      const ex = exploreOutcome ? { ...exploreState(exploreOutcome, spec), done: true } : undefined;
      const start = resume?.phase === 'train' ? { ...resume.state, adam: resume.optimizer ? decodeAdam(resume.optimizer) : null } : undefined;
      summary = await train({
        flow: built.flow,
        system,
        stages: spec.training.stages,
        data: data?.x ?? (explored ? Float64Array.from(explored.buffer) : null),
        dataTau: spec.data?.source === 'metropolis' || spec.data?.source === 'md' || spec.data?.source === 'samples' ? spec.data.temperature : (spec.explore?.tau ?? 1),
        rng: trainRng,
        clipNorm: spec.training.clipNorm,
        onProgress: (p) => {
          trainStepNow = p.step;
          emit({ type: 'train', ...p });
          // ESS over time: ~50 probes per schedule, and the last step.
          if (p.step % Math.max(1, Math.round(p.totalSteps / 50)) === 0 || p.step === p.totalSteps) {
            emit({ type: 'ess', step: p.step, essFraction: essProbe(built.flow, system, { n: 512, tau: 1, rng: essRng }) });
          }
        },
        ...(start ? { start } : {}),
        onCheckpoint: (p) => snapshot('train', p.step, { stage: p.stage, stageStep: p.stageStep, skippedSteps: p.skippedSteps, ...(ex ? { explore: ex } : {}) }, p.adam),
        ...(o.checkpointEverySeconds !== undefined ? { checkpointEverySeconds: o.checkpointEverySeconds } : {}),
        ...(o.signal ? { signal: o.signal } : {}),
      });
      const stages = spec.training.stages.length;
      snapshot('trained', summary.steps, { stage: stages, stageStep: 0, skippedSteps: summary.skippedSteps, trainSeconds: summary.seconds, ...(ex ? { explore: ex } : {}) }, null);
    }

    emit({ type: 'phase', phase: 'sample', message: `sampling ${spec.sampling.n} per temperature` });
    const tSample = performance.now();
    const samples: GeneratedSamples[] = [];
    for (const tau of spec.sampling.temperatures) {
      const opts = { n: spec.sampling.n, tau, chunk: spec.sampling.chunk, rng: sampleRng, ...(o.signal ? { signal: o.signal } : {}) };
      samples.push(await sampleFlow(built.flow, system, opts));
    }
    const sampleSeconds = (performance.now() - tSample) / 1000;

    emit({ type: 'phase', phase: 'analyse', message: 'reweighting' });
    const [lo, hi] = spec.analysis.rcRange ?? system.rcRange;
    const bins = { min: lo, max: hi, n: spec.analysis.bins };
    const estimates = samples.map((s): TemperatureEstimate => {
      const e = estimate(system, s, { bins, bootstrap: spec.analysis.bootstrap, rng: statsRng });
      // The exact-MCMC cross-check over the same proposals; skipped when no weight is finite.
      if (!s.logw.some(Number.isFinite)) return e;
      const chain = independenceIndices(s.logw, statsRng);
      const states = Int8Array.from(chain.index, (i) => s.state[i]!);
      return { ...e, mcmc: { acceptance: chain.acceptance, deltaF: chainDeltaF(states) } };
    });
    const points = spec.analysis.pathPoints;
    // Molecule ends are aligned like the training data: the mixed transform expects aligned configurations.
    const end = (c: typeof spec.analysis.pathFrom): Float64Array => alignMolecule(system, configuration(system, c));
    const path = points >= 2 ? latentPath(built.flow, system, end(spec.analysis.pathFrom), end(spec.analysis.pathTo), points) : null;
    const surface = surfaceOf(system, samples, estimates, data, spec, statsRng, path);
    const exploreBasins = explored && system.surface ? basinFractions(system.surface, project(system.surface, explored.buffer, system.dim)) : null;
    const result = assembleResult(spec, o.seed, system, backend, built, data, summary, estimates, {
      sampleSeconds,
      totalSeconds: (performance.now() - t0) / 1000,
      explored: exploreOutcome,
      path,
      surface,
      exploreBasins,
    });
    // "Sample more" reports only its own samples: the buffer belongs to the run it sampled from.
    const exploredOut = explored && !sampleOnly ? { x: explored.buffer, u: explored.u, rc: explored.rc } : null;
    const reference = (spec.data?.source === 'metropolis' || spec.data?.source === 'md') && data && !sampleOnly ? data.x : null;
    return { result, samples, flowBytes: serializeFlow(built), explored: exploredOut, reference };
  } finally {
    // A worker thread runs many jobs: free the flow and the system's constant tensors.
    built.flow.dispose();
    base.dispose?.();
  }
}

/** A spec's configuration: a state's built-in start, explicit coordinates, or a stored row (`stored`). */
function configuration(system: ModelSystem, c: 'A' | 'B' | readonly number[] | { setId: number }, stored: Float64Array | null = null): Float64Array {
  if (Array.isArray(c)) return Float64Array.from(c);
  if (typeof c === 'object') {
    if (!stored || stored.length !== system.dim) throw new Error(`the start configuration (sample set ${(c as { setId: number }).setId}) was not loaded: stored rows need the backend (bgw run, bgw serve)`);
    return stored;
  }
  return system.start(c === 'B' ? 1 : 0);
}

function exploreState(e: ExploreOutcome, spec: GeneratorSpec): Omit<NonNullable<CheckpointState['explore']>, 'done'> {
  const iterations = spec.explore?.iterations ?? 0;
  return { iteration: iterations, latentStep: e.finalStep, windowAcc: 0, totalAcc: e.acceptance * iterations, skippedSteps: e.skippedSteps, seconds: e.seconds };
}

function outcomeFrom(s: NonNullable<CheckpointState['explore']>, spec: GeneratorSpec, system: ModelSystem, b: ExploreBuffer): ExploreOutcome | null {
  if (!s.done) return null;
  const [lo, hi] = spec.analysis.rcRange ?? system.rcRange;
  const iterations = spec.explore?.iterations ?? 0;
  return { acceptance: iterations ? s.totalAcc / iterations : 0, finalStep: s.latentStep, skippedSteps: s.skippedSteps, stats: bufferStats(system, b.rc, { min: lo, max: hi, n: spec.analysis.bins }), seconds: s.seconds };
}

/** The exploration phase of an explore run (null otherwise); trains `built.flow` in place. */
async function runExplore(
  spec: GeneratorSpec,
  system: ModelSystem,
  built: BuiltFlow,
  rng: Rng,
  emit: (e: RunEvent) => void,
  o: TrainSampleOptions,
  resume: JobCheckpoint | null,
  onCheckpoint: (s: ExploreState) => void,
): Promise<{ buffer: ExploreBuffer; outcome: ExploreOutcome } | null> {
  const d = spec.data;
  const e = spec.explore;
  if (d?.source !== 'configuration' || !e) return null;
  const x0 = configuration(system, d.start, o.inputs?.start ?? null);
  const from = resume?.phase === 'explore' && resume.buffer && resume.state.explore ? { ...resume.state.explore, ...decodeBuffer(resume.buffer), adam: resume.optimizer ? decodeAdam(resume.optimizer) : null } : null;
  const initial = !from && built.mixed ? exploreStartMd(system, x0, d.bufferSize, built, rng, emit, o.signal) : undefined;
  emit({ type: 'phase', phase: 'explore', message: from ? `resuming exploration at iteration ${from.iteration}` : `exploring from one configuration (rc ${system.rc64(x0).toFixed(3)}): ${e.iterations} iterations` });
  const [lo, hi] = spec.analysis.rcRange ?? system.rcRange;
  const r = await explore({
    flow: built.flow,
    system,
    x0,
    bufferSize: d.bufferSize,
    noise: d.noise,
    iterations: e.iterations,
    batch: e.batch,
    stage: e,
    tau: e.tau,
    step0: e.step,
    adaptEvery: e.adaptEvery,
    clipNorm: spec.training.clipNorm,
    rng,
    bins: { min: lo, max: hi, n: spec.analysis.bins },
    onProgress: (p) => emit({ type: 'explore', ...p }),
    ...(initial ? { initial } : {}),
    onCheckpoint,
    ...(o.checkpointEverySeconds !== undefined ? { checkpointEverySeconds: o.checkpointEverySeconds } : {}),
    ...(from ? { resume: from } : {}),
    ...(o.signal ? { signal: o.signal } : {}),
  });
  return {
    buffer: { buffer: r.buffer, u: r.u, rc: r.rc },
    outcome: { acceptance: r.acceptance, finalStep: r.finalStep, skippedSteps: r.skippedSteps, stats: r.stats, seconds: r.seconds + (from?.seconds ?? 0) },
  };
}

function makeData(spec: GeneratorSpec, system: ModelSystem, rng: Rng, emit: (e: RunEvent) => void, stored: Float64Array | null, signal?: AbortSignal): TrainingData | null {
  if (spec.data?.source === 'md') return mdData(spec.data, system, rng, emit, signal);
  if (spec.data?.source === 'samples') {
    if (!stored || stored.length === 0 || stored.length % system.dim !== 0) throw new Error(`training data (sample set ${spec.data.setId}) was not loaded or does not match the system's ${system.dim} coordinates`);
    emit({ type: 'phase', phase: 'data', message: `training data: ${stored.length / system.dim} stored configurations (set ${spec.data.setId})` });
    return { x: alignMolecule(system, stored), acceptance: Number.NaN, seconds: 0 };
  }
  if (spec.data?.source !== 'metropolis') return null;
  const d = spec.data;
  emit({ type: 'phase', phase: 'data', message: `Metropolis reference data: ${d.perState} per state` });
  const t = performance.now();
  const r = metropolisStates(system, {
    perState: d.perState,
    tau: d.temperature,
    rng,
    stride: d.stride,
    burnIn: d.burnIn,
    ...(d.step !== undefined ? { step: d.step } : {}),
  });
  return { x: r.samples, acceptance: r.acceptance, seconds: (performance.now() - t) / 1000 };
}

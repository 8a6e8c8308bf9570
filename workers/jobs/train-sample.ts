import type { ExploreSummary, RunResult, TemperatureEstimate } from '../../contract/run-result';
import type { GeneratorSpec } from '../../contract/run-spec';
import { aisChunk, samplingChunk } from '../../contract/run-spec/cost';
import { xDimOf } from '../../engine/flows/types';
import type { CheckpointState, ExploreBuffer } from '../../contract/checkpoint';
import type { ComputeReport } from '../../contract/compute';
import { selectCompute } from '../../engine/compute/select';
import type { ModelSystem } from '../../engine/energies/types';
import { estimate } from '../../engine/estimates';
import { serializeFlow } from '../../engine/flows/serialize';
import { latentPath } from '../../engine/interpolation';
import { bufferStats, explore, type ExploreState } from '../../engine/samplers/explore';
import { chainDeltaF, independenceIndices } from '../../engine/samplers/independence';
import { sampleFlow, type GeneratedSamples } from '../../engine/sampling';
import { pilotSteps, sampleFlowAis } from '../../engine/samplers/ais-sampling';
import type { TrainSummary } from '../../engine/train/trainer';
import { heldOutOverlap } from './held-out-overlap';
import { trainPhase } from './train-phase';
import { startThreads } from './threads';
import type { DataParallel } from '../parallel/data-parallel';
import { assembleResult, type ExploreOutcome } from './assemble-result';
import { decodeAdam, decodeBuffer } from './checkpoint';
import { surfaceTemperatureIndex, type Emit, type SurfaceDraws } from './system-hooks';
import { setUp, snapshot, type Run, type TrainSampleOptions } from './train-setup';
import { fitSplineDomains, isSplineFlow } from '../../engine/flows/spline/fit-domain';
import { essFraction } from '../../engine/reweighting';

export type { TrainSampleOptions } from './train-setup';

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

/**
 * A generator run: reference data (Metropolis) or exploration from one configuration → staged
 * training (explore runs use the final buffer as ML data) → sampling at each temperature →
 * reweighted estimates → latent path between the states. No files, no database: the CLI and the
 * worker pool both call this and persist what it returns (and the checkpoints it hands out).
 */
export async function runTrainSample(spec: GeneratorSpec, o: TrainSampleOptions): Promise<TrainSampleOutput> {
  const t0 = performance.now();
  const emit = o.onEvent ?? (() => {});
  const backend = await announceBackend(spec, emit);
  const run = setUp(spec, o, emit);
  let threads: DataParallel | null = null;
  // The flow's tensors are freed whatever happens: a worker thread runs many jobs.
  try {
    fitTransforms(run);
    const exploreOutcome = await explorePhase(run);
    // After exploration (one thread's loop); helpers build the flow as the transforms left it.
    threads = await startThreads(run, backend);
    const summary = await trainPhase(run, exploreOutcome, threads);
    const { samples, draws, pooled, sampleSeconds } = await samplePhase(run, threads);
    const a = analyse(run, samples, spec.sampling.draws > 1 ? draws : null, pooled);
    const result = assembleResult(spec, o.seed, run.system, backend, run.built, run.data, summary, a.estimates, {
      sampleSeconds,
      totalSeconds: (performance.now() - t0) / 1000,
      explored: exploreOutcome,
      path: a.path,
      surface: a.surface,
      exploreBasins: a.exploreBasins,
    });
    return output(run, result, samples);
  } finally {
    await threads?.close();
    // A worker thread runs many jobs: free the flow and the system's constant tensors.
    run.built.flow.dispose();
    run.base.dispose?.();
  }
}

async function announceBackend(spec: GeneratorSpec, emit: Emit): Promise<ComputeReport> {
  const backend = await selectCompute({ prefer: spec.backend });
  const passed = backend.passedOver.map((p) => `${p.name}: ${p.reason}`).join('; ');
  emit({ type: 'phase', phase: 'backend', message: `backend ${backend.detail}${passed ? ` (passed over ${passed})` : ''}` });
  return backend;
}

/** Fit the flow's data-dependent transforms (whitening, mixed coordinates) on the training data; a resumed flow has them. */
function fitTransforms({ built, resume, fitRows: data, hooks, emit }: Run): void {
  if (built.whitening && !resume) {
    if (!data) throw new Error('flow.whiten needs training data to fit on (add a "data" section)');
    built.whitening.fit(data);
  }
  // Exploration from one configuration has no data yet: its mixed transform is fitted on the
  // short MD around the start that also fills its initial buffer (runExplore).
  if (built.mixed && !resume && data) hooks.fitMixed(built, data, emit);
  // Spline intervals come from the data as the couplings see it (through the transforms just fitted).
  if (isSplineFlow(built) && !resume && (data || !built.mixed)) fitSplineDomains(built, data);
}

/** Exploration (explore runs; continued from an explore checkpoint), or its outcome as a checkpoint recorded it. */
async function explorePhase(run: Run): Promise<ExploreOutcome | null> {
  const { spec, system, resume } = run;
  run.explored = resume?.buffer ? decodeBuffer(resume.buffer) : null;
  let outcome = resume?.state.explore && run.explored ? outcomeFrom(resume.state.explore, spec, system, run.explored) : null;
  if (!run.sampleOnly && (!resume || resume.phase === 'explore')) {
    const r = await runExplore(run, (st) => {
      run.explored = { buffer: st.buffer, u: st.u, rc: st.rc };
      const ex = { iteration: st.iteration, latentStep: st.latentStep, windowAcc: st.windowAcc, totalAcc: st.totalAcc, skippedSteps: st.skippedSteps, seconds: 0, done: false };
      snapshot(run, 'explore', st.iteration, { stage: 0, stageStep: 0, skippedSteps: 0, explore: ex }, st.adam);
    });
    if (r) ((run.explored = r.buffer), (outcome = r.outcome));
  }
  return outcome;
}

/** Samples from the flow at each temperature, in the spec's order. */
async function samplePhase(run: Run, threads: DataParallel): Promise<{ samples: GeneratedSamples[]; draws: number[][]; pooled: SurfaceDraws | null; sampleSeconds: number }> {
  const { spec, built, system, rng, o, emit, hooks } = run;
  emit({ type: 'phase', phase: 'sample', message: `sampling ${spec.sampling.n} per temperature` });
  const tSample = performance.now();
  const samples: GeneratedSamples[] = [];
  const chunk = samplingChunk(spec, xDimOf(built.flow));
  const opts = (tau: number) => ({ n: spec.sampling.n, tau, chunk, rng: rng.sample, forward: threads.forward, ...(o.signal ? { signal: o.signal } : {}) });
  const draw = aisDraw(run) ?? ((tau: number) => sampleFlow(built.flow, system, opts(tau)));
  for (const tau of spec.sampling.temperatures) samples.push(await draw(tau));
  // Extra draws after the stored ones, so their random numbers do not depend on `draws`.
  const draws = samples.map((s) => [essFraction(s.logw)]);
  // At the surface's temperature every draw also feeds the surface and basin populations: its
  // (a, b) and log weights go into one preallocated pool (3 numbers a sample; cost.ts counts them).
  const at = surfaceTemperatureIndex(spec.sampling.temperatures), n = spec.sampling.n, D = spec.sampling.draws;
  const first = D > 1 ? hooks.project(samples[at]!) : null;
  const pooled = first ? { ab: new Float64Array(2 * n * D), logw: new Float64Array(n * D), draws: D } : null;
  const keep = (k: number, ab: Float64Array, logw: Float64Array): void => void (pooled && (pooled.ab.set(ab, 2 * n * k), pooled.logw.set(logw, n * k)));
  if (first) keep(0, first, samples[at]!.logw);
  for (let k = 1; k < D; k++) {
    emit({ type: 'phase', phase: 'sample', message: `fresh draw ${k + 1} of ${D} for the ESS${pooled ? ' and the surface' : ''}` });
    for (const [i, tau] of spec.sampling.temperatures.entries()) {
      const s = await draw(tau);
      draws[i]!.push(essFraction(s.logw));
      if (i === at && pooled) keep(k, hooks.project(s)!, s.logw);
    }
  }
  return { samples, draws, pooled, sampleSeconds: (performance.now() - tSample) / 1000 };
}

/**
 * With `sampling.ais`: a draw at τ is AIS from the flow towards p (engine/samplers/ais-sampling.ts),
 * its step sizes adapted once per τ on pilot chains before the first draw and then fixed. Null: plain sampling.
 */
function aisDraw({ spec, built, system, rng, o, emit }: Run): ((tau: number) => Promise<GeneratedSamples>) | null {
  const a = spec.sampling.ais;
  if (!a) return null;
  const chunk = aisChunk(spec, xDimOf(built.flow));
  const steps = new Map<number, Float64Array>();
  return async (tau) => {
    if (!steps.has(tau)) {
      emit({ type: 'phase', phase: 'sample', message: `AIS at τ=${tau}: ${a.pilotRounds} pilot rounds of ${a.pilotChains} chains set the step sizes` });
      steps.set(tau, await pilotSteps(built.flow, system, a, tau, rng.sample, chunk, o.signal));
    }
    const s = await sampleFlowAis(built.flow, system, { n: spec.sampling.n, tau, chunk, rng: rng.sample, ais: a, steps: steps.get(tau)!, signal: o.signal });
    const mean = s.acceptance.reduce((x, v) => x + v, 0) / s.acceptance.length;
    emit({ type: 'phase', phase: 'sample', message: `AIS at τ=${tau}: ${a.intermediate} levels × ${a.transitions} ${a.kernel} moves, mean acceptance ${mean.toFixed(2)}, ESS ${(100 * essFraction(s.logw)).toFixed(2)} %` });
    return s;
  };
}

interface Analysis {
  readonly estimates: TemperatureEstimate[];
  readonly path: RunResult['path'];
  readonly surface: RunResult['surface'];
  readonly exploreBasins: ExploreSummary['basins'];
}

/** Reweighted estimates with the independence-sampler cross-check, the latent path, the surface and the buffer's basins. */
function analyse(run: Run, samples: readonly GeneratedSamples[], draws: number[][] | null, pooled: SurfaceDraws | null): Analysis {
  const { spec, system, hooks, built, rng } = run;
  run.emit({ type: 'phase', phase: 'analyse', message: 'reweighting' });
  const [lo, hi] = spec.analysis.rcRange ?? system.rcRange;
  const bins = { min: lo, max: hi, n: spec.analysis.bins };
  const estimates = samples.map((s, i): TemperatureEstimate => {
    const base = { ...estimate(system, s, { bins, bootstrap: spec.analysis.bootstrap, rng: rng.stats }), ...(draws ? { essDraws: draws[i]! } : {}) };
    const overlap = heldOutOverlap(run, s);
    const e = { ...base, ...(overlap.bidirectional ? { bidirectional: overlap.bidirectional } : {}), warnings: [...base.warnings, ...(overlap.warning ? [overlap.warning] : [])] };
    // The exact-MCMC cross-check over the same proposals; skipped when no weight is finite.
    if (!s.logw.some(Number.isFinite)) return e;
    const chain = independenceIndices(s.logw, rng.stats);
    const states = Int8Array.from(chain.index, (i) => s.state[i]!);
    return { ...e, mcmc: { acceptance: chain.acceptance, deltaF: chainDeltaF(states) } };
  });
  const points = spec.analysis.pathPoints;
  // Path ends are aligned like the training data: the mixed transform expects aligned configurations.
  const end = (c: typeof spec.analysis.pathFrom): Float64Array => hooks.align(configuration(system, c));
  const path = points >= 2 ? latentPath(built.flow, system, end(spec.analysis.pathFrom), end(spec.analysis.pathTo), points) : null;
  const surface = hooks.surface(samples, pooled, run.data, spec, rng.stats, path);
  const exploreBasins = run.explored ? hooks.exploreBasins(run.explored.buffer) : null;
  return { estimates, path, surface, exploreBasins };
}

/** What the caller persists: the result, the samples, the flow, the buffer and the reference data. */
function output(run: Run, result: RunResult, samples: GeneratedSamples[]): TrainSampleOutput {
  const { spec, data, explored, sampleOnly } = run;
  // "Sample more" reports only its own samples: the buffer belongs to the run it sampled from.
  const exploredOut = explored && !sampleOnly ? { x: explored.buffer, u: explored.u, rc: explored.rc } : null;
  const reference = (spec.data?.source === 'metropolis' || spec.data?.source === 'md') && data && !sampleOnly ? data.x : null;
  return { result, samples, flowBytes: serializeFlow(run.built), explored: exploredOut, reference };
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

function outcomeFrom(s: NonNullable<CheckpointState['explore']>, spec: GeneratorSpec, system: ModelSystem, b: ExploreBuffer): ExploreOutcome | null {
  if (!s.done) return null;
  const [lo, hi] = spec.analysis.rcRange ?? system.rcRange;
  const iterations = spec.explore?.iterations ?? 0;
  return { acceptance: iterations ? s.totalAcc / iterations : 0, finalStep: s.latentStep, skippedSteps: s.skippedSteps, stats: bufferStats(system, b.rc, { min: lo, max: hi, n: spec.analysis.bins }), seconds: s.seconds };
}

/** The exploration loop of an explore run (null otherwise); trains `run.built.flow` in place. */
async function runExplore(run: Run, onCheckpoint: (s: ExploreState) => void): Promise<{ buffer: ExploreBuffer; outcome: ExploreOutcome } | null> {
  const { spec, system, built, emit, o, resume } = run;
  const rng = run.rng.train;
  const d = spec.data;
  const e = spec.explore;
  if (d?.source !== 'configuration' || !e) return null;
  const x0 = configuration(system, d.start, o.inputs?.start ?? null);
  const from = resume?.phase === 'explore' && resume.buffer && resume.state.explore ? { ...resume.state.explore, ...decodeBuffer(resume.buffer), adam: resume.optimizer ? decodeAdam(resume.optimizer) : null } : null;
  const initial = !from && built.mixed ? run.hooks.exploreStart(x0, d.bufferSize, built, rng, emit, o.signal) : undefined;
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

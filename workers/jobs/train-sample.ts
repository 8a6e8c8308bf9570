import type { ExploreSummary, RunEvent, RunResult } from '../../src-main/contract/run-result';
import type { GeneratorSpec } from '../../src-main/contract/run-spec';
import { selectBackend, type BackendReport } from '../backend';
import { createSystem } from '../engine/energies/index';
import type { ModelSystem } from '../engine/energies/types';
import { estimate, type TemperatureEstimate } from '../engine/estimates';
import { buildFlow, type BuiltFlow } from '../engine/flows/build';
import { serializeFlow } from '../engine/flows/serialize';
import { Rng } from '../engine/rng';
import { latentPath } from '../engine/interpolation';
import { explore, type ExploreResult } from '../engine/samplers/explore';
import { chainDeltaF, independenceIndices } from '../engine/samplers/independence';
import { metropolisStates } from '../engine/samplers/metropolis';
import { sampleFlow, type GeneratedSamples } from '../engine/sampling';
import { train } from '../engine/train/trainer';

export interface TrainSampleOutput {
  readonly result: RunResult;
  /** Generated samples, one set per sampled temperature (same order as `result.temperatures`). */
  readonly samples: readonly GeneratedSamples[];
  /** The trained generator, as `serializeFlow` bytes. */
  readonly flowBytes: Uint8Array;
  /** The exploration buffer (explore runs): float32 rows, with energies and RC. */
  readonly explored: { readonly x: Float32Array; readonly u: Float64Array; readonly rc: Float64Array } | null;
}

export interface TrainSampleOptions {
  readonly seed: number;
  readonly onEvent?: (e: RunEvent) => void;
  readonly signal?: AbortSignal;
}

/**
 * A generator run: reference data (Metropolis) or exploration from one configuration → staged
 * training (explore runs use the final buffer as ML data) → sampling at each temperature →
 * reweighted estimates → latent path between the states. No files, no database: the CLI and
 * (later) the worker pool both call this and persist what it returns.
 */
export async function runTrainSample(spec: GeneratorSpec, o: TrainSampleOptions): Promise<TrainSampleOutput> {
  const t0 = performance.now();
  const emit = o.onEvent ?? (() => {});
  const backend: BackendReport = await selectBackend({ prefer: spec.backend });
  const passed = backend.passedOver.map((p) => `${p.name}: ${p.reason}`).join('; ');
  emit({ type: 'phase', phase: 'backend', message: `backend ${backend.detail}${passed ? ` (passed over ${passed})` : ''}` });
  const system = createSystem(spec.system.name, spec.system.params);
  const rng = new Rng(o.seed);
  // Independent streams, so changing one phase's budget leaves the others' random numbers alone.
  const dataRng = rng.split();
  const trainRng = rng.split();
  const sampleRng = rng.split();
  const statsRng = rng.split();

  const data = makeData(spec, system, dataRng, emit);
  const built = buildFlow(spec.flow, system.dim, trainRng);
  // The flow's tensors are freed whatever happens: a worker thread runs many jobs.
  try {
    if (built.whitening) {
      if (!data) throw new Error('flow.whiten needs training data to fit on (add a "data" section)');
      built.whitening.fit(data.x);
    }

    const explored = await runExplore(spec, system, built, trainRng, emit, o.signal);
    emit({ type: 'phase', phase: 'train', message: `training ${spec.flow.layers} (${spec.flow.hidden.join('×')})` });
    const summary = await train({
      flow: built.flow,
      system,
      stages: spec.training.stages,
      data: data?.x ?? (explored ? Float64Array.from(explored.buffer) : null),
      dataTau: spec.data?.source === 'metropolis' ? spec.data.temperature : (spec.explore?.tau ?? 1),
      rng: trainRng,
      clipNorm: spec.training.clipNorm,
      onProgress: (p) => emit({ type: 'train', ...p }),
      ...(o.signal ? { signal: o.signal } : {}),
    });

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
    const path = points >= 2 ? latentPath(built.flow, system, configuration(system, spec.analysis.pathFrom), configuration(system, spec.analysis.pathTo), points) : null;
    const result = assembleResult(spec, o.seed, system, backend, built, data, summary, estimates, {
      sampleSeconds,
      totalSeconds: (performance.now() - t0) / 1000,
      explored,
      path,
    });
    const exploredOut = explored ? { x: explored.buffer, u: explored.u, rc: explored.rc } : null;
    return { result, samples, flowBytes: serializeFlow(built), explored: exploredOut };
  } finally {
    built.flow.dispose();
  }
}

interface TrainingData {
  readonly x: Float64Array;
  readonly acceptance: number;
  readonly seconds: number;
}

/** A spec's configuration: a state's built-in start, or explicit coordinates. */
function configuration(system: ModelSystem, c: 'A' | 'B' | readonly number[]): Float64Array {
  return Array.isArray(c) ? Float64Array.from(c) : system.start(c === 'B' ? 1 : 0);
}

/** The exploration phase of an explore run (null otherwise); trains `built.flow` in place. */
async function runExplore(
  spec: GeneratorSpec,
  system: ModelSystem,
  built: BuiltFlow,
  rng: Rng,
  emit: (e: RunEvent) => void,
  signal: AbortSignal | undefined,
): Promise<ExploreResult | null> {
  const d = spec.data;
  const e = spec.explore;
  if (d?.source !== 'configuration' || !e) return null;
  const x0 = configuration(system, d.start);
  emit({ type: 'phase', phase: 'explore', message: `exploring from one configuration (rc ${system.rc64(x0).toFixed(3)}): ${e.iterations} iterations` });
  const [lo, hi] = spec.analysis.rcRange ?? system.rcRange;
  return explore({
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
    ...(signal ? { signal } : {}),
  });
}

function makeData(spec: GeneratorSpec, system: ModelSystem, rng: Rng, emit: (e: RunEvent) => void): TrainingData | null {
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

function assembleResult(
  spec: GeneratorSpec,
  seed: number,
  system: ModelSystem,
  backend: BackendReport,
  built: BuiltFlow,
  data: TrainingData | null,
  summary: Awaited<ReturnType<typeof train>>,
  estimates: TemperatureEstimate[],
  t: { sampleSeconds: number; totalSeconds: number; explored: ExploreResult | null; path: RunResult['path'] },
): RunResult {
  const ex = t.explored;
  const explore: ExploreSummary | null =
    ex && spec.explore && spec.data?.source === 'configuration'
      ? {
          iterations: spec.explore.iterations,
          bufferSize: spec.data.bufferSize,
          acceptance: ex.acceptance,
          finalStep: ex.finalStep,
          skippedSteps: ex.skippedSteps,
          buffer: ex.stats,
          seconds: ex.seconds,
        }
      : null;
  const primary = estimates.find((e) => e.tau === 1) ?? estimates[0]!;
  const nTotal = estimates.reduce((a, e) => a + e.nSamples, 0);
  return {
    format: 'bgw-result/1',
    method: 'generator',
    name: spec.name ?? null,
    system: system.name,
    dim: built.flow.dim,
    backend: {
      name: backend.name,
      detail: backend.detail,
      ...(backend.device ? { device: backend.device } : {}),
      passedOver: backend.passedOver,
    },
    seed,
    tau: primary.tau,
    nSamples: primary.nSamples,
    essFraction: primary.essFraction,
    deltaF: primary.deltaF,
    exact: primary.exact ? { deltaF: primary.exact.deltaF } : null,
    profile: { ...primary.profile, exact: primary.exact?.profile.F ?? null },
    temperatures: estimates,
    warnings: estimates.flatMap((e) => e.warnings),
    data: data ? { n: data.x.length / system.dim, acceptance: data.acceptance, seconds: data.seconds } : null,
    explore,
    training: { steps: summary.steps, skippedSteps: summary.skippedSteps, finalLoss: summary.finalLoss },
    umbrella: null,
    path: t.path,
    timing: {
      exploreSeconds: ex?.seconds ?? 0,
      trainSeconds: summary.seconds,
      msPerStep: summary.msPerStep,
      samplesPerSecond: t.sampleSeconds > 0 ? nTotal / t.sampleSeconds : 0,
      totalSeconds: t.totalSeconds,
    },
    spec,
    finishedAt: new Date().toISOString(),
  };
}

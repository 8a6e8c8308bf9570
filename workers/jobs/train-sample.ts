import type { RunEvent, RunResult } from '../../src-main/contract/run-result';
import type { RunSpec } from '../../src-main/contract/run-spec';
import { selectBackend, type BackendReport } from '../backend';
import { createSystem } from '../engine/energies/index';
import type { ModelSystem } from '../engine/energies/types';
import { estimate, type TemperatureEstimate } from '../engine/estimates';
import { buildFlow, type BuiltFlow } from '../engine/flows/build';
import { serializeFlow } from '../engine/flows/serialize';
import { Rng } from '../engine/rng';
import { metropolisStates } from '../engine/samplers/metropolis';
import { sampleFlow, type GeneratedSamples } from '../engine/sampling';
import { train } from '../engine/train/trainer';

export interface TrainSampleOutput {
  readonly result: RunResult;
  /** Generated samples, one set per sampled temperature (same order as `result.temperatures`). */
  readonly samples: readonly GeneratedSamples[];
  /** The trained generator, as `serializeFlow` bytes. */
  readonly flowBytes: Uint8Array;
}

export interface TrainSampleOptions {
  readonly seed: number;
  readonly onEvent?: (e: RunEvent) => void;
  readonly signal?: AbortSignal;
}

/**
 * The "by example / by energy" run: reference data (Metropolis) → staged training → sampling at
 * each temperature → reweighted estimates. No files, no database: the CLI and (later) the worker
 * pool both call this and persist what it returns.
 */
export async function runTrainSample(spec: RunSpec, o: TrainSampleOptions): Promise<TrainSampleOutput> {
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

    emit({ type: 'phase', phase: 'train', message: `training ${spec.flow.layers} (${spec.flow.hidden.join('×')})` });
    const summary = await train({
      flow: built.flow,
      system,
      stages: spec.training.stages,
      data: data?.x ?? null,
      dataTau: spec.data?.temperature ?? 1,
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
    const estimates = samples.map((s) => estimate(system, s, { bins, bootstrap: spec.analysis.bootstrap, rng: statsRng }));
    const result = assembleResult(spec, o.seed, system, backend, built, data, summary, estimates, {
      sampleSeconds,
      totalSeconds: (performance.now() - t0) / 1000,
    });
    return { result, samples, flowBytes: serializeFlow(built) };
  } finally {
    built.flow.dispose();
  }
}

interface TrainingData {
  readonly x: Float64Array;
  readonly acceptance: number;
  readonly seconds: number;
}

function makeData(spec: RunSpec, system: ModelSystem, rng: Rng, emit: (e: RunEvent) => void): TrainingData | null {
  if (!spec.data) return null;
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
  spec: RunSpec,
  seed: number,
  system: ModelSystem,
  backend: BackendReport,
  built: BuiltFlow,
  data: TrainingData | null,
  summary: Awaited<ReturnType<typeof train>>,
  estimates: TemperatureEstimate[],
  t: { sampleSeconds: number; totalSeconds: number },
): RunResult {
  const primary = estimates.find((e) => e.tau === 1) ?? estimates[0]!;
  const nTotal = estimates.reduce((a, e) => a + e.nSamples, 0);
  return {
    format: 'bgw-result/1',
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
    training: { steps: summary.steps, skippedSteps: summary.skippedSteps, finalLoss: summary.finalLoss },
    timing: {
      trainSeconds: summary.seconds,
      msPerStep: summary.msPerStep,
      samplesPerSecond: t.sampleSeconds > 0 ? nTotal / t.sampleSeconds : 0,
      totalSeconds: t.totalSeconds,
    },
    spec,
    finishedAt: new Date().toISOString(),
  };
}

import type { RunEvent, RunResult } from '../../contract/run-result';
import type { UmbrellaSpec } from '../../contract/run-spec';
import { createSystem, type MoleculeResources } from '../../engine/energies';
import type { ModelSystem } from '../../engine/energies/types';
import { quadratureReference } from '../../engine/reference/quadrature';
import { defaultWindows, umbrellaSampling } from '../../engine/reference/umbrella';
import { bootstrapWham } from '../../engine/reference/wham';
import { Rng } from '../../engine/rng';
import type { UmbrellaWindow } from '../../contract/jobs';
import type { TemperatureEstimate } from '../../contract/run-result';

export interface UmbrellaOutput {
  readonly result: RunResult;
  /** Every temperature's windows (RC series), in `result.temperatures` order. */
  readonly windows: readonly (readonly UmbrellaWindow[])[];
}

/**
 * The reference method as a run: umbrella windows on the RC (float64 Metropolis), WHAM with
 * block-bootstrap error bars, the same result shape as a generator run. No tfjs is loaded.
 */
export async function runUmbrella(
  spec: UmbrellaSpec,
  o: { seed: number; onEvent?: (e: RunEvent) => void; signal?: AbortSignal; molecule?: MoleculeResources | null },
): Promise<UmbrellaOutput> {
  const t0 = performance.now();
  const run = setUp(spec, o);
  const perTau: AtTemperature[] = [];
  for (const tau of spec.umbrella.temperatures) perTau.push(await atTemperature(run, tau));
  const result = umbrellaResult(run, o.seed, perTau, (performance.now() - t0) / 1000);
  return { result, windows: perTau.map((t) => t.windows) };
}

/** What every temperature of an umbrella run shares. */
interface UmbrellaRun {
  readonly spec: UmbrellaSpec;
  readonly system: ModelSystem;
  readonly emit: (e: RunEvent) => void;
  readonly signal: AbortSignal | undefined;
  readonly sampleRng: Rng;
  readonly statsRng: Rng;
  readonly centers: number[];
  readonly bins: { readonly min: number; readonly max: number; readonly n: number };
}

/** The system, the random streams, the window centres and the analysis bins (checked against each other). */
function setUp(spec: UmbrellaSpec, o: Parameters<typeof runUmbrella>[1]): UmbrellaRun {
  const emit = o.onEvent ?? (() => {});
  const system = createSystem(spec.system.name, spec.system.params, o.molecule ?? null);
  const u = spec.umbrella;
  const rng = new Rng(o.seed);
  const sampleRng = rng.split();
  const statsRng = rng.split();
  const centers = defaultWindows(u.range ?? system.rcRange, u.windows);
  const [lo, hi] = spec.analysis.rcRange ?? system.rcRange;
  const bins = { min: lo, max: hi, n: spec.analysis.bins };
  // Checked before hours of sampling: WHAM drops samples outside the bins.
  if (centers[0]! < lo || centers[centers.length - 1]! > hi) {
    throw new Error(`umbrella windows span [${centers[0]}, ${centers[centers.length - 1]}] but the analysis bins cover [${lo}, ${hi}]: set analysis.rcRange to cover umbrella.range`);
  }
  return { spec, system, emit, signal: o.signal, sampleRng, statsRng, centers, bins };
}

interface AtTemperature {
  readonly estimate: TemperatureEstimate;
  readonly windows: UmbrellaWindow[];
  readonly seconds: number;
  readonly whamIterations: number;
  readonly converged: boolean;
}

/** Umbrella sampling at one temperature, then WHAM with bootstrap error bars. */
async function atTemperature(run: UmbrellaRun, tau: number): Promise<AtTemperature> {
  const { spec, system, emit, signal } = run;
  const u = spec.umbrella;
  emit({ type: 'phase', phase: 'umbrella', message: `umbrella sampling at τ=${tau}: ${u.windows} windows × ${u.stepsPerWindow} steps (k ${u.k})` });
  const r = await umbrellaSampling(system, {
    centers: run.centers,
    k: u.k,
    tau,
    stepsPerWindow: u.stepsPerWindow,
    burnIn: u.burnIn,
    stride: u.stride,
    ...(u.step !== undefined ? { step: u.step } : {}),
    rng: run.sampleRng,
    onWindow: (window, windows, acceptance) => emit({ type: 'umbrella', window, windows, acceptance }),
    ...(signal ? { signal } : {}),
  });
  emit({ type: 'phase', phase: 'analyse', message: `WHAM at τ=${tau}` });
  const w = bootstrapWham({ windows: r.windows, tau, bins: run.bins, resamples: spec.analysis.bootstrap, rng: run.statsRng, states: system.states });
  return { estimate: temperatureEstimate(run, tau, r.windows, w), windows: r.windows, seconds: r.seconds, whamIterations: w.iterations, converged: w.converged };
}

/** One temperature's figures as a generator run reports them, with the exact reference where the system has one. */
function temperatureEstimate({ system, bins }: UmbrellaRun, tau: number, windows: readonly UmbrellaWindow[], w: ReturnType<typeof bootstrapWham>): TemperatureEstimate {
  const exact = system.quadrature ? quadratureReference(system, tau, bins) : null;
  const nSamples = windows.reduce((a, x) => a + x.rc.length, 0);
  const finite = (v: number | undefined): number | null => (v !== undefined && Number.isFinite(v) ? v : null);
  return {
    tau,
    nSamples,
    ess: null,
    essFraction: null,
    stateFractions: null,
    deltaF: { A: system.states[0].name, B: system.states[1].name, value: finite(w.deltaF?.value), stderr: finite(w.deltaF?.stderr) },
    profile: w.profile,
    ...(exact ? { exact: { deltaF: exact.deltaF, profile: { F: exact.profile.F } } } : {}),
    warnings: w.converged ? [] : [`WHAM did not converge at τ=${tau}: the windows may not overlap (add windows or lower k)`],
  };
}

/** The result document: the primary temperature (τ = 1, else the first) up front, every temperature's estimates. */
function umbrellaResult({ spec, system }: UmbrellaRun, seed: number, perTau: readonly AtTemperature[], totalSeconds: number): RunResult {
  const estimates = perTau.map((t) => t.estimate);
  const primary = estimates.find((e) => e.tau === 1) ?? estimates[0]!;
  const primaryWindows = perTau[estimates.indexOf(primary)]!.windows;
  return {
    format: 'bgw-result/1',
    method: 'umbrella',
    name: spec.name ?? null,
    system: system.name,
    dim: system.dim,
    backend: { name: 'float64-js', detail: 'float64 Metropolis in JavaScript (no tfjs)', passedOver: [] },
    seed,
    tau: primary.tau,
    nSamples: primary.nSamples,
    essFraction: null,
    deltaF: primary.deltaF,
    exact: primary.exact ? { deltaF: primary.exact.deltaF } : null,
    profile: { ...primary.profile, exact: primary.exact?.profile.F ?? null },
    temperatures: estimates,
    warnings: estimates.flatMap((e) => e.warnings),
    data: null,
    explore: null,
    training: null,
    umbrella: {
      k: spec.umbrella.k,
      windows: primaryWindows.map((w) => ({ center: w.center, acceptance: w.acceptance, meanRc: w.meanRc, n: w.rc.length })),
      whamIterations: perTau.reduce((m, t) => Math.max(m, t.whamIterations), 0),
      converged: perTau.every((t) => t.converged),
      seconds: perTau.reduce((a, t) => a + t.seconds, 0),
    },
    path: null,
    surface: null,
    timing: { exploreSeconds: 0, trainSeconds: 0, msPerStep: 0, samplesPerSecond: 0, totalSeconds },
    spec,
    finishedAt: new Date().toISOString(),
  };
}

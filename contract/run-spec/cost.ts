import { isMoleculeSystem } from '../systems';
import { essProbeOf, referenceDataTau, type GeneratorSpec } from './generator';
import type { RunSpec, SpecIssue } from './index';

/**
 * What a run will cost, estimated from its spec before it is queued (docs/backend.md, "Bounds"):
 * the peak memory of its worker and its work. Deliberately simple and on the generous side: the
 * point is to refuse, with the field named, a spec that cannot fit or cannot end (flow.hidden =
 * [4096 × 8], burnIn = 10¹²), not to predict a run's footprint to the megabyte.
 */
export interface CostEstimate {
  /** Peak bytes, and where they go (each part named by the field that drives it). */
  readonly memoryBytes: number;
  readonly memory: readonly CostPart[];
  /** Estimated seconds on one core (wasm), and where they go: training steps, sampling, float64 simulations. */
  readonly seconds: number;
  readonly work: readonly CostPart[];
}

export interface CostPart {
  readonly field: string;
  readonly what: string;
  readonly amount: number;
}

/** Limits a run must fit (the backend's settings; docs/backend.md lists the defaults). */
export interface CostLimits {
  readonly memoryBytes: number;
  /** Estimated run time on one core. */
  readonly seconds: number;
}

/** A day on one core: the published dimer schedule takes hours; a spec estimated at more is almost surely a typo. */
export const DEFAULT_MAX_SECONDS = 24 * 3600;

// The time model's coefficients, measured on the 2-core machines this was built on (docs/performance.md):
// a training step costs a fixed ~8 ms of kernel launches plus its FLOP at ~20 GFLOP/s (wasm SIMD),
// a forward pass a third of that, and a float64 energy evaluation ~2 ns per coordinate pair (the
// dimer's 38 particles: ~12 µs). Within ~25 % of the 2-D and 76-D steps measured in bench/.
const STEP_OVERHEAD_S = 8e-3;
const FLOP_PER_S = 2e10;
const energySeconds = (dim: number): number => Math.max(5e-8, 2e-9 * dim * dim);

const F32 = 4;
const F64 = 8;
/** Per-row bytes the tfjs intermediates of one flow pass keep per unit of width (saved activations, their gradients, temporaries). */
const LIVE_PER_WIDTH = 3 * F32;

/** Dimensions of the flow's latent (z) and configuration (x) sides. */
function flowDims(spec: GeneratorSpec, xDim: number): { z: number; x: number } {
  return { z: spec.flow.coordinates === 'mixed' ? xDim - 6 : xDim, x: xDim };
}

/** Conditioner networks: their parameter count and the widths a row passes through (input to output). */
export function conditioners(spec: GeneratorSpec, zDim: number): { params: number; widthPerRow: number } {
  const half = Math.ceil(zDim / 2);
  const bins = spec.flow.spline?.bins ?? 8;
  let params = 0;
  let width = 0;
  for (const letter of spec.flow.layers) {
    if (letter === 'S') params += zDim;
    if (letter !== 'R' && letter !== 'N' && letter !== 'Q') continue;
    // Q conditioners see torsions as (cos, sin): at most twice the inputs.
    const nIn = letter === 'Q' ? 2 * half : half;
    const nOut = letter === 'R' ? 2 * half : letter === 'N' ? half : half * (3 * bins + 1);
    const sizes = [nIn, ...spec.flow.hidden, nOut];
    for (let c = 0; c < 2; c++) {
      for (let l = 0; l + 1 < sizes.length; l++) params += sizes[l]! * sizes[l + 1]! + sizes[l + 1]!;
      width += sizes.reduce((a, b) => a + b, 0);
      // A spline's knots, derivatives and bin search hold ~10 tensors of [rows, half, K + 1].
      if (letter === 'Q') width += 10 * half * (bins + 1);
    }
  }
  return { params, widthPerRow: width };
}

/** Bytes one row costs in one flow pass (forward, or forward + backward with `training`). */
export function bytesPerRow(spec: GeneratorSpec, xDim: number, training: boolean): number {
  const { widthPerRow } = conditioners(spec, flowDims(spec, xDim).z);
  return widthPerRow * LIVE_PER_WIDTH * (training ? 2 : 1);
}

/**
 * Bytes one sampling pass may hold: a pass keeps every layer's intermediates until it ends, so a
 * spline flow at 16 bins and `chunk` 8 192 outgrew the wasm heap. The worker shrinks the chunk to fit.
 */
export const SAMPLING_PASS_BYTES = 1e9;

/** The rows per sampling pass a run uses: `sampling.chunk`, made smaller where a pass would exceed `SAMPLING_PASS_BYTES`. */
export function samplingChunk(spec: GeneratorSpec, xDim: number): number {
  return Math.max(1, Math.min(spec.sampling.chunk, Math.floor(SAMPLING_PASS_BYTES / bytesPerRow(spec, xDim, false))));
}

/** Chains per AIS pass at sampling: HMC moves hold a backward pass per row, so the chunk shrinks to fit the same bound. */
export function aisChunk(spec: GeneratorSpec, xDim: number): number {
  return Math.max(1, Math.min(spec.sampling.n, samplingChunk(spec, xDim), Math.floor(SAMPLING_PASS_BYTES / bytesPerRow(spec, xDim, true))));
}

/** Held-out rows a run's bidirectional estimate evaluates at most (evenly spaced): one flow pass each. */
export const BIDIRECTIONAL_MAX_ROWS = 20_000;

/** Held-out rows each check during training scores at most (evenly spaced, the same rows every time): their NLL and KL(p‖q). */
export const HELD_OUT_CHECK_ROWS = 4096;

export function estimateCost(spec: RunSpec, xDim: number): CostEstimate {
  return spec.method === 'umbrella' ? umbrellaCost(spec, xDim) : generatorCost(spec, xDim);
}

function generatorCost(spec: GeneratorSpec, xDim: number): CostEstimate {
  const { z, x } = flowDims(spec, xDim);
  const { params } = conditioners(spec, z);
  const memory: CostPart[] = [];
  const work: CostPart[] = [];
  // Weights, gradients, two Adam moments, the best-weights copy, a checkpoint's serialisation.
  memory.push({ field: 'flow.hidden', what: 'flow parameters, gradients, optimiser state and copies', amount: 6 * F32 * params });
  const stages = spec.training.stages;
  const batch = Math.max(spec.explore?.batch ?? 0, ...stages.map((s) => s.batch));
  memory.push({ field: 'training.stages[].batch', what: 'activations of a training step', amount: batch * bytesPerRow(spec, xDim, true) });
  const rows = dataRows(spec);
  if (rows) memory.push({ field: rows.field, what: 'training data (float64, with a float32 copy)', amount: rows.n * x * (F64 + F32) });
  if (spec.explore && spec.data?.source === 'configuration') memory.push({ field: 'data.bufferSize', what: 'exploration buffer', amount: spec.data.bufferSize * x * (F32 + F64) });
  stages.forEach((s, i) => {
    const pool = s.fab?.bufferSize ?? s.anneal?.samples ?? 0;
    if (pool) memory.push({ field: `training.stages[${i}].${s.fab ? 'fab.bufferSize' : 'anneal.samples'}`, what: 'sampler pool', amount: pool * (x * F32 + 3 * F64) });
  });
  const probe = essProbeOf(spec);
  memory.push({ field: 'training.essProbe.samples', what: 'one ESS probe (rows, energies, RC, weights, states)', amount: probe.samples * (x * F32 + 5 * F64 + 1) });
  const n = spec.sampling.n;
  const chunk = Math.min(samplingChunk(spec, xDim), n);
  memory.push({ field: 'sampling.n', what: 'generated samples of one temperature (rows, energies, weights, RC, sort orders)', amount: n * (x * (F32 + F64) + 8 * F64) });
  memory.push({ field: 'sampling.chunk', what: 'one sampling pass', amount: chunk * bytesPerRow(spec, xDim, false) });
  // Molecules pool every draw into the surface: (φ, ψ) and log w per sample, normalised weights, basin masks.
  if (isMoleculeSystem(spec.system.name) && spec.sampling.draws > 1) memory.push({ field: 'sampling.draws', what: 'every draw\'s surface points and weights', amount: n * spec.sampling.draws * (4 * F64 + 4) });
  // Work: every step costs its launches plus ≈ 6·params FLOP per row (forward, backward, weight gradients).
  const step = (rowsPerStep: number): number => STEP_OVERHEAD_S + (6 * params * rowsPerStep) / FLOP_PER_S;
  const pass = (rows: number): number => STEP_OVERHEAD_S / 3 + (2 * params * rows) / FLOP_PER_S;
  let training = 0;
  stages.forEach((s) => (training += stageSteps(s, rows?.n ?? 0) * step(s.batch)));
  work.push({ field: 'training.stages', what: 'training steps', amount: training });
  if (stages.length) work.push({ field: 'training.essProbe', what: 'ESS probes', amount: (probe.count + 1) * (pass(probe.samples) + probe.samples * energySeconds(x)) });
  // An exploration iteration: one training step, then a latent move (an inverse and a forward pass, float64 energies).
  const e = spec.explore;
  if (e) work.push({ field: 'explore.iterations', what: 'exploration iterations', amount: e.iterations * (step(e.batch) + 2 * pass(e.batch) + e.batch * energySeconds(x)) });
  for (const p of simulationSteps(spec)) work.push({ ...p, amount: p.amount * energySeconds(x) });
  const drawn = n * spec.sampling.temperatures.length * spec.sampling.draws;
  // The bidirectional estimate: one inverse pass and the energies of up to BIDIRECTIONAL_MAX_ROWS held-out rows.
  const held = rows && spec.training.heldOut ? Math.min(BIDIRECTIONAL_MAX_ROWS, Math.ceil(rows.n * spec.training.heldOut.fraction)) : 0;
  if (held) work.push({ field: 'training.heldOut', what: 'bidirectional estimate on held-out rows', amount: pass(held) + held * energySeconds(x) });
  // The check at every ESS probe: one inverse pass over up to HELD_OUT_CHECK_ROWS rows; their
  // energies once, for the KL, which needs data at the probes' τ = 1.
  const checked = Math.min(held, HELD_OUT_CHECK_ROWS);
  const klEnergies = (referenceDataTau(spec) ?? 1) === 1 ? checked * energySeconds(x) : 0;
  if (checked && stages.length) work.push({ field: 'training.heldOut', what: 'held-out checks (NLL, KL) at the ESS probes', amount: (probe.count + 1) * pass(checked) + klEnergies });
  work.push({ field: 'sampling.n', what: 'sampling', amount: (2 * params * drawn) / FLOP_PER_S + drawn * energySeconds(x) });
  const ais = spec.sampling.ais;
  if (ais) {
    // One move: a forward pass (Metropolis) or leapfrog + 1 gradient passes (HMC), and float64 energies.
    const flopPerMove = ais.kernel === 'hmc' ? (ais.leapfrog + 1) * 6 * params : 2 * params;
    const chains = drawn + ais.pilotRounds * ais.pilotChains * spec.sampling.temperatures.length;
    const moves = chains * ais.intermediate * ais.transitions;
    work.push({ field: 'sampling.ais', what: 'AIS moves at sampling', amount: (moves * flopPerMove) / FLOP_PER_S + moves * energySeconds(x) });
    memory.push({ field: 'sampling.ais', what: 'AIS chains of one pass (state, proposal, momenta, gradients)', amount: aisChunk(spec, xDim) * (bytesPerRow(spec, xDim, true) + 8 * x * F32 + 12 * F64) });
  }
  return { memoryBytes: sum(memory), memory, seconds: sum(work), work };
}

const sum = (parts: readonly CostPart[]): number => parts.reduce((a, p) => a + p.amount, 0);

/** Gradient steps of a stage (epochs need the data size). */
function stageSteps(s: GeneratorSpec['training']['stages'][number], nData: number): number {
  if (s.anneal) return s.anneal.klIterations + (s.iterations ?? 0) * (s.anneal.ladder.length - 1);
  return s.iterations ?? Math.ceil(((s.epochs ?? 0) * nData) / s.batch);
}

function dataRows(spec: GeneratorSpec): { n: number; field: string } | null {
  const d = spec.data;
  if (d?.source === 'metropolis') return { n: 2 * d.perState, field: 'data.perState' };
  if (d?.source === 'md') return { n: d.frames * d.chains, field: 'data.frames' };
  return null;
}

/** Float64 energy evaluations (counts): reference data, MD, AIS rounds. */
function simulationSteps(spec: GeneratorSpec): CostPart[] {
  const out: CostPart[] = [];
  const d = spec.data;
  if (d?.source === 'metropolis') out.push({ field: 'data.stride', what: 'Metropolis steps', amount: 2 * (d.burnIn + d.perState * d.stride) });
  if (d?.source === 'md') out.push({ field: 'data.stride', what: 'MD steps', amount: d.chains * (d.burnIn + d.frames * d.stride) });
  spec.training.stages.forEach((s, i) => {
    if (!s.fab) return;
    const rounds = Math.ceil((s.iterations ?? 0) / s.fab.updatesPerAis) + Math.ceil(s.fab.minBuffer / s.fab.chains);
    out.push({ field: `training.stages[${i}].fab`, what: 'AIS energy evaluations', amount: rounds * s.fab.chains * (1 + s.fab.intermediate * s.fab.transitions) });
  });
  return out;
}

function umbrellaCost(spec: Extract<RunSpec, { method: 'umbrella' }>, xDim: number): CostEstimate {
  const u = spec.umbrella;
  const samples = u.windows * Math.floor(u.stepsPerWindow / u.stride);
  const memory: CostPart[] = [{ field: 'umbrella.stepsPerWindow', what: 'window samples (RC and energy, float64)', amount: samples * 3 * F64 + xDim * F64 * u.windows }];
  const work: CostPart[] = [{ field: 'umbrella.stepsPerWindow', what: 'Metropolis steps over all windows', amount: u.windows * (u.burnIn + u.stepsPerWindow) * energySeconds(xDim) }];
  return { memoryBytes: sum(memory), memory, seconds: sum(work), work };
}

/** Issues for an estimate over the limits, each at the field that drives the largest part. */
export function costIssues(c: CostEstimate, limits: CostLimits): SpecIssue[] {
  const out: SpecIssue[] = [];
  const largest = (parts: readonly CostPart[]): CostPart => parts.reduce((a, b) => (b.amount > a.amount ? b : a));
  if (c.memoryBytes > limits.memoryBytes) {
    const p = largest(c.memory);
    out.push({ path: p.field, message: `the run needs about ${gb(c.memoryBytes)} of memory (${p.what}: ${gb(p.amount)}); the limit here is ${gb(limits.memoryBytes)}` });
  }
  if (c.seconds > limits.seconds) {
    const p = largest(c.work);
    out.push({ path: p.field, message: `the run would take about ${hours(c.seconds)} on one core (${p.what}: ${hours(p.amount)}); the limit here is ${hours(limits.seconds)}` });
  }
  return out;
}

function hours(s: number): string {
  return s >= 3600 * 1e3 ? `${(s / 3600).toExponential(1)} h` : s >= 3600 ? `${(s / 3600).toFixed(1)} h` : `${Math.ceil(s / 60)} min`;
}

function gb(bytes: number): string {
  return bytes >= 1e9 ? `${(bytes / 1e9).toFixed(1)} GB` : `${Math.ceil(bytes / 1e6)} MB`;
}

import { parentPort } from 'node:worker_threads';
import type { MetricPoint, RunProgress } from '../contract/api';
import type { RunEvent } from '../contract/run-result';
import type { GeneratorSpec } from '../contract/run-spec';
import { createSystem } from '../engine/energies';
import type { ModelSystem } from '../engine/energies/types';
import { evaluateRows } from '../engine/evaluate';
import { normalizedWeights } from '../engine/reweighting';
import { stateIndices } from '../contract/states';
import type { FromWorker, JobOutput, JobRequest, OutputSet, ToWorker } from '../contract/jobs';
import { createProgressLine, eventPoints } from './jobs/progress-points';
import { runTrainSample, type TrainSampleOutput } from './jobs/train-sample';
import { runUmbrella } from './jobs/umbrella';

/** Progress leaves the worker at most this often; every point is kept and sent in the next batch. */
const FLUSH_MS = 100;

const port = parentPort;
if (!port) throw new Error('workers/worker.ts must run inside a worker thread');
const running = new Map<number, AbortController>();
/** Each running job's current share of the cores, which the scheduler may change while it trains. */
const budgets = new Map<number, { current: number }>();
const post = (m: FromWorker, transfer: ArrayBuffer[] = []): void => port.postMessage(m, transfer);

port.on('message', (m: ToWorker) => {
  if (m.type === 'cancel') running.get(m.runId)?.abort();
  else if (m.type === 'cores') {
    const b = budgets.get(m.runId);
    if (b) b.current = m.cores;
  } else void start(m.runId, m.job);
});

/** Runs one job and always answers with `result` or `error` (an AbortError when cancelled). */
async function start(runId: number, job: JobRequest): Promise<void> {
  const ac = new AbortController();
  running.set(runId, ac);
  const budget = { current: job.cores };
  budgets.set(runId, budget);
  let points: MetricPoint[] = [];
  let progress: RunProgress | null = null;
  const progressLine = createProgressLine();
  let backend: string | undefined;
  let lastFlush = 0;
  const flush = (): void => {
    if (!progress) return;
    post({ type: 'progress', runId, points, progress, ...(backend ? { backend } : {}) });
    points = [];
    lastFlush = performance.now();
  };
  const exitAt = job.faults?.workerExitsAtStep;
  const onEvent = (e: RunEvent): void => {
    // Fault injection: the thread dies as a native crash would, without answering.
    if (exitAt !== undefined && e.type === 'train' && e.step >= exitAt) process.exit(3);
    for (const p of eventPoints(e)) points.push(p);
    progress = progressLine(e, progress);
    if (e.type === 'phase' && e.phase === 'backend') backend = e.message.replace(/^backend /, '').split(' ')[0];
    if (e.type === 'phase' || performance.now() - lastFlush >= FLUSH_MS) flush();
  };
  try {
    const output = await execute(job, { onEvent, budget, signal: ac.signal, onCheckpoint: (c) => (flush(), post({ type: 'checkpoint', runId, checkpoint: c })) });
    flush();
    // Transferred, not copied: a 10⁶-sample set is hundreds of MB.
    const transfer = output.sets.flatMap((s) => [s.x, s.u, s.logw, s.w, s.rc, s.state].filter((a) => a !== null).map((a) => a.buffer as ArrayBuffer));
    post({ type: 'result', runId, output }, [...new Set(transfer)]);
  } catch (e) {
    flush();
    const err = e instanceof Error ? e : new Error(String(e));
    post({ type: 'error', runId, error: { name: err.name, message: err.message, ...(err.stack ? { stack: err.stack } : {}) } });
  } finally {
    running.delete(runId);
    budgets.delete(runId);
  }
}

type Hooks = { onEvent: (e: RunEvent) => void; budget: { current: number }; signal: AbortSignal; onCheckpoint: NonNullable<Parameters<typeof runTrainSample>[1]['onCheckpoint']> };

async function execute(job: JobRequest, h: Hooks): Promise<JobOutput> {
  if (job.spec.method === 'umbrella') {
    const r = await runUmbrella(job.spec, { seed: job.seed, onEvent: h.onEvent, signal: h.signal, molecule: job.inputs.molecule });
    return { result: r.result, sets: [], flow: null, windows: r.windows };
  }
  const r = await runTrainSample(job.spec, {
    seed: job.seed,
    onEvent: h.onEvent,
    signal: h.signal,
    resume: job.resume,
    sampleOnly: job.sampleOnly,
    onCheckpoint: h.onCheckpoint,
    checkpointEverySeconds: job.checkpointEverySeconds,
    cores: job.cores,
    coreBudget: h.budget,
    inputs: job.inputs,
    faults: job.faults,
  });
  return { result: r.result, sets: outputSets(job, job.spec, r), flow: r.flowBytes, windows: null };
}

/** A generator run's stored sets: one per sampled τ, then the exploration buffer and the reference data where there are. */
function outputSets(job: JobRequest, spec: GeneratorSpec, r: TrainSampleOutput): OutputSet[] {
  const sets: OutputSet[] = r.samples.map((s, i) => ({
    kind: 'generated',
    name: `generated τ=${s.tau}`,
    tau: s.tau,
    essFraction: r.result.temperatures[i]?.essFraction ?? null,
    x: s.x,
    u: s.u,
    logw: s.logw,
    w: Float64Array.from(normalizedWeights(s.logw)),
    rc: s.rc,
    state: s.state,
  }));
  if (!r.explored && !r.reference) return sets;
  const system = createSystem(spec.system.name, spec.system.params, job.inputs.molecule, { permutationReduction: spec.system.permutationReduction });
  if (r.explored) {
    const n = r.explored.u.length;
    const state = stateIndices(r.explored.rc, system.states);
    sets.push({ kind: 'explored', name: 'exploration buffer', tau: spec.explore?.tau ?? null, essFraction: null, x: r.explored.x, u: r.explored.u, logw: null, w: new Float64Array(n).fill(1 / n), rc: r.explored.rc, state });
  }
  if (r.reference) sets.push(referenceSet(spec, system, r.reference));
  return sets;
}

/** The training data (Metropolis or MD) as a stored set (equal weights), with energies, RC and state. */
function referenceSet(spec: GeneratorSpec, system: ModelSystem, x: Float64Array): OutputSet {
  const { u, rc, state } = evaluateRows(system, x);
  const n = u.length;
  const d = spec.data;
  const tau = d?.source === 'metropolis' || d?.source === 'md' ? d.temperature : 1;
  const what = d?.source === 'md' ? 'MD' : 'Metropolis';
  return { kind: 'reference', name: `${what} reference τ=${tau}`, tau, essFraction: null, x: Float32Array.from(x), u, logw: null, w: new Float64Array(n).fill(1 / n), rc, state };
}

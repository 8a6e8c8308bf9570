import type { CheckpointState } from '../../contract/checkpoint';
import type { SamplerProgress } from '../../contract/progress';
import type { GeneratorSpec } from '../../contract/run-spec';
import { samplingChunk } from '../../contract/run-spec/cost';
import { essProbeOf, referenceDataTau } from '../../contract/run-spec/generator';
import { bidirectional, rowLogWeights } from '../../engine/bidirectional';
import { probeDraws, type ProbeDraws } from '../../engine/ess-probe';
import { evaluateRows, type EvaluatedRows } from '../../engine/evaluate';
import { xDimOf } from '../../engine/flows/types';
import { essFraction } from '../../engine/reweighting';
import { BestWeights, checkHeldOut } from '../../engine/train/held-out';
import { train, type BatchState, type TrainSummary } from '../../engine/train/trainer';
import type { DataParallel } from '../parallel/data-parallel';
import type { ExploreOutcome } from './assemble-result';
import { decodeAdam } from './checkpoint';
import { snapshot, type Run } from './train-setup';

// The training phase of a generator run: the staged schedule on the data (or the final exploration
// buffer), with ESS probes and early stopping on held-out data, on the run's threads.

/** The batch order as checkpoint JSON: base64 of the Uint32 rows (4 bytes a row). */
function encodeBatches(b: BatchState | null | undefined): { batches?: { order: string; pos: number } } {
  return b ? { batches: { order: Buffer.from(b.order.buffer, b.order.byteOffset, b.order.byteLength).toString('base64'), pos: b.pos } } : {};
}

function decodeBatches(b: { order: string; pos: number } | undefined): BatchState | null {
  if (!b) return null;
  const bytes = Buffer.from(b.order, 'base64');
  return { order: new Uint32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)), pos: b.pos };
}

/** The ESS probes draw at τ = 1: the temperature the run is judged at. */
const PROBE_TAU = 1;

/** Staged training (on the data, or on the final exploration buffer); a trained checkpoint's summary where there is nothing to train. */
export async function trainPhase(run: Run, exploreOutcome: ExploreOutcome | null, parallel: DataParallel): Promise<TrainSummary> {
  const { spec, system, built, resume, o, emit } = run;
  if (run.sampleOnly || resume?.phase === 'trained') {
    const heldOut = resume!.state.heldOut;
    return { steps: resume!.step, skippedSteps: resume!.state.skippedSteps, seconds: resume!.state.trainSeconds ?? 0, msPerStep: 0, finalLoss: null, ...(heldOut ? { heldOut } : {}) };
  }
  emit({ type: 'phase', phase: 'train', message: `training ${spec.flow.layers} (${spec.flow.hidden.join('×')})` });
  const ex = exploreOutcome ? { ...exploreState(exploreOutcome, spec), done: true } : undefined;
  const start = resume?.phase === 'train' ? { ...resume.state, adam: resume.optimizer ? decodeAdam(resume.optimizer) : null, sampler: resume.sampler ?? null, batches: decodeBatches(resume.state.batches) } : undefined;
  const dataTau = referenceDataTau(spec) ?? spec.explore?.tau ?? 1;
  const best = resumeBest(run, start !== undefined);
  const checkHeld = heldOutChecks(run, best, dataTau);
  let lastSampler: SamplerProgress | undefined;
  const probe = essProbeOf(spec);
  const probeChunk = samplingChunk(spec, xDimOf(built.flow));
  const summary = await train({
    flow: built.flow,
    system,
    stages: spec.training.stages,
    data: run.fitRows ?? (run.explored ? Float64Array.from(run.explored.buffer) : null),
    dataTau,
    rng: run.rng.train,
    clipNorm: spec.training.clipNorm,
    onProgress: (p) => {
      run.step.now = p.step;
      emit({ type: 'train', ...p });
      // ESS (and the held-out NLL and KL) over time: `count` probes per schedule, and the last step.
      if (p.step % Math.max(1, Math.round(p.totalSteps / probe.count)) === 0 || p.step === p.totalSteps) {
        const draws = probeDraws(built.flow, system, { n: probe.samples, tau: PROBE_TAU, rng: run.rng.ess, chunk: probeChunk });
        emit({ type: 'ess', step: p.step, essFraction: essFraction(draws.logw) });
        if (run.heldOut) checkHeld(p.step, draws);
      }
    },
    ...(start ? { start } : {}),
    onCheckpoint: (p) => {
      // The step and NLL always (the report, and a resume's "best so far"); the weights only where
      // keepBest kept them (`resumeBest`), since only then are they restored.
      const h = best.step !== null && best.nll !== null ? { heldOutBest: { step: best.step, nll: best.nll } } : {};
      const weights = best.save()?.weights ?? null;
      const state = { stage: p.stage, stageStep: p.stageStep, skippedSteps: p.skippedSteps, ...(ex ? { explore: ex } : {}), ...encodeBatches(p.batches), ...h };
      snapshot(run, 'train', p.step, state, p.adam, p.sampler ?? null, weights);
    },
    onSampler: (p) => {
      lastSampler = p;
      emit({ type: 'sampler', ...p });
    },
    ...(o.checkpointEverySeconds !== undefined ? { checkpointEverySeconds: o.checkpointEverySeconds } : {}),
    ...(o.signal ? { signal: o.signal } : {}),
    step: parallel.step,
  });
  const kept = keepBest(run, best, summary.steps);
  const stages = spec.training.stages.length;
  snapshot(run, 'trained', summary.steps, { stage: stages, stageStep: 0, skippedSteps: summary.skippedSteps, trainSeconds: summary.seconds, ...(ex ? { explore: ex } : {}), ...kept }, null);
  return { ...summary, ...kept, cores: parallel.cores, ...(lastSampler ? { sampler: lastSampler } : {}) };
}


/** Early stopping's kept weights: those of the checkpoint a mid-training resume starts from (older checkpoints have none), else none yet. */
function resumeBest(run: Run, resumingTraining: boolean): BestWeights {
  const best = new BestWeights(run.spec.training.heldOut?.keepBest ?? false);
  const c = run.resume;
  const h = c?.state.heldOutBest;
  if (!resumingTraining || !h) return best;
  if (c.best) best.load(run.built.flow, h.step, h.nll, c.best);
  else best.remember(h.step, h.nll);
  return best;
}

/** Fewer of a probe's draws in a state than this, and its KL is not reported: BAR on a handful of draws is noise. */
const MIN_STATE_DRAWS = 10;

/**
 * The held-out checks of one training phase: at each, the NLL (its weights kept if it is the best
 * so far) and, where the data are at the probe's temperature, each state's KL(p‖q) between the
 * probe's draws and the rows. The rows are the same at every check, so their energies are computed once.
 */
function heldOutChecks(run: Run, best: BestWeights, tau: number): (step: number, draws: ProbeDraws) => void {
  let rowsEval: EvaluatedRows | null = null;
  return (step, draws) => {
    const flow = run.built.flow;
    const c = checkHeldOut(flow, run.heldOut!, tau);
    best.offer(flow, step, c.nll);
    let klForward: { A: number | null; B: number | null } | undefined;
    if (tau === PROBE_TAU) {
      rowsEval ??= evaluateRows(run.system, c.rows);
      const logw = rowLogWeights({ ...c, u: rowsEval.u });
      const kl = bidirectional(draws.logw, draws.state, logw, rowsEval.state).states.map((st) => (st.nFlow >= MIN_STATE_DRAWS ? st.klForward : null));
      klForward = { A: kl[0]!, B: kl[1]! };
    }
    run.emit({ type: 'heldOut', step, nll: c.nll, ...(klForward ? { klForward } : {}) });
  };
}

/** With `heldOut.keepBest`, the best-scoring weights go back into the flow; what was kept, for the result. */
function keepBest(run: Run, best: BestWeights, lastStep: number): Pick<TrainSummary, 'heldOut'> {
  const h = run.spec.training.heldOut;
  if (!h || best.step === null) return {};
  const restored = h.keepBest && best.step !== lastStep && best.restore(run.built.flow);
  if (restored) run.emit({ type: 'phase', phase: 'train', message: `kept the weights of step ${best.step} (held-out NLL ${best.nll!.toFixed(3)}, the best checked)` });
  return { heldOut: { bestStep: best.step, bestNll: best.nll!, restored } };
}

function exploreState(e: ExploreOutcome, spec: GeneratorSpec): Omit<NonNullable<CheckpointState['explore']>, 'done'> {
  const iterations = spec.explore?.iterations ?? 0;
  return { iteration: iterations, latentStep: e.finalStep, windowAcc: 0, totalAcc: e.acceptance * iterations, skippedSteps: e.skippedSteps, seconds: e.seconds };
}

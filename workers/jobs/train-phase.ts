import type { CheckpointState } from '../../contract/checkpoint';
import type { SamplerProgress } from '../../contract/progress';
import type { GeneratorSpec } from '../../contract/run-spec';
import { samplingChunk } from '../../contract/run-spec/cost';
import { essProbeOf, referenceDataTau } from '../../contract/run-spec/generator';
import { essProbe } from '../../engine/ess-probe';
import { xDimOf } from '../../engine/flows/types';
import { BestWeights, heldOutNll } from '../../engine/train/held-out';
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
      // ESS (and held-out NLL) over time: `count` probes per schedule, and the last step.
      if (p.step % Math.max(1, Math.round(p.totalSteps / probe.count)) === 0 || p.step === p.totalSteps) {
        emit({ type: 'ess', step: p.step, essFraction: essProbe(built.flow, system, { n: probe.samples, tau: 1, rng: run.rng.ess, chunk: probeChunk }) });
        if (run.heldOut) checkHeldOut(run, best, p.step, dataTau);
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

/** The held-out NLL now, kept with the weights if it is the best so far. */
function checkHeldOut(run: Run, best: BestWeights, step: number, tau: number): void {
  const nll = heldOutNll(run.built.flow, run.heldOut!, tau);
  best.offer(run.built.flow, step, nll);
  run.emit({ type: 'heldOut', step, nll });
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

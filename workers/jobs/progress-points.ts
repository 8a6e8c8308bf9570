import type { MetricPoint, RunProgress } from '../../contract/api';
import type { RunEvent } from '../../contract/run-result';
import type { BufferStats, SamplerProgress, StepLoss } from '../../contract/progress';


/** The metric points one progress event contributes (series names are what charts subscribe to). */
export function eventPoints(e: RunEvent): MetricPoint[] {
  switch (e.type) {
    case 'train':
      return [
        { series: 'train.loss', step: e.step, value: e.loss.total },
        { series: 'train.ml', step: e.step, value: e.loss.ml },
        { series: 'train.kl', step: e.step, value: e.loss.kl },
        { series: 'train.rc', step: e.step, value: e.loss.rc },
        { series: 'train.gradNorm', step: e.step, value: e.gradNorm },
      ];
    case 'explore': {
      const s = e.iteration;
      const pts: MetricPoint[] = [
        { series: 'explore.loss', step: s, value: e.loss.total },
        { series: 'explore.acceptance', step: s, value: e.acceptance },
        { series: 'explore.step', step: s, value: e.step },
      ];
      if (e.buffer) pts.push({ series: 'explore.fractionA', step: s, value: e.buffer.stateFractions.A }, { series: 'explore.fractionB', step: s, value: e.buffer.stateFractions.B });
      return pts;
    }
    case 'sampler':
      return samplerPoints(e);
    case 'umbrella':
      return [{ series: 'umbrella.acceptance', step: e.window, value: e.acceptance }];
    case 'ess':
      return [{ series: 'ess', step: e.step, value: e.essFraction }];
    case 'heldOut': {
      const kl: [string, number | null | undefined][] = [['heldOut.klA', e.klForward?.A], ['heldOut.klB', e.klForward?.B]];
      const pts = kl.filter((k): k is [string, number] => typeof k[1] === 'number').map(([series, value]) => ({ series, step: e.step, value }));
      return [{ series: 'heldOut.ml', step: e.step, value: e.nll }, ...pts];
    }
    case 'phase':
      return [];
  }
}

/** FAB rounds and annealing rungs: the series the sampler charts draw (absent values give no point). */
function samplerPoints(e: SamplerProgress): MetricPoint[] {
  const values: [string, number | undefined][] = [
    ['sampler.temperature', e.temperature],
    ['sampler.ess', e.essFraction],
    ['sampler.acceptance', e.acceptance],
    ['sampler.logZ', e.logZ],
    ['sampler.bufferSize', e.bufferSize],
    ['sampler.bufferAge', e.bufferAge],
  ];
  return values.filter((v): v is [string, number] => v[1] !== undefined && Number.isFinite(v[1])).map(([series, value]) => ({ series, step: e.step, value }));
}

/**
 * The run list's one-line progress for each event of one job (the CLI prints the same line).
 * Buffer statistics arrive every adaptation window; each line shows the job's latest.
 */
export function createProgressLine(): (e: RunEvent, last: RunProgress | null) => RunProgress | null {
  let lastBuffer: BufferStats | undefined;
  let lastSampler: string | undefined;
  return (e, last) => {
    switch (e.type) {
      case 'phase':
        return { phase: e.phase, step: 0, total: 0, message: e.message };
      case 'umbrella':
        return { phase: 'umbrella', step: e.window + 1, total: e.windows, message: `window ${e.window + 1}/${e.windows}  acceptance ${fmt(e.acceptance)}` };
      case 'explore': {
        const b = (lastBuffer = e.buffer ?? lastBuffer);
        const buf = b ? `  buffer A ${fmt(b.stateFractions.A)} B ${fmt(b.stateFractions.B)} rc ≤ ${fmt(b.rcMax)}` : '';
        return { phase: 'explore', step: e.iteration, total: e.totalIterations, message: `explore ${e.iteration}/${e.totalIterations}  ${losses(e)}  acc ${fmt(e.acceptance)} s ${fmt(e.step)}${buf}` };
      }
      case 'train':
        return { phase: 'train', step: e.step, total: e.totalSteps, message: `${e.stageName} step ${e.step}/${e.totalSteps}  ${losses(e)}  |g| ${fmt(e.gradNorm)}${lastSampler ? `  ${lastSampler}` : ''}` };
      case 'sampler':
        lastSampler = samplerLine(e);
        return last;
    }
    return last;
  };
}

/** The latest FAB round or annealing rung, appended to the training line. */
function samplerLine(e: SamplerProgress): string {
  if (e.kind === 'anneal') return `τ ${fmt(e.temperature)} ESS ${fmt(e.essFraction)}`;
  const logZ = e.logZ !== undefined ? ` logZ ${fmt(e.logZ)}${e.logZSe !== undefined ? ` ± ${fmt(e.logZSe)}` : ''}` : '';
  return `AIS acc ${fmt(e.acceptance ?? Number.NaN)} ESS ${fmt(e.essFraction)}${logZ} buffer ${e.bufferSize}`;
}

function losses(e: { loss: StepLoss; skippedSteps: number }): string {
  const l = e.loss;
  return `loss ${fmt(l.total)} (ML ${fmt(l.ml)} KL ${fmt(l.kl)} RC ${fmt(l.rc)})${e.skippedSteps ? `  skipped ${e.skippedSteps}` : ''}`;
}

function fmt(v: number): string {
  return Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(2) : v.toFixed(3);
}

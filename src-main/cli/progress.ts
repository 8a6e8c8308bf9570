import type { RunEvent } from '../contract/run-result';
import type { BufferStats } from '../../workers/engine/samplers/explore';

/**
 * Terminal progress: one self-overwriting line on a TTY (at most ~10 updates/s), a plain line
 * every few seconds otherwise (CI logs), and phase messages on their own lines.
 */
export function createProgressPrinter(stream: NodeJS.WriteStream = process.stderr): (e: RunEvent) => void {
  const tty = Boolean(stream.isTTY);
  const minGapMs = tty ? 100 : 5000;
  let last = 0;
  let pending = false;
  // Buffer statistics arrive every adaptation window; show the latest on every line.
  let lastBuffer: BufferStats | undefined;
  // ETA counts from the start of the current phase (exploration, training, each umbrella sweep).
  let t0 = performance.now();
  return (e) => {
    if (e.type === 'phase') {
      if (pending) stream.write('\n');
      pending = false;
      stream.write(`• ${e.message}\n`);
      t0 = performance.now();
      return;
    }
    if (e.type === 'explore' && e.buffer) lastBuffer = e.buffer;
    const view = describe(e, lastBuffer);
    const now = performance.now();
    if (now - last < minGapMs && view.done < view.total) return;
    last = now;
    const elapsed = (now - t0) / 1000;
    const eta = view.done > 0 ? (elapsed / view.done) * (view.total - view.done) : 0;
    const line = `  ${view.text}  eta ${eta.toFixed(0)}s`;
    if (tty) {
      stream.write(`\r\x1b[2K${line}`);
      pending = view.done < view.total;
      if (!pending) stream.write('\n');
    } else {
      stream.write(`${line}\n`);
    }
  };
}

/** One progress line's text and how far along the phase is. */
function describe(e: Exclude<RunEvent, { type: 'phase' }>, buffer: BufferStats | undefined): { text: string; done: number; total: number } {
  if (e.type === 'umbrella') {
    return { text: `window ${e.window + 1}/${e.windows}  acceptance ${fmt(e.acceptance)}`, done: e.window + 1, total: e.windows };
  }
  const l = e.loss;
  const losses = `loss ${fmt(l.total)} (ML ${fmt(l.ml)} KL ${fmt(l.kl)} RC ${fmt(l.rc)})${e.skippedSteps ? `  skipped ${e.skippedSteps}` : ''}`;
  if (e.type === 'explore') {
    const b = buffer ? `  buffer A ${fmt(buffer.stateFractions.A)} B ${fmt(buffer.stateFractions.B)} rc ≤ ${fmt(buffer.rcMax)}` : '';
    return { text: `explore ${e.iteration}/${e.totalIterations}  ${losses}  acc ${fmt(e.acceptance)} s ${fmt(e.step)}${b}`, done: e.iteration, total: e.totalIterations };
  }
  return { text: `${e.stageName} step ${e.step}/${e.totalSteps}  ${losses}  |g| ${fmt(e.gradNorm)}`, done: e.step, total: e.totalSteps };
}

function fmt(v: number): string {
  return Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(2) : v.toFixed(3);
}

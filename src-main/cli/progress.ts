import type { RunEvent } from '../contract/run-result';

/**
 * Terminal progress: one self-overwriting line on a TTY (at most ~10 updates/s), a plain line
 * every few seconds otherwise (CI logs), and phase messages on their own lines.
 */
export function createProgressPrinter(stream: NodeJS.WriteStream = process.stderr): (e: RunEvent) => void {
  const tty = Boolean(stream.isTTY);
  const minGapMs = tty ? 100 : 5000;
  let last = 0;
  let pending = false;
  const t0 = performance.now();
  return (e) => {
    if (e.type === 'phase') {
      if (pending) stream.write('\n');
      pending = false;
      stream.write(`• ${e.message}\n`);
      return;
    }
    const now = performance.now();
    if (now - last < minGapMs && e.step !== e.totalSteps) return;
    last = now;
    const elapsed = (now - t0) / 1000;
    const eta = e.step > 0 ? (elapsed / e.step) * (e.totalSteps - e.step) : 0;
    const l = e.loss;
    const line =
      `  ${e.stageName} step ${e.step}/${e.totalSteps}  loss ${fmt(l.total)} (ML ${fmt(l.ml)} KL ${fmt(l.kl)} RC ${fmt(l.rc)})` +
      `  |g| ${fmt(e.gradNorm)}${e.skippedSteps ? `  skipped ${e.skippedSteps}` : ''}  eta ${eta.toFixed(0)}s`;
    if (tty) {
      stream.write(`\r\x1b[2K${line}`);
      pending = e.step !== e.totalSteps;
      if (!pending) stream.write('\n');
    } else {
      stream.write(`${line}\n`);
    }
  };
}

function fmt(v: number): string {
  return Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(2) : v.toFixed(3);
}

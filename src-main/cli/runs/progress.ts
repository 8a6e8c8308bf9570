import type { RunProgress } from '../../../contract/api';

/**
 * Terminal progress from the backend's progress lines: one self-overwriting line on a TTY (at
 * most ~10 updates/s), a plain line every few seconds otherwise (CI logs), and each new phase's
 * message on its own line. The ETA counts from the start of the current phase.
 */
export function createProgressPrinter(stream: NodeJS.WriteStream = process.stderr): (p: RunProgress) => void {
  const tty = Boolean(stream.isTTY);
  const minGapMs = tty ? 100 : 5000;
  let last = 0;
  let pending = false;
  let phase = '';
  let lastMessage = '';
  let t0 = performance.now();
  // The first step seen in a phase: a resumed run starts at its checkpoint, not at 0.
  let s0 = 0;
  return (p) => {
    if (p.total === 0) {
      if (p.message === lastMessage) return;
      if (pending) stream.write('\n');
      pending = false;
      stream.write(`• ${p.message}\n`);
      lastMessage = p.message;
      phase = p.phase;
      s0 = -1;
      return;
    }
    if (p.phase !== phase || s0 === -1) ((phase = p.phase), (t0 = performance.now()), (s0 = p.step - 1));
    const now = performance.now();
    if (now - last < minGapMs && p.step < p.total) return;
    last = now;
    const elapsed = (now - t0) / 1000;
    const done = p.step - s0;
    const eta = done > 0 ? (elapsed / done) * (p.total - p.step) : 0;
    const line = `  ${p.message}  eta ${eta.toFixed(0)}s`;
    if (tty) {
      stream.write(`\r\x1b[2K${line}`);
      pending = p.step < p.total;
      if (!pending) stream.write('\n');
    } else {
      stream.write(`${line}\n`);
    }
  };
}

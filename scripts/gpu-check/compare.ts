/** One training step's numbers on one backend: the loss terms and every gradient, flattened. */
export interface StepNumbers {
  readonly backend: string;
  readonly loss: { readonly total: number; readonly ml: number; readonly kl: number };
  readonly grads: Float64Array;
}

export interface StepComparison {
  /** |a − b| / |b| of the total loss and of each term. */
  readonly lossRel: { readonly total: number; readonly ml: number; readonly kl: number };
  /** ‖g_a − g_b‖ / ‖g_b‖ over all gradients. */
  readonly gradRel: number;
  readonly ok: boolean;
  readonly tolerance: number;
}

const rel = (a: number, b: number): number => (a === b ? 0 : Math.abs(a - b) / Math.max(Math.abs(b), Number.MIN_VALUE));

/**
 * Compare a step on the backend under test (`a`) with the reference (`b`, wasm or cpu): relative
 * differences of the losses and of the whole gradient vector, each within `tolerance`. Non-finite
 * numbers anywhere fail the check (a backend that returns NaN must not pass by comparison).
 */
export function compareSteps(a: StepNumbers, b: StepNumbers, tolerance = 1e-3): StepComparison {
  if (a.grads.length !== b.grads.length) throw new Error(`gradient sizes differ: ${a.grads.length} (${a.backend}) vs ${b.grads.length} (${b.backend})`);
  let diff = 0;
  let norm = 0;
  let finite = true;
  for (let i = 0; i < a.grads.length; i++) {
    const x = a.grads[i]!;
    const y = b.grads[i]!;
    if (!Number.isFinite(x) || !Number.isFinite(y)) finite = false;
    diff += (x - y) ** 2;
    norm += y * y;
  }
  const gradRel = norm > 0 ? Math.sqrt(diff / norm) : Math.sqrt(diff);
  const lossRel = { total: rel(a.loss.total, b.loss.total), ml: rel(a.loss.ml, b.loss.ml), kl: rel(a.loss.kl, b.loss.kl) };
  const losses = [a.loss.total, a.loss.ml, a.loss.kl, b.loss.total, b.loss.ml, b.loss.kl];
  finite &&= losses.every(Number.isFinite);
  const ok = finite && gradRel <= tolerance && Object.values(lossRel).every((r) => r <= tolerance);
  return { lossRel, gradRel, ok, tolerance };
}

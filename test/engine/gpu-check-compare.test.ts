import { describe, expect, it } from 'vitest';
import { compareSteps, type StepNumbers } from '../../scripts/gpu-check/compare';

const step = (grads: number[], total = 10, backend = 'x'): StepNumbers => ({ backend, loss: { total, ml: total / 2, kl: total / 2 }, grads: Float64Array.from(grads) });

describe('gpu-check comparison', () => {
  it('passes equal steps and small float32-level differences', () => {
    expect(compareSteps(step([1, 2, 3]), step([1, 2, 3])).ok).toBe(true);
    const c = compareSteps(step([1, 2, 3.0001]), step([1, 2, 3]));
    expect(c.gradRel).toBeCloseTo(1e-4 / Math.sqrt(14), 8);
    expect(c.ok).toBe(true);
  });

  it('fails a gradient or a loss off by more than 1e-3, and any NaN', () => {
    expect(compareSteps(step([1, 2, 3.1]), step([1, 2, 3])).ok).toBe(false);
    expect(compareSteps(step([1, 2, 3], 10.1), step([1, 2, 3], 10)).ok).toBe(false);
    expect(compareSteps(step([1, Number.NaN, 3]), step([1, 2, 3])).ok).toBe(false);
    expect(compareSteps(step([1, 2, 3], Number.NaN), step([1, 2, 3], Number.NaN)).ok).toBe(false);
    expect(() => compareSteps(step([1, 2]), step([1, 2, 3]))).toThrow(/sizes differ/);
  });
});

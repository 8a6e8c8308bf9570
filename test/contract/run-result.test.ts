import { describe, expect, it } from 'vitest';
import { essDrawsOf, type RunResult } from '../../contract/run-result';

const result = (tau: number, temps: { tau: number; essDraws?: number[] }[]): RunResult => ({ tau, temperatures: temps }) as unknown as RunResult;

describe('essDrawsOf', () => {
  it('gives the median of the primary temperature\'s draws (odd and even counts)', () => {
    expect(essDrawsOf(result(1, [{ tau: 0.5, essDraws: [0.9, 0.9, 0.9] }, { tau: 1, essDraws: [0.3, 0.1, 0.2] }]))).toEqual({ median: 0.2, draws: [0.3, 0.1, 0.2] });
    expect(essDrawsOf(result(1, [{ tau: 1, essDraws: [0.4, 0.1, 0.2, 0.3] }]))!.median).toBeCloseTo(0.25, 12);
  });

  it('is null with one draw or none', () => {
    expect(essDrawsOf(result(1, [{ tau: 1, essDraws: [0.3] }]))).toBeNull();
    expect(essDrawsOf(result(1, [{ tau: 1 }]))).toBeNull();
  });
});

/**
 * The 2-D slice (extra dimensions at 0) of the two analytic systems, for the scatter chart's
 * background only. The renderer loads no tfjs, so these copy the formulas of
 * engine/energies/double-well.ts and mueller-brown.ts (energy64) term for term, with the
 * same parameter defaults; keep them in step with those files.
 */
export type Energy2D = (x: number, y: number) => number;

const MB_A = [-200, -100, -170, 15] as const;
const MB_a = [-1, -1, -6.5, 0.7] as const;
const MB_b = [0, 0, 11, 0.6] as const;
const MB_c = [-10, -10, -6.5, 0.7] as const;
const MB_X = [1, 0, -0.5, -1] as const;
const MB_Y = [0, 0.5, 1.5, 1] as const;

export function energy2d(system: string, params: Readonly<Record<string, number>>): Energy2D | null {
  if (system === 'double-well') {
    const { a4 = 1, a2 = 6, a1 = 1, k = 1 } = params;
    return (x, y) => ((a4 * x * x - a2) * x + a1) * x + 0.5 * k * y * y;
  }
  if (system === 'mueller-brown') {
    const { k = 0.1 } = params;
    return (x, y) => {
      let s = 0;
      for (let j = 0; j < 4; j++) {
        const dx = x - MB_X[j]!;
        const dy = y - MB_Y[j]!;
        s += MB_A[j]! * Math.exp(MB_a[j]! * dx * dx + MB_b[j]! * dx * dy + MB_c[j]! * dy * dy);
      }
      return k * s;
    };
  }
  return null;
}

/** The plotted window: around the wells, not the (much larger) quadrature box. */
export const VIEW: Record<string, { x: [number, number]; y: [number, number] }> = {
  'double-well': { x: [-3, 3], y: [-4, 4] },
  'mueller-brown': { x: [-1.8, 1.3], y: [-0.6, 2.2] },
};

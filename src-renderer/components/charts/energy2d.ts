/**
 * The 2-D slice (extra dimensions at 0) of the two analytic systems, for the scatter chart's
 * background only. The formulas and parameter defaults are the engine's own
 * (engine/energies/analytic2d.ts: pure float64, no tfjs), so the contours are the energy the runs sample.
 */
import {
  doubleWellCoefficients,
  doubleWellEnergy,
  MUELLER_BROWN_DEFAULT_K,
  muellerBrownEnergy,
} from '../../../engine/energies/analytic2d';

export type Energy2D = (x: number, y: number) => number;

export function energy2d(system: string, params: Readonly<Record<string, number>>): Energy2D | null {
  if (system === 'double-well') {
    const c = doubleWellCoefficients(params);
    // h = Σ_{i≥2} x_i² = 0 + y·y, as the engine's energy64 sums it.
    return (x, y) => doubleWellEnergy(c, x, 0 + y * y);
  }
  if (system === 'mueller-brown') {
    const { k = MUELLER_BROWN_DEFAULT_K } = params;
    return (x, y) => muellerBrownEnergy(k, x, y, 0);
  }
  return null;
}

/** The plotted window: around the wells, not the (much larger) quadrature box. */
export const VIEW: Record<string, { x: [number, number]; y: [number, number] }> = {
  'double-well': { x: [-3, 3], y: [-4, 4] },
  'mueller-brown': { x: [-1.8, 1.3], y: [-0.6, 2.2] },
};

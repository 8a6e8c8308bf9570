/**
 * The float64 formulas of the two analytic model systems, with their parameter defaults. Pure: no
 * tfjs and no Node import, so the renderer draws its energy contours with these same functions
 * (src-renderer/components/charts/energy2d.ts) and the engine's energy64/gradient64 use them too
 * (double-well.ts, mueller-brown.ts).
 */

/** Double-well parameters: u = a4·x1⁴ − a2·x1² + a1·x1 + (k/2)·Σ_{i≥2} x_i². */
export interface DoubleWellCoefficients {
  readonly a4: number;
  readonly a2: number;
  readonly a1: number;
  readonly k: number;
}

/** The published double-well parameters (not the slides' ¼/½ form). */
export const DOUBLE_WELL_DEFAULTS: DoubleWellCoefficients = { a4: 1, a2: 6, a1: 1, k: 1 };

/** The defaults for every parameter that `params` leaves undefined. */
export function doubleWellCoefficients(params: Readonly<Partial<Record<keyof DoubleWellCoefficients, number>>>): DoubleWellCoefficients {
  const { a4 = DOUBLE_WELL_DEFAULTS.a4, a2 = DOUBLE_WELL_DEFAULTS.a2, a1 = DOUBLE_WELL_DEFAULTS.a1, k = DOUBLE_WELL_DEFAULTS.k } = params;
  return { a4, a2, a1, k };
}

/** The double-well part u1(x1) = ((a4·x1² − a2)·x1 + a1)·x1 (Horner form). */
export function doubleWellU1(c: DoubleWellCoefficients, x: number): number {
  return ((c.a4 * x * x - c.a2) * x + c.a1) * x;
}

/** du1/dx1. */
export function doubleWellDu1(c: DoubleWellCoefficients, x: number): number {
  return (4 * c.a4 * x * x - 2 * c.a2) * x + c.a1;
}

/** The whole energy from x1 and h = Σ_{i≥2} x_i² (summed in coordinate order by the caller). */
export function doubleWellEnergy(c: DoubleWellCoefficients, x1: number, h: number): number {
  return doubleWellU1(c, x1) + 0.5 * c.k * h;
}

/** Mueller–Brown's four Gaussian-like terms A_j·exp(a_j·dx² + b_j·dx·dy + c_j·dy²), dx = x − X_j, dy = y − Y_j. */
export const MB_A = [-200, -100, -170, 15] as const;
export const MB_a = [-1, -1, -6.5, 0.7] as const;
export const MB_b = [0, 0, 11, 0.6] as const;
export const MB_c = [-10, -10, -6.5, 0.7] as const;
export const MB_X = [1, 0, -0.5, -1] as const;
export const MB_Y = [0, 0.5, 1.5, 1] as const;

/** The default Mueller–Brown scale k. */
export const MUELLER_BROWN_DEFAULT_K = 0.1;

/** Σ_j A_j·exp(a_j·dx² + b_j·dx·dy + c_j·dy²), unscaled. */
export function muellerBrown2(x: number, y: number): number {
  let s = 0;
  for (let j = 0; j < 4; j++) {
    const dx = x - MB_X[j]!;
    const dy = y - MB_Y[j]!;
    s += MB_A[j]! * Math.exp(MB_a[j]! * dx * dx + MB_b[j]! * dx * dy + MB_c[j]! * dy * dy);
  }
  return s;
}

/** u = k·[muellerBrown2(x, y) + ½·h], h = Σ_{i≥3} x_i² (summed in coordinate order by the caller). */
export function muellerBrownEnergy(k: number, x: number, y: number, h: number): number {
  return k * (muellerBrown2(x, y) + 0.5 * h);
}

/** k·∇ of the 2-D part at (x, y), written into out[0], out[1]. */
export function muellerBrownGradient2(k: number, x: number, y: number, out: Float64Array): void {
  let gx = 0;
  let gy = 0;
  for (let j = 0; j < 4; j++) {
    const dx = x - MB_X[j]!;
    const dy = y - MB_Y[j]!;
    const e = MB_A[j]! * Math.exp(MB_a[j]! * dx * dx + MB_b[j]! * dx * dy + MB_c[j]! * dy * dy);
    gx += e * (2 * MB_a[j]! * dx + MB_b[j]! * dy);
    gy += e * (MB_b[j]! * dx + 2 * MB_c[j]! * dy);
  }
  out[0] = k * gx;
  out[1] = k * gy;
}

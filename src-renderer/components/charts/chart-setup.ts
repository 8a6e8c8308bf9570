import {
  Chart,
  Decimation,
  Filler,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  LogarithmicScale,
  PointElement,
  ScatterController,
  Tooltip,
} from 'chart.js';

// Register only what the charts use, so the bundle carries no bar/pie/radar code.
Chart.register(LineController, ScatterController, LineElement, PointElement, LinearScale, LogarithmicScale, Filler, Legend, Tooltip, Decimation);

export { Chart };
export type XY = { x: number; y: number };

/** A colour-blind-safe palette (Okabe–Ito), cycled by series index. */
export const PALETTE = ['#0072b2', '#d55e00', '#009e73', '#cc79a7', '#e69f00', '#56b4e9', '#000000', '#f0e442'];
export const colorAt = (i: number): string => PALETTE[i % PALETTE.length]!;

/** `#rrggbb` with an alpha, for bands and fills. */
export function withAlpha(hex: string, alpha: number): string {
  const n = parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
}

/** Viridis-like ramp, t in [0, 1]: used for weights and energies. */
const STOPS = [
  [68, 1, 84],
  [59, 82, 139],
  [33, 145, 140],
  [94, 201, 98],
  [253, 231, 37],
] as const;
export function ramp(t: number, alpha = 1): string {
  const u = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (STOPS.length - 1);
  const i = Math.min(STOPS.length - 2, Math.floor(u));
  const f = u - i;
  const [a, b] = [STOPS[i]!, STOPS[i + 1]!];
  const c = (k: 0 | 1 | 2): number => Math.round(a[k] + f * (b[k] - a[k]));
  return `rgba(${c(0)}, ${c(1)}, ${c(2)}, ${alpha})`;
}

/** Shared options: static charts (animation off), pre-parsed {x, y} points. */
export const BASE_OPTIONS = { animation: false, parsing: false, normalized: true, responsive: true, maintainAspectRatio: false } as const;

/** Tick labels that stay short for huge or tiny values (Chart.js prints 5.0000000000000E-13). */
export const TICKS = {
  callback: (v: number | string): string => {
    const n = Number(v);
    return n !== 0 && (Math.abs(n) >= 1e5 || Math.abs(n) < 1e-3) ? n.toExponential(1) : String(Number(n.toPrecision(4)));
  },
};

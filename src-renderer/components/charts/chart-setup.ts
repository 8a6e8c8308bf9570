import {
  Chart,
  type ChartDataset,
  type ChartOptions,
  Decimation,
  Filler,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  LogarithmicScale,
  type Plugin,
  PointElement,
  ScatterController,
  Tooltip,
} from 'chart.js';
import { untrack } from 'svelte';
import type { Attachment } from 'svelte/attachments';

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

/** A linear axis titled `text` (no title where it is empty); `more` adds or overrides settings (type, ticks, range). */
export const axis = <M extends object = object>(text?: string, more?: M) => ({ type: 'linear' as const, title: { display: !!text, text: text ?? '' }, ...more });

/** Line charts: the tooltip shows the point of each series nearest along x. */
export const NEAREST_X = { mode: 'nearest', axis: 'x', intersect: false } as const;

/** A compact legend (small colour boxes). */
export const LEGEND = { labels: { boxWidth: 12 } };

/**
 * Colours of importance weights on a log scale: `wmax` (by default the largest of `w`) is the top
 * of the ramp, and weights at or below 10⁻⁴ of it share its bottom (dark) end.
 */
const DECADES = 4;
export function weightColors(w: readonly number[], wmax = w.reduce((m, v) => Math.max(m, v), 0) || 1): string[] {
  return w.map((v) => ramp(1 + Math.log10(Math.max(v / wmax, 1e-300)) / DECADES, 0.8));
}

export type ChartKind = 'line' | 'scatter';

/** What one chart component supplies; creating, rebuilding and destroying the chart is `chart`'s. */
export interface ChartSpec<T extends ChartKind> {
  type: T;
  datasets: ChartDataset<T, XY[]>[];
  /** Laid over BASE_OPTIONS. */
  options: ChartOptions<T>;
  /** Inline plugins (e.g. a background image under the datasets). */
  plugins?: Plugin<T>[];
  /**
   * For series that grow in place: subscribe, push new points into the datasets' arrays and call
   * `redraw`; returns the unsubscribe. Without it, a chart only changes by being rebuilt.
   */
  live?: (redraw: () => void) => () => void;
}

/**
 * A Svelte attachment, `<canvas {@attach chart(spec)}>`: creates the chart from `spec()` once the
 * canvas is mounted, rebuilds it whenever state that `spec` reads changes, and destroys it with the
 * canvas. Chart.js runs untracked, so only what `spec` itself reads triggers a rebuild.
 */
export function chart<T extends ChartKind>(spec: () => ChartSpec<T>): Attachment<HTMLCanvasElement> {
  return (canvas) => {
    const { type, datasets, options, plugins = [], live } = spec();
    return untrack(() => {
      const c = new Chart<T, XY[]>(canvas, { type, data: { datasets }, options: { ...BASE_OPTIONS, ...options }, plugins });
      const off = live?.(() => c.update('none'));
      return () => {
        off?.();
        c.destroy();
      };
    });
  };
}

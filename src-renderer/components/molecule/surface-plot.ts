import type { ChartOptions, Plugin } from 'chart.js';
import type { SurfaceResult } from '../../../contract/surface';
import { axis, ramp } from '../charts/chart-setup';

/** Free energies above this many kT share the top colour (the interesting structure lies below). */
export const F_CAP = 10;

/** The colour of free energy f (kT) on a scale topping out at fmax: low F (likely) dark, high F light. */
export const freeColor = (f: number, fmax: number): string => ramp(f / fmax);

/** A common colour scale for the generator and reference grids, so equal colours mean equal F. */
export function colorMax(s: SurfaceResult): number {
  let max = 0;
  for (const g of [s.free, s.reference ?? []]) for (const f of g) if (f !== null && Number.isFinite(f)) max = Math.max(max, f);
  return Math.max(1, Math.min(F_CAP, Math.ceil(max)));
}

/**
 * A bins×bins image of a row-major grid (i along the x axis, j along y), one pixel per cell, y up;
 * cells without weight stay transparent, so the panel's "no data" background shows through.
 */
export function gridImage(grid: readonly (number | null)[], bins: number, fmax: number): HTMLCanvasElement {
  const img = document.createElement('canvas');
  img.width = img.height = bins;
  const g = img.getContext('2d')!;
  for (let i = 0; i < bins; i++)
    for (let j = 0; j < bins; j++) {
      const f = grid[i * bins + j];
      if (f === null || f === undefined || !Number.isFinite(f)) continue;
      g.fillStyle = freeColor(Math.min(f, fmax), fmax);
      g.fillRect(i, bins - 1 - j, 1, 1);
    }
  return img;
}

const NO_DATA = '#eceef2';

/** Draws an image (or a flat "no data" fill) under the datasets, stretched over the chart area, cells kept sharp. */
export function backgroundPlugin(img: HTMLCanvasElement | null): Plugin<'scatter'> {
  return {
    id: 'surfaceBackground',
    beforeDatasetsDraw: (chart) => {
      const { ctx, chartArea: a } = chart;
      ctx.save();
      ctx.fillStyle = NO_DATA;
      ctx.fillRect(a.left, a.top, a.right - a.left, a.bottom - a.top);
      if (img) {
        ctx.imageSmoothingEnabled = false;
        ctx.drawImage(img, a.left, a.top, a.right - a.left, a.bottom - a.top);
      }
      ctx.restore();
    },
  };
}

/** φ/ψ axes over the surface's range, ticks every 90°; no legend or tooltips. */
export function angleOptions(s: SurfaceResult): ChartOptions<'scatter'> {
  const angle = (k: 0 | 1) => axis(`${s.labels[k]} (°)`, { min: s.range[k][0], max: s.range[k][1], ticks: { stepSize: 90 }, grid: { color: 'rgba(0, 0, 0, 0.08)' } });
  return {
    scales: { x: angle(0), y: angle(1) },
    plugins: { legend: { display: false }, tooltip: { enabled: false } },
  };
}

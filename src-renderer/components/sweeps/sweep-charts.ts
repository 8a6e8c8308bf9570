import type { ChartDataset } from 'chart.js';
import type { SweepDetailDto } from '../../../contract/api';
import { axis, colorAt, type ChartSpec, type XY } from '../charts/chart-setup';

type DS = ChartDataset<'scatter', XY[]>;

/** Where each value of the chosen axis sits on x: itself when every value is a number, else its index (labelled). */
export function axisPlacement(d: SweepDetailDto, path: string): { x: (v: unknown) => number; label: (x: number) => string; numeric: boolean } {
  const values = d.axes.find((a) => a.path === path)?.values ?? [];
  const numeric = values.every((v) => typeof v === 'number');
  const keys = values.map((v) => JSON.stringify(v));
  return numeric
    ? { x: (v) => v as number, label: (x) => String(x), numeric }
    : { x: (v) => keys.indexOf(JSON.stringify(v)), label: (x) => keys[Math.round(x)] ?? '', numeric };
}

/** A numeric axis padded by half the values' spacing, so the end points are not drawn on the frame. */
function padded(values: number[] | undefined): { min?: number; max?: number } {
  if (!values?.length) return {};
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const pad = values.length > 1 ? (hi - lo) / (values.length - 1) / 2 : Math.abs(lo) / 2 || 0.5;
  return { min: lo - pad, max: hi + pad };
}

/** A point with its ±err bar: three points on one line (the middle one drawn). */
function bar(label: string, x: number, y: number, err: number, color: string, radius: number, width: number): DS {
  return { label, data: [{ x, y: y - err }, { x, y }, { x, y: y + err }], showLine: true, borderColor: color, backgroundColor: color, pointRadius: [0, radius, 0], borderWidth: width };
}

/**
 * ΔF (or ESS) against one axis: every completed run with its own error bar (small, coloured by
 * group), and per group the mean over seeds with its standard error (large, black).
 */
export function sweepChart(d: SweepDetailDto, path: string, what: 'deltaF' | 'ess'): ChartSpec<'scatter'> {
  const at = axisPlacement(d, path);
  const datasets: DS[] = [];
  const spreadX = (i: number, n: number): number => (n > 1 ? (i / (n - 1) - 0.5) * 0.15 : 0) * (at.numeric ? 0 : 1);
  d.groups.forEach((g, gi) => {
    const members = g.runs.map((k) => d.runs[k]!).filter((r) => r.status === 'completed');
    members.forEach((r, i) => {
      const x = at.x(r.combination?.[path] ?? (path === 'seed' ? r.seed : null)) + spreadX(i, members.length);
      if (what === 'deltaF' && r.deltaF?.value != null) datasets.push(bar(`run ${r.id}`, x, r.deltaF.value, r.deltaF.stderr ?? 0, colorAt(gi), 3, 1));
      if (what === 'ess' && r.essFraction !== null) datasets.push(bar(`run ${r.id}`, x, 100 * r.essFraction, 0, colorAt(gi), 3, 1));
    });
    const gx = g.combination[path] !== undefined ? at.x(g.combination[path]) : null;
    const stat = what === 'deltaF' ? { m: g.deltaF.mean, se: g.deltaF.se } : { m: g.ess.mean === null ? null : 100 * g.ess.mean, se: g.ess.se === null ? null : 100 * g.ess.se };
    if (gx !== null && stat.m !== null) datasets.push(bar(`mean over seeds ${gi + 1}`, gx + 0.05, stat.m, stat.se ?? 0, '#000', 6, 3));
  });
  return {
    type: 'scatter',
    datasets,
    options: {
      plugins: { legend: { display: false } },
      scales: {
        x: axis(path, at.numeric ? padded(d.axes.find((a) => a.path === path)?.values as number[] | undefined) : { min: -0.5, max: Math.max(0.5, (d.axes.find((a) => a.path === path)?.values.length ?? 1) - 0.5), ticks: { stepSize: 1, callback: (v: string | number) => at.label(Number(v)) } }),
        y: axis(what === 'deltaF' ? 'ΔF_AB (kT)' : 'ESS / N (%)', { grace: '5%' }),
      },
    },
  };
}

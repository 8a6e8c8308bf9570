import type { SweepDetailDto, SweepDto } from '../../../contract/api';
import { combinationLabel } from '../../../contract/sweep-spec';
import { num } from '../format';

/** Aligned columns, as `bgw ls` prints them. */
export function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, j) => Math.max(...rows.map((r) => [...(r[j] ?? '')].length)));
  return rows.map((r) => r.map((c, j) => c + ' '.repeat(widths[j]! - [...c].length)).join('  ').trimEnd()).join('\n') + '\n';
}

const pct = (v: number | null): string => (v === null ? '–' : `${(100 * v).toFixed(1)}%`);

export function sweepLine(s: SweepDto): string[] {
  const counts = Object.entries(s.counts).map(([k, v]) => `${v} ${k}`).join(', ');
  return [String(s.id), s.name.slice(0, 40), s.executor, s.axes.map((a) => `${a.path}×${a.values.length}`).join(' '), String(s.runCount), counts, s.createdAt.slice(0, 19).replace('T', ' ')];
}

export function listSweeps(sweeps: readonly SweepDto[]): string {
  if (!sweeps.length) return 'no sweeps yet: bgw sweep <sweep.json>\n';
  return table([['ID', 'NAME', 'EXECUTOR', 'AXES', 'RUNS', 'STATUS', 'CREATED'], ...sweeps.map(sweepLine)]);
}

/**
 * The sweep's runs, then per combination of the non-seed axes: ΔF mean ± SE over seeds, the seed
 * spread beside the runs' own mean error bar (flagged when the spread exceeds twice the error bar:
 * those error bars understate the uncertainty), and ESS.
 */
export function sweepReport(d: SweepDetailDto): string {
  const runs = table([
    ['RUN', 'STATUS', 'COMBINATION', 'SEED', 'ΔF (kT)', 'ESS'],
    ...d.runs.map((r) => [String(r.id), r.status, combinationLabel(r.combination ?? {}), String(r.seed), r.deltaF ? `${num(r.deltaF.value)} ± ${num(r.deltaF.stderr)}` : '–', pct(r.essFraction)]),
  ]);
  const groups = table([
    ['COMBINATION', 'N', 'ΔF MEAN ± SE', 'SEED SPREAD', 'MEAN RUN ERROR', 'ESS MEAN ± SE', ''],
    ...d.groups.map((g) => [
      combinationLabel(g.combination) || '(all)',
      String(g.n),
      g.deltaF.mean === null ? '–' : `${num(g.deltaF.mean)} ± ${num(g.deltaF.se)}`,
      num(g.deltaF.spread),
      num(g.deltaF.meanError),
      g.ess.mean === null ? '–' : `${pct(g.ess.mean)} ± ${pct(g.ess.se)}`,
      g.deltaF.errorBarsTooSmall ? 'run error bars < seed spread' : '',
    ]),
  ]);
  return `sweep ${d.id} "${d.name}" (${d.executor}, ${d.mode}: ${d.axes.map((a) => `${a.path} ∈ ${JSON.stringify(a.values)}`).join(', ')})\n\n${runs}\n${groups}`;
}

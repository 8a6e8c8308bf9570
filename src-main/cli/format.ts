import type { RunResult } from '../../contract/run-result';

/** A figure with `d` decimals; '–' when there is none. */
export const num = (v: number | null | undefined, d = 3): string => (v === null || v === undefined ? '–' : v.toFixed(d));

const pct = (v: number | null, e: number | null): string => (v === null ? '–' : `${(100 * v).toFixed(2)}${e === null || !Number.isFinite(e) ? '' : ` ± ${(100 * e).toFixed(2)}`} %`);

/** Molecule runs: one line per basin, reweighted population against the reference data (MD), and the explored buffer's fractions. */
export function basinLines(r: RunResult, indent = ''): string[] {
  const pooled = (r.surface?.draws ?? 1) > 1 ? `, ${r.surface!.draws} draws` : '';
  const lines = (r.surface?.basins ?? []).map(
    (b) => `${indent}${b.name.padEnd(8)} ${pct(b.population, b.stderr)} reweighted${pooled} (raw ${pct(b.rawFraction, null)})${b.reference === null ? '' : `, MD ${pct(b.reference, b.referenceStderr)}`}`,
  );
  if (r.explore?.basins) lines.push(`${indent}explored buffer: ${r.explore.basins.map((b) => `${b.name} ${pct(b.fraction, null)}`).join(', ')}`);
  return lines;
}

/** FAB or annealing: what the last AIS round (or rung) saw. */
export function samplerLines(result: Pick<RunResult, 'training'>, indent = ''): string[] {
  const s = result.training?.sampler;
  if (!s) return [];
  if (s.kind === 'anneal') return [`${indent}annealing: last rung τ ${s.temperature}, its ESS ${(100 * s.essFraction).toFixed(1)}% of ${s.bufferSize}`];
  const logZ = s.logZ !== undefined ? `, log Z ${s.logZ.toFixed(3)} ± ${(s.logZSe ?? Number.NaN).toFixed(3)}` : '';
  return [`${indent}FAB: last AIS round ESS ${(100 * s.essFraction).toFixed(1)}%, acceptance ${(s.acceptance ?? Number.NaN).toFixed(2)}${logZ}, buffer ${s.bufferSize} rows (mean age ${s.bufferAge.toFixed(1)} rounds)`];
}

/** With held-out data at the primary temperature: ΔF by BAR and each state's KL(p‖q). */
export function bidirectionalLines(r: Pick<RunResult, 'tau' | 'temperatures' | 'deltaF'>, indent = ''): string[] {
  const b = r.temperatures.find((t) => t.tau === r.tau)?.bidirectional;
  if (!b) return [];
  const kl = `KL(p‖q) ${r.deltaF.A} ${num(b.klForward.A, 1)}, ${r.deltaF.B} ${num(b.klForward.B, 1)} nats`;
  return [`${indent}BAR with ${b.nData.A + b.nData.B} held-out rows: ΔF(${r.deltaF.B} − ${r.deltaF.A}) ${num(b.deltaF.value)} ± ${num(b.deltaF.stderr)} kT; ${kl}`];
}

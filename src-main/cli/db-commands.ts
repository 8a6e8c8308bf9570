import { basinLines } from './basins';
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { openDatabase, Repositories } from '../../db';
import type { RunDto, SampleSetDto } from '../../contract/api';
import { UsageError } from './usage-error';

/**
 * Commands beside a running backend open the database without its lock (WAL readers never block).
 * Reading commands need an existing file: a mistyped --db must not create an empty database.
 */
export function openRepos(dbPath: string, o: { create?: boolean } = {}): Repositories {
  try {
    return new Repositories(openDatabase(dbPath, { mustExist: !o.create }));
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

const num = (v: number | null | undefined, d = 3): string => (v === null || v === undefined ? '–' : v.toFixed(d));

function progressText(r: RunDto): string {
  const p = r.progress;
  if (r.status !== 'running' || !p) return '';
  return p.total > 0 ? `${p.phase} ${p.step}/${p.total}` : p.phase;
}

/** `bgw ls`: one line per run. */
export function listRuns(repos: Repositories, projectId?: number): string {
  const rows = repos.runs.list(projectId).map((r) => [
    String(r.id),
    r.status,
    r.name.slice(0, 40),
    r.system,
    r.method,
    r.deltaF ? `${num(r.deltaF.value)} ± ${num(r.deltaF.stderr)}` : '–',
    r.essFraction === null ? '–' : `${(100 * r.essFraction).toFixed(1)}%`,
    progressText(r),
    r.createdAt.slice(0, 19).replace('T', ' '),
  ]);
  if (rows.length === 0) return 'no runs yet: bgw run <spec.json>\n';
  const table = [['ID', 'STATUS', 'NAME', 'SYSTEM', 'METHOD', 'ΔF (kT)', 'ESS', 'PROGRESS', 'CREATED'], ...rows];
  const widths = table[0]!.map((_, j) => Math.max(...table.map((r) => [...r[j]!].length)));
  return table.map((r) => r.map((c, j) => c + ' '.repeat(widths[j]! - [...c].length)).join('  ').trimEnd()).join('\n') + '\n';
}

export function mustRun(repos: Repositories, arg: string | undefined): RunDto {
  const id = Number(arg);
  if (!arg || !Number.isInteger(id) || id < 1) throw new UsageError(`expected a run id (a positive integer), got '${arg ?? ''}'`);
  const run = repos.runs.get(id);
  if (!run) throw new UsageError(`run ${id} does not exist (bgw ls lists the runs)`);
  return run;
}

/** `bgw show <run>`: status, figures, sample sets and the latest checkpoint. */
export function showRun(repos: Repositories, run: RunDto): string {
  const d = repos.runs.detail(run.id)!;
  const r = d.result;
  const lines = [
    `run ${d.id}: ${d.name}`,
    `  status     ${d.status}${d.error ? ` (${d.error})` : ''}`,
    `  system     ${d.system} (${d.method}), seed ${d.seed}, backend ${d.backend ?? '–'}`,
    `  created    ${d.createdAt}${d.startedAt ? `, started ${d.startedAt}` : ''}${d.finishedAt ? `, finished ${d.finishedAt}` : ''}`,
  ];
  if (d.parentId !== null) lines.push(`  from run   ${d.parentId}`);
  if (d.progress && d.status !== 'completed') lines.push(`  progress   ${d.progress.phase}${d.progress.total ? ` ${d.progress.step}/${d.progress.total}` : ''}: ${d.progress.message}`);
  if (d.lastCheckpointStep !== null) lines.push(`  checkpoint step ${d.lastCheckpointStep}`);
  if (r) {
    lines.push(`  ΔF(${r.deltaF.B} − ${r.deltaF.A}) at τ=${r.tau}: ${num(r.deltaF.value)} ± ${num(r.deltaF.stderr)} kT${r.exact ? ` (exact ${num(r.exact.deltaF)})` : ''}`);
    if (r.essFraction !== null) lines.push(`  ESS        ${(100 * r.essFraction).toFixed(2)}% of ${r.nSamples}`);
    lines.push(...basinLines(r, '  basin      '));
    for (const w of r.warnings) lines.push(`  warning    ${w}`);
  }
  for (const s of repos.samples.listSets({ runId: d.id })) lines.push(`  samples    set ${s.id}: ${s.name}, ${s.n} × ${s.dim}${s.essFraction === null ? '' : `, ESS ${(100 * s.essFraction).toFixed(2)}%`}`);
  return lines.join('\n') + '\n';
}

/** The set `bgw export <run>` writes: `--set`, else the generated set at the run's primary τ. */
export function exportSet(repos: Repositories, run: RunDto, setArg: string | undefined): SampleSetDto {
  const sets = repos.samples.listSets({ runId: run.id });
  if (setArg !== undefined) {
    const s = sets.find((x) => String(x.id) === setArg);
    if (!s) throw new UsageError(`run ${run.id} has no sample set ${setArg} (its sets: ${sets.map((x) => x.id).join(', ') || 'none'})`);
    return s;
  }
  const tau = repos.runs.detail(run.id)?.result?.tau ?? 1;
  const s = sets.find((x) => x.kind === 'generated' && x.tau === tau) ?? sets[0];
  if (!s) throw new UsageError(`run ${run.id} has no samples to export (status ${run.status})`);
  return s;
}

/** File format from `--format` or the extension. */
export function importFormat(path: string, flag: string | undefined): 'pdb' | 'csv' | 'json' {
  const f = (flag ?? extname(path).slice(1)).toLowerCase();
  if (f === 'pdb' || f === 'csv' || f === 'json') return f;
  throw new UsageError(`cannot tell the format of ${path}: use --format pdb|csv|json`);
}

export async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
}

import type { Command } from 'commander';
import type { Repositories } from '../../../db';
import type { RunDto, SweepDetailDto } from '../../../contract/api';
import { sweepDetailFrom } from '../../backend/sweeps/sweep-detail';
import { UsageError } from '../usage-error';
import { num } from '../format';
import { databasePath, positiveInt } from '../options';

export function registerLs(program: Command): void {
  program
    .command('ls')
    .usage('[--project ID] [--sweep [ID]]')
    .description('list runs: status, ΔF, ESS, progress; or sweeps')
    .option('--project <ID>', "only this project's runs", positiveInt('--project'))
    .option('--sweep [ID]', 'list sweeps; with an id, that sweep\'s runs and aggregates')
    .action(async (flags: { project?: number; sweep?: string | true }, cmd: Command) => {
      const { openRepos } = await import('../repos');
      const repos = openRepos(await databasePath(cmd));
      if (flags.sweep === undefined) return void process.stdout.write(listRuns(repos, flags.project));
      const { listSweeps, sweepReport } = await import('../sweeps/format');
      if (flags.sweep === true) return void process.stdout.write(listSweeps(repos.sweeps.list(flags.project)));
      const id = positiveInt('--sweep')(flags.sweep);
      process.stdout.write(sweepReport(sweepDetailOf(repos, id)));
    });
}

/** The sweep's detail as the API gives it (runs and aggregates), from the database alone. */
function sweepDetailOf(repos: Repositories, id: number): SweepDetailDto {
  const s = repos.sweeps.get(id);
  if (!s) throw new UsageError(`sweep ${id} does not exist (bgw ls --sweep lists them)`);
  return sweepDetailFrom(s, repos.runs.ofSweep(id));
}

function progressText(r: RunDto): string {
  const p = r.progress;
  if (r.status !== 'running' || !p) return '';
  return p.total > 0 ? `${p.phase} ${p.step}/${p.total}` : p.phase;
}

/** One line per run, in aligned columns. */
function listRuns(repos: Repositories, projectId?: number): string {
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

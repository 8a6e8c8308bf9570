import type { Command } from 'commander';
import type { Repositories } from '../../../db';
import type { RunDto } from '../../../contract/api';
import { num } from '../format';
import { databasePath, positiveInt } from '../options';

export function registerLs(program: Command): void {
  program
    .command('ls')
    .usage('[--project ID]')
    .description('list runs: status, ΔF, ESS, progress')
    .option('--project <ID>', "only this project's runs", positiveInt('--project'))
    .action(async (flags: { project?: number }, cmd: Command) => {
      const { openRepos } = await import('../repos');
      process.stdout.write(listRuns(openRepos(await databasePath(cmd)), flags.project));
    });
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

import type { Command } from 'commander';
import type { Repositories } from '../../../db';
import type { RunDto } from '../../../contract/api';
import { essDrawsOf, type RunResult } from '../../../contract/run-result';
import { basinLines, bidirectionalLines, num, samplerLines } from '../format';
import { databasePath } from '../options';

export function registerShow(program: Command): void {
  program
    .command('show')
    .usage('<run>')
    .description("a run's status, figures and sample sets")
    .argument('<run>', 'the run id (bgw ls lists them)')
    .action(async (runArg: string, _flags: object, cmd: Command) => {
      const { openRepos, mustRun } = await import('../repos');
      const repos = openRepos(await databasePath(cmd));
      process.stdout.write(showRun(repos, mustRun(repos, runArg)));
    });
}

function showRun(repos: Repositories, run: RunDto): string {
  const d = repos.runs.detail(run.id)!;
  const r = d.result;
  const lines = [
    `run ${d.id}: ${d.name}`,
    `  status     ${d.status}${d.error ? ` (${d.error})` : ''}`,
    `  system     ${d.system} (${d.method}), seed ${d.seed}, backend ${d.backend ?? '–'}${d.cores ? `, ${d.cores} core${d.cores > 1 ? 's' : ''}` : ''}`,
    `  created    ${d.createdAt}${d.startedAt ? `, started ${d.startedAt}` : ''}${d.finishedAt ? `, finished ${d.finishedAt}` : ''}`,
  ];
  if (d.parentId !== null) lines.push(`  from run   ${d.parentId}`);
  if (d.progress && d.status !== 'completed') lines.push(`  progress   ${d.progress.phase}${d.progress.total ? ` ${d.progress.step}/${d.progress.total}` : ''}: ${d.progress.message}`);
  if (d.lastCheckpointStep !== null) lines.push(`  checkpoint step ${d.lastCheckpointStep}`);
  if (r) {
    lines.push(`  ΔF(${r.deltaF.B} − ${r.deltaF.A}) at τ=${r.tau}: ${num(r.deltaF.value)} ± ${num(r.deltaF.stderr)} kT${r.exact ? ` (exact ${num(r.exact.deltaF)})` : ''}`);
    if (r.essFraction !== null) lines.push(`  ESS        ${(100 * r.essFraction).toFixed(2)}% of ${r.nSamples}${drawsNote(r)}`);
    const h = r.training?.heldOut;
    if (h) lines.push(`  held out   best NLL ${h.bestNll.toFixed(3)} at step ${h.bestStep} of ${r.training!.steps}${h.restored ? ' (its weights were kept)' : ''}`);
    lines.push(...bidirectionalLines(r, '  reverse    '));
    lines.push(...samplerLines(r, '  sampler    '));
    lines.push(...basinLines(r, '  basin      '));
    for (const w of r.warnings) lines.push(`  warning    ${w}`);
  }
  for (const s of repos.samples.listSets({ runId: d.id })) lines.push(`  samples    set ${s.id}: ${s.name}, ${s.n} × ${s.dim}${s.essFraction === null ? '' : `, ESS ${(100 * s.essFraction).toFixed(2)}%`}`);
  return lines.join('\n') + '\n';
}

/** Several fresh draws (`sampling.draws`): their median and each, beside the stored set's ESS. */
function drawsNote(r: RunResult): string {
  const d = essDrawsOf(r);
  return d ? `; median of ${d.draws.length} fresh draws ${(100 * d.median).toFixed(2)}% (${d.draws.map((v) => (100 * v).toFixed(2)).join(', ')})` : '';
}

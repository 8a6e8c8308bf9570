import { Option, type Command } from 'commander';
import type { Repositories } from '../../../db';
import type { RunDto, SampleSetDto } from '../../../contract/api';
import { databasePath, positiveInt, seedValue } from '../options';
import { UsageError } from '../usage-error';

interface ExportFlags {
  readonly format: 'csv' | 'pdb';
  readonly out: string;
  readonly resample?: number;
  readonly set?: string;
  readonly seed: number;
}

export function registerExport(program: Command): void {
  program
    .command('export')
    .usage('<run> --format csv|pdb [--resample N] [--set ID] -o <file>')
    .description("write a run's samples (weighted, or N resampled)")
    .argument('<run>', 'the run id (bgw ls lists them)')
    .addOption(new Option('--format <format>', 'file format').choices(['csv', 'pdb']).makeOptionMandatory())
    .requiredOption('-o, --out <file>', 'the file to write (replaced if it exists; never the database)')
    .option('--resample <N>', 'N unweighted rows by systematic resampling instead of the weighted set', positiveInt('--resample', 1e7))
    .option('--set <ID>', "which of the run's sample sets (default: the generated set at its τ)")
    .option('--seed <N>', 'seed for --resample', seedValue, 0)
    .action(async (runArg: string, flags: ExportFlags, cmd: Command) => {
      const { openRepos, mustRun } = await import('../repos');
      const dbPath = await databasePath(cmd);
      const repos = openRepos(dbPath);
      const set = exportSet(repos, mustRun(repos, runArg), flags.set);
      const { exportSampleSet } = await import('../../backend/export/export-set');
      const { databaseFiles } = await import('../../../db/connection');
      const r = await exportSampleSet(repos.samples, {
        setId: set.id,
        format: flags.format,
        resample: flags.resample,
        path: flags.out,
        seed: flags.seed,
        overwrite: true, // -o replaces the file, as other tools' -o does; never the database's own
        protect: databaseFiles(dbPath),
      }).catch((e: Error) => {
        throw new UsageError(`cannot export to ${flags.out}: ${e.message}`);
      });
      process.stdout.write(`wrote ${r.rows} ${flags.resample ? 'resampled' : 'weighted'} samples of set ${set.id} (${set.name}) to ${r.path}\n`);
    });
}

/** `--set`, else the generated set at the run's primary τ. */
function exportSet(repos: Repositories, run: RunDto, setArg: string | undefined): SampleSetDto {
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

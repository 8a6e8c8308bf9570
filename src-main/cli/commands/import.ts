import { Option, type Command } from 'commander';
import { stat } from 'node:fs/promises';
import { extname } from 'node:path';
import { DEFAULT_IMPORT_FILE_LIMIT } from '../../../contract/api';
import { FORCEFIELDS, SYSTEM_NAMES } from '../../../contract/systems';
import { databasePath, positiveInt } from '../options';
import { UsageError } from '../usage-error';

interface ImportFlags {
  readonly system: string;
  readonly format?: string;
  readonly project?: number;
  readonly params?: Record<string, number>;
  readonly forcefield?: string;
  readonly maxMb?: number;
}

export function registerImport(program: Command): void {
  program
    .command('import')
    .usage('<file> --system NAME [--format pdb|csv|json] [--project ID] [--params JSON] [--forcefield NAME]')
    .summary('store configurations (a start, training data, or a molecule)')
    .description('store configurations: a start, training data, or a molecule (bgw import file.pdb --system molecule --forcefield amber99sbildn)')
    .argument('<file>', 'a PDB (one configuration per MODEL), CSV or JSON file')
    .addOption(new Option('--system <name>', 'the system the configurations belong to').choices(SYSTEM_NAMES).makeOptionMandatory())
    .option('--format <format>', 'pdb, csv or json (default: from the extension)')
    .option('--project <ID>', 'the project to store the set in (default: the default project)', positiveInt('--project'))
    .option('--params <JSON>', `the system's parameters, e.g. '{"nSolvent": 36}'`, jsonObject)
    .addOption(new Option('--forcefield <name>', 'molecules: the shipped force field that types the structure').choices(FORCEFIELDS))
    .option('--max-mb <N>', `the largest file to read, in MiB (default ${DEFAULT_IMPORT_FILE_LIMIT / (1024 * 1024)}; CSV and PDB stream in a few MB of memory, JSON is read whole)`, positiveInt('--max-mb', 1 << 24))
    .action(async (file: string, flags: ImportFlags, cmd: Command) => {
      const { openRepos } = await import('../repos');
      const repos = openRepos(await databasePath(cmd), { create: true });
      const projectId = flags.project ?? repos.projects.defaultId();
      if (!repos.projects.get(projectId)) throw new UsageError(`project ${projectId} does not exist`);
      const { importSampleSet } = await import('../../backend/import/import-set');
      const { isProcessAlive } = await import('../../../db/lock');
      const format = importFormat(file, flags.format);
      await checkSize(file, (flags.maxMb ?? DEFAULT_IMPORT_FILE_LIMIT / (1024 * 1024)) * 1024 * 1024);
      await repos.samples.discardAbandonedImports(isProcessAlive);
      const system = { name: flags.system, params: flags.params ?? {}, forcefield: flags.forcefield }; // a force-field name here (energy takes an XML path)
      // Ctrl-C stops the import and removes what it stored.
      const abort = new AbortController();
      const onSigint = (): void => abort.abort();
      process.once('SIGINT', onSigint);
      const set = await importSampleSet(repos.samples, { projectId, system, format, source: { path: file }, name: file }, { signal: abort.signal, pid: process.pid, onProgress: progressLine() })
        .catch((e: Error) => {
          throw new UsageError(abort.signal.aborted ? `import of ${file} cancelled; nothing was stored` : `cannot import ${file}: ${e.message}`);
        })
        .finally(() => process.off('SIGINT', onSigint));
      const hint = `"system": {"name": "${flags.system}"${flags.system === 'molecule' ? `, "structure": {"setId": ${set.id}}` : ''}}`;
      process.stdout.write(`imported ${set.n} configuration(s) from ${file} as sample set ${set.id}${set.molecule ? ` (a molecule: run it with ${hint})` : ''}\n`);
    });
}

/** Refuse a file over the limit (or missing) before reading it. */
async function checkSize(file: string, limit: number): Promise<void> {
  const info = await stat(file).catch((e: Error) => {
    throw new UsageError(`cannot read ${file}: ${e.message}`);
  });
  if (info.size > limit) {
    throw new UsageError(`${file} is ${(info.size / (1024 * 1024)).toFixed(0)} MiB; imports take at most ${(limit / (1024 * 1024)).toFixed(0)} MiB (--max-mb raises it)`);
  }
}

/** Progress on stderr when it is a terminal, at most twice a second. */
function progressLine(): ((p: { bytes: number; totalBytes: number; rows: number }) => void) | undefined {
  if (!process.stderr.isTTY) return undefined;
  let last = 0;
  return (p) => {
    if (Date.now() - last < 500) return;
    last = Date.now();
    process.stderr.write(`\r  ${p.rows} configurations, ${((100 * p.bytes) / Math.max(1, p.totalBytes)).toFixed(0)} % of the file`);
  };
}

function jsonObject(v: string): Record<string, number> {
  let value: unknown;
  try {
    value = JSON.parse(v);
  } catch {
    value = null;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new UsageError(`--params must be a JSON object, e.g. '{"nSolvent": 36}'`);
  return value as Record<string, number>;
}

/** File format from `--format` or the extension. */
function importFormat(path: string, flag: string | undefined): 'pdb' | 'csv' | 'json' {
  const f = (flag ?? extname(path).slice(1)).toLowerCase();
  if (f === 'pdb' || f === 'csv' || f === 'json') return f;
  throw new UsageError(`cannot tell the format of ${path}: use --format pdb|csv|json`);
}

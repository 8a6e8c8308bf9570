import { basinLines } from './cli/basins';
import { parseArgs } from 'node:util';
import { loadSpec } from './cli/load-spec';
import { createProgressPrinter } from './cli/progress';
import { UsageError } from './cli/usage-error';
// tfjs and the engine load only for commands that compute (about 2 s), so `validate`, `--help`
// and usage errors answer at once.
const loadBackend = () => import('../engine/compute/select');

const USAGE = `usage:
  bgw run <spec.json> [--out <dir>] [--seed N] [--quiet]   run a spec (train, sample, reweight); stored in the database
  bgw ls [--project ID]                                    list runs
  bgw show <run>                                           a run's status, figures and sample sets
  bgw export <run> --format csv|pdb [--resample N] [--set ID] -o <file>
                                                           write a run's samples (weighted, or N resampled)
  bgw resume <run>                                         continue an interrupted, failed or cancelled run
  bgw import <file> --system NAME [--format pdb|csv|json] [--project ID] [--params JSON] [--forcefield NAME]
                                                           store configurations (a start, training data, or a molecule:
                                                           --system molecule --forcefield amber99sbildn file.pdb)
  bgw serve [--port N] [--host H --allow-remote] [--workers N]
                                                           start the API; prints its URL with the token
  bgw energy <file.pdb> --forcefield <file.xml> [--temperature K]
                                                           each model's force-field energy (kJ/mol), one line per model
  bgw validate <spec.json>                                 check a run spec and exit
  bgw backend                                              show which compute backend would be used and why
options: --db <file> (or BGW_DB) picks the database; default ${'<user data dir>'}/bgw/workbench.db
environment: BGW_BACKEND=auto|tensorflow|webgpu|wasm|cpu overrides the spec's backend`;

/** An invalid BGW_BACKEND is the user's mistake: fail with exit 2 before any work, not 1 mid-run. */
async function checkBackendEnv(): Promise<void> {
  const { resolveComputeChoice } = await loadBackend();
  try {
    resolveComputeChoice();
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

const positiveInt = (flag: string, v: string | undefined, max = 2 ** 31 - 1): number | undefined => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!(Number.isInteger(n) && n >= 1 && n <= max)) throw new UsageError(`${flag} must be an integer in [1, ${max}], got '${v}'`);
  return n;
};

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      out: { type: 'string', short: 'o' },
      seed: { type: 'string' },
      quiet: { type: 'boolean', short: 'q' },
      help: { type: 'boolean', short: 'h' },
      db: { type: 'string' },
      project: { type: 'string' },
      format: { type: 'string' },
      resample: { type: 'string' },
      set: { type: 'string' },
      system: { type: 'string' },
      params: { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      'allow-remote': { type: 'boolean' },
      workers: { type: 'string' },
      'checkpoint-every': { type: 'string' },
      forcefield: { type: 'string' },
      temperature: { type: 'string' },
    },
  });
  const [command, ...rest] = positionals;
  if (values.help || !command) {
    process.stdout.write(`${USAGE}\n`);
    return command || values.help ? 0 : 2;
  }
  const { resolveDatabasePath } = await import('../db/connection');
  const dbPath = resolveDatabasePath(values.db);
  const db = () => import('./cli/db-commands');
  switch (command) {
    case 'run':
    case 'resume': {
      const target = rest[0];
      if (!target) throw new UsageError(command === 'run' ? 'run needs a spec file: bgw run <spec.json> [--out <dir>]' : 'resume needs a run id: bgw resume <run>');
      await checkBackendEnv();
      const seed = values.seed === undefined ? undefined : Number(values.seed);
      if (seed !== undefined && !(Number.isInteger(seed) && seed >= 0 && seed < 2 ** 31)) {
        throw new UsageError(`--seed must be an integer in [0, 2^31), got '${values.seed}'`);
      }
      const ac = new AbortController();
      process.once('SIGINT', () => ac.abort());
      const { runCommand, resumeCommand } = await import('./cli/run-command');
      const common = {
        dbPath,
        ...(values.quiet ? {} : { onProgress: createProgressPrinter() }),
        onQueued: (r: { id: number }) => process.stderr.write(`bgw: run ${r.id} ${command === 'run' ? 'queued' : 'resuming'} (database ${dbPath})\n`),
        signal: ac.signal,
      };
      const { run, result, files } =
        command === 'run'
          ? await runCommand({ specPath: target, ...(values.out ? { outDir: values.out } : {}), ...(seed !== undefined ? { seed } : {}), ...common })
          : await resumeCommand({ runId: target, ...common });
      const d = result.deltaF;
      const num = (v: number | null): string => (v === null ? 'n/a' : v.toFixed(3));
      const error = d.value === null || !result.exact ? null : d.value - result.exact.deltaF;
      const exact = result.exact ? `  (exact ${num(result.exact.deltaF)}, error ${num(error)})` : '';
      for (const w of result.warnings) process.stderr.write(`bgw: warning: ${w}\n`);
      process.stdout.write(
        `run ${run.id} completed\n` +
          `ΔF(${d.B} − ${d.A}) at τ=${result.tau}: ${num(d.value)} ± ${num(d.stderr)} kT${exact}\n` +
          (result.essFraction === null
            ? `${result.nSamples} umbrella samples in ${result.umbrella?.windows.length ?? 0} windows  ·  `
            : `ESS ${(100 * result.essFraction).toFixed(1)}% of ${result.nSamples}  ·  ${result.timing.msPerStep.toFixed(1)} ms/step  ·  `) +
          `backend ${result.backend.name}  ·  seed ${result.seed}\n` +
          basinLines(result).map((l) => `${l}\n`).join('') +
          files.map((f) => `wrote ${f}`).join('\n') +
          (files.length ? '\n' : ''),
      );
      return 0;
    }
    case 'ls': {
      const { openRepos, listRuns } = await db();
      process.stdout.write(listRuns(openRepos(dbPath), positiveInt('--project', values.project)));
      return 0;
    }
    case 'show': {
      const { openRepos, mustRun, showRun } = await db();
      const repos = openRepos(dbPath);
      process.stdout.write(showRun(repos, mustRun(repos, rest[0])));
      return 0;
    }
    case 'export': {
      const { openRepos, mustRun, exportSet } = await db();
      if (values.format !== 'csv' && values.format !== 'pdb') throw new UsageError('export needs --format csv|pdb');
      if (!values.out) throw new UsageError('export needs -o <file>');
      const repos = openRepos(dbPath);
      const set = exportSet(repos, mustRun(repos, rest[0]), values.set);
      const { exportSampleSet } = await import('./backend/export/export-set');
      const { databaseFiles } = await import('../db/connection');
      const r = await exportSampleSet(repos.samples, {
        setId: set.id,
        format: values.format,
        resample: positiveInt('--resample', values.resample, 1e7),
        path: values.out,
        seed: Number(values.seed ?? 0),
        overwrite: true, // -o replaces the file, as other tools' -o does; never the database's own
        protect: databaseFiles(dbPath),
      }).catch((e: Error) => {
        throw new UsageError(`cannot export to ${values.out}: ${e.message}`);
      });
      process.stdout.write(`wrote ${r.rows} ${values.resample ? 'resampled' : 'weighted'} samples of set ${set.id} (${set.name}) to ${r.path}\n`);
      return 0;
    }
    case 'import': {
      const { openRepos, importFormat, readText } = await db();
      const file = rest[0];
      if (!file) throw new UsageError('import needs a file: bgw import <file> --system NAME');
      if (!values.system) throw new UsageError('import needs --system (double-well, mueller-brown, dimer, alanine-dipeptide, molecule)');
      let params: Record<string, number> = {};
      try {
        params = values.params ? (JSON.parse(values.params) as Record<string, number>) : {};
      } catch {
        throw new UsageError(`--params must be a JSON object, e.g. '{"nSolvent": 36}'`);
      }
      const repos = openRepos(dbPath, { create: true });
      const projectId = positiveInt('--project', values.project) ?? repos.projects.defaultId();
      if (!repos.projects.get(projectId)) throw new UsageError(`project ${projectId} does not exist`);
      const { importSampleSet } = await import('./backend/import/import-set');
      const format = importFormat(file, values.format);
      const text = await readText(file);
      const system = { name: values.system, params, forcefield: values.forcefield }; // a force-field name here (energy takes an XML path)
      const set = await importSampleSet(repos.samples, { projectId, system, format, text, name: file }).catch((e: Error) => {
        throw new UsageError(`cannot import ${file}: ${e.message}`);
      });
      process.stdout.write(`imported ${set.n} configuration(s) from ${file} as sample set ${set.id}${set.molecule ? ` (a molecule: run it with "system": {"name": "${values.system}"${values.system === 'molecule' ? `, "structure": {"setId": ${set.id}}` : ''}})` : ''}\n`);
      return 0;
    }
    case 'serve': {
      const { serve } = await import('./cli/serve-command');
      const workers = positiveInt('--workers', values.workers, 1024);
      const every = values['checkpoint-every'] === undefined ? undefined : Number(values['checkpoint-every']);
      if (every !== undefined && !(every > 0)) throw new UsageError(`--checkpoint-every must be a positive number of seconds, got '${values['checkpoint-every']}'`);
      await checkBackendEnv();
      await serve({
        dbPath,
        host: values.host ?? '127.0.0.1',
        port: values.port === undefined || values.port === '0' ? 0 : (positiveInt('--port', values.port, 65535) ?? 0),
        allowRemote: values['allow-remote'] ?? false,
        ...(workers !== undefined ? { workers } : {}),
        ...(every !== undefined ? { checkpointEverySeconds: every } : {}),
      });
      return 0;
    }
    case 'energy': {
      const pdb = rest[0];
      if (!pdb || !values.forcefield) throw new UsageError('energy needs a structure and a force field: bgw energy <file.pdb> --forcefield <file.xml>');
      const t = values.temperature === undefined ? 300 : Number(values.temperature);
      if (!(t > 0)) throw new UsageError(`--temperature must be a positive number of kelvin, got '${values.temperature}'`);
      const { energyCommand } = await import('./cli/energy-command');
      process.stdout.write(`${await energyCommand(pdb, values.forcefield, t)}\n`);
      return 0;
    }
    case 'validate': {
      const specPath = rest[0];
      if (!specPath) throw new UsageError('validate needs a spec file');
      const spec = await loadSpec(specPath);
      const what =
        spec.method === 'umbrella'
          ? `umbrella sampling, ${spec.umbrella.windows} windows`
          : `${spec.explore ? `exploration (${spec.explore.iterations} iterations), ` : ''}${spec.training.stages.length} stages`;
      process.stdout.write(`${specPath}: valid (${spec.system.name}, ${what})\n`);
      return 0;
    }
    case 'backend': {
      await checkBackendEnv();
      const { formatComputeReport, selectCompute } = await loadBackend();
      process.stdout.write(`${formatComputeReport(await selectCompute())}\n`);
      return 0;
    }
    default:
      throw new UsageError(`unknown command '${command}'\n${USAGE}`);
  }
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (e) {
  const err = e instanceof Error ? e : new Error(String(e));
  const usage = err instanceof UsageError || (err as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS');
  // The leading newline ends a pending self-overwriting progress line (TTY only); logs get one clean line.
  process.stderr.write(`${process.stderr.isTTY ? '\n' : ''}bgw: ${err.name === 'AbortError' ? 'cancelled' : 'error'}: ${err.message.split('\n')[0]}\n`);
  if (process.env.BGW_DEBUG) process.stderr.write(`${err.stack}\n`);
  process.exitCode = usage ? 2 : err.name === 'AbortError' ? 130 : 1;
}
// The wasm runtime keeps handles open; exit explicitly once output is flushed.
process.exit();

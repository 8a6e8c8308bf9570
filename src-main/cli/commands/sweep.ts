import type { Command } from 'commander';
import { Option } from 'commander';
import { dirname, resolve } from 'node:path';
import { EXECUTORS, type ExecutorName } from '../../../contract/api';
import { checkBackendEnv } from '../compute-env';
import { databasePath, positiveInt, seedValue } from '../options';
import { readText } from '../read-text';
import { UsageError } from '../usage-error';

interface SweepFlags {
  readonly project?: number;
  readonly executor?: ExecutorName;
  readonly slurm?: string;
  readonly maxRuns?: number;
  readonly workers?: number;
  readonly cores?: number;
  readonly detach?: boolean;
  readonly quiet?: boolean;
}

const ACTIONS = ['show', 'cancel', 'resume', 'delete', 'add-seeds'] as const;

/**
 * `bgw sweep <sweep.json>` queues a sweep and runs it to the end (or `--detach`: leaves it queued);
 * `bgw sweep show|cancel|resume|delete <id>` and `bgw sweep add-seeds <id> <seed…>` act on one.
 */
export function registerSweep(program: Command): void {
  program
    .command('sweep')
    .usage('<sweep.json> [--executor local|slurm] [--slurm settings.json] | show|cancel|resume|delete <id> | add-seeds <id> <seed…>')
    .summary('many runs from one spec: seeds, parameters, flow sizes (docs/run-spec.md, "Sweeps")')
    .description('queue a sweep and run it to the end, printing ΔF and ESS over seeds per combination; or act on a stored sweep')
    .argument('<sweep.json|action>', `a sweep spec file, or one of ${ACTIONS.join(', ')}`)
    .argument('[args...]', 'the sweep id (and for add-seeds the seeds)')
    .option('--project <ID>', 'the project to store the sweep in (default: the default project)', positiveInt('--project'))
    .addOption(new Option('--executor <name>', "where the runs execute (default: the sweep spec's, else local)").choices(EXECUTORS))
    .option('--slurm <settings.json>', 'the Slurm executor settings (docs/scale-out.md); or BGW_SLURM')
    .option('--max-runs <N>', 'the most runs one sweep may expand to (default 256)', positiveInt('--max-runs', 100_000))
    .option('--workers <N>', 'local runs at once (default: one per core)', positiveInt('--workers', 1024))
    .option('--cores <N>', 'cores the local runs share as training threads (default: every core)', positiveInt('--cores', 4096))
    .option('--detach', 'queue and return: `bgw serve` runs queued local runs; Slurm jobs go on and are followed by the next backend with --slurm')
    .option('-q, --quiet', 'no line per finished run on stderr')
    .action(async (first: string, args: string[], flags: SweepFlags, cmd: Command) => {
      await checkBackendEnv();
      const { sweepBackend, sweepCall, followSweep } = await import('../sweeps/run-sweep');
      const { sweepReport } = await import('../sweeps/format');
      const backend = await sweepBackend({ dbPath: await databasePath(cmd), slurm: flags.slurm ?? (process.env.BGW_SLURM || undefined), maxRuns: flags.maxRuns, workers: flags.workers, cores: flags.cores });
      const ac = new AbortController();
      process.once('SIGINT', () => ac.abort());
      try {
        const action = (ACTIONS as readonly string[]).includes(first) ? first : null;
        const id = action ? sweepId(args[0]) : 0;
        let follow = false;
        if (action === 'show') process.stdout.write(sweepReport(await sweepCall(() => backend.call('sweeps:get', { id }))));
        else if (action === 'delete') process.stdout.write(`deleted sweep ${(await sweepCall(() => backend.call('sweeps:delete', { id }))).deleted} and its runs\n`);
        else if (action === 'cancel') {
          const s = await sweepCall(() => backend.call('sweeps:cancel', { id }));
          process.stdout.write(`sweep ${s.id}: ${Object.entries(s.counts).map(([k, v]) => `${v} ${k}`).join(', ')}\n`);
        } else if (action === 'resume') {
          await sweepCall(() => backend.call('sweeps:resume', { id }));
          follow = true;
        } else if (action === 'add-seeds') {
          const seeds = args.slice(1).map((a) => seedValue(a));
          if (!seeds.length) throw new UsageError('add-seeds needs the seeds: bgw sweep add-seeds <id> 5 6 7');
          await sweepCall(() => backend.call('sweeps:addSeeds', { id, seeds }));
          follow = true;
        } else {
          const value = await readSweep(first, flags.executor);
          const s = await sweepCall(() => backend.call('sweeps:start', { ...(flags.project ? { projectId: flags.project } : {}), sweep: value }));
          process.stderr.write(`bgw: sweep ${s.id} queued: ${s.runCount} run(s) on ${s.executor}\n`);
          return void (flags.detach ? process.stdout.write(`sweep ${s.id} queued (bgw sweep show ${s.id})\n`) : process.stdout.write(sweepReport(await followSweep(backend, s.id, { signal: ac.signal, quiet: flags.quiet ?? false }))));
        }
        if (follow && !flags.detach) process.stdout.write(sweepReport(await followSweep(backend, id, { signal: ac.signal, quiet: flags.quiet ?? false })));
      } finally {
        await backend.close();
      }
    });
}

function sweepId(arg: string | undefined): number {
  const id = Number(arg);
  if (!Number.isInteger(id) || id < 1) throw new UsageError(`expected a sweep id (a positive integer), got '${arg ?? ''}' (bgw ls --sweep lists them)`);
  return id;
}

async function readSweep(path: string, executor: SweepFlags['executor']): Promise<unknown> {
  const text = await readText(path, 'sweep spec');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`sweep spec ${path} is not valid JSON: ${(e as Error).message}`);
  }
  if (typeof value !== 'object' || value === null) return value;
  const o = value as Record<string, unknown>;
  // "base": "dimer.json" names a run spec file beside the sweep spec.
  if (typeof o.base === 'string') {
    const file = resolve(dirname(path), o.base);
    try {
      o.base = JSON.parse(await readText(file, 'base spec'));
    } catch (e) {
      throw new UsageError(`sweep spec ${path}: base ${file}: ${(e as Error).message}`);
    }
  }
  return executor ? { ...o, executor } : o;
}

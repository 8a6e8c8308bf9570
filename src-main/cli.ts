import { parseArgs } from 'node:util';
import { loadSpec } from './cli/load-spec';
import { createProgressPrinter } from './cli/progress';
import { UsageError } from './cli/usage-error';
// tfjs and the engine load only for commands that compute (about 2 s), so `validate`, `--help`
// and usage errors answer at once.
const loadBackend = () => import('../workers/backend');

const USAGE = `usage:
  bgw run <spec.json> --out <dir> [--seed N] [--quiet]   train, sample and reweight; write samples.csv + result.json
  bgw validate <spec.json>                                check a run spec and exit
  bgw backend                                             show which compute backend would be used and why
environment: BGW_BACKEND=auto|tensorflow|webgpu|wasm|cpu overrides the spec's backend`;

/** An invalid BGW_BACKEND is the user's mistake: fail with exit 2 before any work, not 1 mid-run. */
async function checkBackendEnv(): Promise<void> {
  const { resolveBackendChoice } = await loadBackend();
  try {
    resolveBackendChoice();
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      out: { type: 'string', short: 'o' },
      seed: { type: 'string' },
      quiet: { type: 'boolean', short: 'q' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [command, ...rest] = positionals;
  if (values.help || !command) {
    process.stdout.write(`${USAGE}\n`);
    return command || values.help ? 0 : 2;
  }
  switch (command) {
    case 'run': {
      const specPath = rest[0];
      if (!specPath) throw new UsageError('run needs a spec file: bgw run <spec.json> --out <dir>');
      if (!values.out) throw new UsageError('run needs --out <dir>');
      await checkBackendEnv();
      const seed = values.seed === undefined ? undefined : Number(values.seed);
      if (seed !== undefined && !(Number.isInteger(seed) && seed >= 0 && seed < 2 ** 31)) {
        throw new UsageError(`--seed must be an integer in [0, 2^31), got '${values.seed}'`);
      }
      const ac = new AbortController();
      process.once('SIGINT', () => ac.abort());
      const { runCommand } = await import('./cli/run-command');
      const { result, files } = await runCommand({
        specPath,
        outDir: values.out,
        ...(seed !== undefined ? { seed } : {}),
        ...(values.quiet ? {} : { onEvent: createProgressPrinter() }),
        signal: ac.signal,
      });
      const d = result.deltaF;
      const num = (v: number | null): string => (v === null ? 'n/a' : v.toFixed(3));
      const error = d.value === null || !result.exact ? null : d.value - result.exact.deltaF;
      const exact = result.exact ? `  (exact ${num(result.exact.deltaF)}, error ${num(error)})` : '';
      for (const w of result.warnings) process.stderr.write(`bgw: warning: ${w}\n`);
      process.stdout.write(
        `ΔF(${d.B} − ${d.A}) at τ=${result.tau}: ${num(d.value)} ± ${num(d.stderr)} kT${exact}\n` +
          (result.essFraction === null
            ? `${result.nSamples} umbrella samples in ${result.umbrella?.windows.length ?? 0} windows  ·  `
            : `ESS ${(100 * result.essFraction).toFixed(1)}% of ${result.nSamples}  ·  ${result.timing.msPerStep.toFixed(1)} ms/step  ·  `) +
          `backend ${result.backend.name}  ·  seed ${result.seed}\n` +
          files.map((f) => `wrote ${f}`).join('\n') +
          '\n',
      );
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
      const { formatBackendReport, selectBackend } = await loadBackend();
      process.stdout.write(`${formatBackendReport(await selectBackend())}\n`);
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

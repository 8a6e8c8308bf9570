import type { RunResult } from './run-result';

/**
 * Aggregates of a sweep (docs/run-spec.md, "Sweeps"): runs that differ only in their seed form a
 * group, and each group reports ΔF and ESS as a mean with the standard error over seeds, next to
 * the seed spread and the runs' own (bootstrap) error bars. A run's error bar that is much smaller
 * than the spread between seeds understates the real uncertainty: the flag says so. Pure functions.
 */

/** The axis whose values are seeds: runs that differ only in it are repeats of one setting. */
export const SEED_AXIS = 'seed';
/** The status of a run that finished and has a result. */
export const FINISHED = 'completed';
/** A run's status (contract/api.ts RUN_STATUSES; not imported: the API contract imports this file's types). */
type RunStatus = string;
/** Seed spread above this multiple of the mean within-run error bar sets `errorBarsTooSmall`. */
export const ERROR_BAR_FACTOR = 2;

/** What aggregation needs of one run: the sweep's index and combination, and its status and result figures (a RunDto or RunResult has them). */
export interface SweepRunOutcome {
  readonly index: number;
  readonly combination: Readonly<Record<string, unknown>>;
  readonly status: RunStatus;
  readonly seed: number | null;
  /** The run's ΔF at the primary temperature and its bootstrap standard error (RunResult['deltaF']). */
  readonly deltaF: { readonly value: number | null; readonly stderr: number | null } | null;
  readonly essFraction: number | null;
}

/** Mean, sample standard deviation (n − 1) and standard error of the mean (sd / √n); sd and se are null for n < 2. */
export interface SampleStats {
  readonly n: number;
  readonly mean: number | null;
  readonly sd: number | null;
  readonly se: number | null;
}

export interface SweepGroup {
  /** The group's values of the non-seed axes (every run's combination when there is no seed axis). */
  readonly combination: Record<string, unknown>;
  /** Indices of every run in the group, finished or not. */
  readonly runs: number[];
  /** Finished runs with a finite ΔF (those the ΔF figures average). */
  readonly n: number;
  /** Their seeds, in run order. */
  readonly seeds: (number | null)[];
  readonly deltaF: {
    readonly mean: number | null;
    /** Standard error of the mean over seeds: spread / √n (null for n < 2). */
    readonly se: number | null;
    /** Seed spread: the sample standard deviation of ΔF over seeds (null for n < 2). */
    readonly spread: number | null;
    /** Mean of the runs' own ΔF error bars (those that have one); null if none has. */
    readonly meanError: number | null;
    /** n ≥ 2 and spread > ERROR_BAR_FACTOR × meanError: the runs' error bars understate the seed-to-seed scatter. */
    readonly errorBarsTooSmall: boolean;
  };
  /** ESS / N over the finished runs that have one. */
  readonly ess: SampleStats;
}

const finite = (x: number | null | undefined): x is number => typeof x === 'number' && Number.isFinite(x);

export function sampleStats(xs: readonly number[]): SampleStats {
  const n = xs.length;
  if (n === 0) return { n, mean: null, sd: null, se: null };
  const mean = xs.reduce((s, x) => s + x, 0) / n;
  if (n < 2) return { n, mean, sd: null, se: null };
  const sd = Math.sqrt(xs.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1));
  return { n, mean, sd, se: sd / Math.sqrt(n) };
}

/** A sweep run's outcome from its status and result (null until it has one). */
export function outcomeOf(
  run: { readonly index: number; readonly combination: Readonly<Record<string, unknown>> },
  status: RunStatus,
  result: Pick<RunResult, 'seed' | 'deltaF' | 'essFraction'> | null,
): SweepRunOutcome {
  return {
    index: run.index,
    combination: run.combination,
    status,
    seed: result?.seed ?? null,
    deltaF: result ? { value: result.deltaF.value, stderr: result.deltaF.stderr } : null,
    essFraction: result?.essFraction ?? null,
  };
}

/** A stable text of a JSON value (object keys sorted), so equal combinations group together. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (typeof v === 'object' && v !== null) {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o).sort().map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? String(v);
}

/**
 * Group the runs by their values of every axis but `seed` (with no seed axis each run is its own
 * group) and summarise each group. Groups come in order of their first run; only finished runs
 * count towards the figures.
 */
export function aggregateSweep(runs: readonly SweepRunOutcome[], axes: readonly string[]): SweepGroup[] {
  const hasSeedAxis = axes.includes(SEED_AXIS);
  const groupAxes = axes.filter((a) => a !== SEED_AXIS);
  const groups = new Map<string, { combination: Record<string, unknown>; members: SweepRunOutcome[] }>();
  for (const run of [...runs].sort((a, b) => a.index - b.index)) {
    const combination: Record<string, unknown> = {};
    for (const a of hasSeedAxis ? groupAxes : axes) combination[a] = run.combination[a];
    const key = hasSeedAxis ? canonical(groupAxes.map((a) => run.combination[a])) : `run ${run.index}`;
    const g = groups.get(key) ?? { combination, members: [] };
    g.members.push(run);
    groups.set(key, g);
  }
  return [...groups.values()].map(({ combination, members }) => summarise(combination, members));
}

function summarise(combination: Record<string, unknown>, members: readonly SweepRunOutcome[]): SweepGroup {
  const finished = members.filter((r) => r.status === FINISHED);
  const withDeltaF = finished.filter((r) => finite(r.deltaF?.value));
  const df = sampleStats(withDeltaF.map((r) => r.deltaF!.value!));
  const errors = withDeltaF.map((r) => r.deltaF!.stderr).filter(finite);
  const meanError = errors.length ? errors.reduce((s, x) => s + x, 0) / errors.length : null;
  const errorBarsTooSmall = df.n >= 2 && df.sd !== null && meanError !== null && df.sd > ERROR_BAR_FACTOR * meanError;
  return {
    combination,
    runs: members.map((r) => r.index),
    n: df.n,
    seeds: withDeltaF.map((r) => r.seed),
    deltaF: { mean: df.mean, se: df.se, spread: df.sd, meanError, errorBarsTooSmall },
    ess: sampleStats(finished.map((r) => r.essFraction).filter(finite)),
  };
}

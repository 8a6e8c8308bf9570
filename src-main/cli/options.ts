import type { Command } from 'commander';
import { UsageError } from './usage-error';

// Flag-value parsers for commander: a bad value is the user's mistake (exit 2, one line naming the flag).

/** An integer in [min, max]; `range` is how the message writes the interval. */
export function integerIn(flag: string, min: number, max: number, range = `[${min}, ${max}]`): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (!(Number.isInteger(n) && n >= min && n <= max)) throw new UsageError(`${flag} must be an integer in ${range}, got '${v}'`);
    return n;
  };
}

export const positiveInt = (flag: string, max = 2 ** 31 - 1): ((v: string) => number) => integerIn(flag, 1, max);

/** Seeds are stored as 31-bit integers. */
export const seedValue = integerIn('--seed', 0, 2 ** 31 - 1, '[0, 2^31)');

/** A finite number > 0, e.g. kelvin or seconds. */
export function positiveNumber(flag: string, unit: string): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (!(Number.isFinite(n) && n > 0)) throw new UsageError(`${flag} must be a positive number of ${unit}, got '${v}'`);
    return n;
  };
}

/** The database this command opened (named in errors the database itself raises). */
export let commandDatabase: string | null = null;

/** A number in (0, 1]. */
export function fractionValue(flag: string): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (!(n > 0 && n <= 1)) throw new UsageError(`${flag} must be a number in (0, 1], got '${v}'`);
    return n;
  };
}

/** `--db` is the root's option (it may come before or after the command); BGW_DB and the default follow it. */
export async function databasePath(cmd: Command): Promise<string> {
  const { resolveDatabasePath } = await import('../../db/connection');
  commandDatabase = resolveDatabasePath(cmd.optsWithGlobals<{ db?: string }>().db);
  return commandDatabase;
}

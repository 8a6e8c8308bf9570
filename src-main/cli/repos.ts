import { openDatabase, Repositories } from '../../db';
import { recoverIfOrphaned } from '../../db/lock';
import type { RunDto } from '../../contract/api';
import { UsageError } from './usage-error';

/**
 * Commands beside a running backend open the database without its lock (WAL readers never block).
 * Reading commands need an existing file: a mistyped --db must not create an empty database.
 */
export function openRepos(dbPath: string, o: { create?: boolean } = {}): Repositories {
  let repos: Repositories;
  try {
    repos = new Repositories(openDatabase(dbPath, { mustExist: !o.create }));
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  // Runs marked running whose backend died (SIGKILL of `bgw run`) become interrupted, resumable.
  if (dbPath !== ':memory:' && repos.runs.hasRunning()) recoverIfOrphaned(dbPath, () => repos.runs.markInterrupted());
  return repos;
}

/** The run a `<run>` argument names; a bad or unknown id is a usage error. */
export function mustRun(repos: Repositories, arg: string): RunDto {
  const id = Number(arg);
  if (!Number.isInteger(id) || id < 1) throw new UsageError(`expected a run id (a positive integer), got '${arg}'`);
  const run = repos.runs.get(id);
  if (!run) throw new UsageError(`run ${id} does not exist (bgw ls lists the runs)`);
  return run;
}

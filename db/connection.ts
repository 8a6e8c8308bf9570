import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Sqlite, { type Database } from 'better-sqlite3';
import envPaths from 'env-paths';
import { migrate } from './migrate';

export type { Database };

/** The default database: `<user data dir>/bgw/workbench.db` (XDG_DATA_HOME on Linux). */
export function defaultDatabasePath(): string {
  return join(envPaths('bgw', { suffix: '' }).data, 'workbench.db');
}

/** `--db` beats `BGW_DB` beats the default. */
export function resolveDatabasePath(flag?: string, env: NodeJS.ProcessEnv = process.env): string {
  return flag ?? (env.BGW_DB || defaultDatabasePath());
}

/**
 * Open (creating on first use) and migrate the database. WAL lets readers (API pages, the CLI)
 * proceed while the scheduler writes; the busy timeout covers a second process (a `bgw ls`
 * beside a running `bgw serve`) taking the write lock briefly.
 */
export function openDatabase(path: string, o: { mustExist?: boolean; check?: boolean } = {}): Database {
  if (o.mustExist && path !== ':memory:' && !existsSync(path)) throw new Error(`no database at ${path} (bgw run or bgw serve creates it; --db or BGW_DB picks another)`);
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  let db: Database;
  try {
    db = new Sqlite(path, { fileMustExist: o.mustExist ?? false });
    db.pragma('busy_timeout = 5000');
    // 16 KiB pages (set before WAL, so only a new file takes it): coordinate chunks are ~64 KB
    // blobs, and 4 KiB pages made writing them the slowest part of storing a sample set.
    db.pragma('page_size = 16384');
    db.pragma('journal_mode = WAL');
    db.pragma('foreign_keys = ON');
    // NORMAL is durable across process crashes in WAL mode (only an OS crash can lose the last commits).
    db.pragma('synchronous = NORMAL');
    // 64 MiB page cache (default 2 MiB): index inserts of a 10⁶-sample set stay in memory.
    db.pragma('cache_size = -65536');
    if (o.check) quickCheck(db, path);
    migrate(db);
  } catch (e) {
    const msg = (e as Error).message;
    throw new Error(`cannot open database ${path}: ${/not a database|malformed/i.test(msg) ? `${msg} (the file is not a bgw database or is corrupt)` : msg}`);
  }
  return db;
}

/**
 * `PRAGMA quick_check`: the page and record structure without the index cross-checks of
 * integrity_check, so it stays a sequential read (~1 s per GB). Throws naming the file.
 */
function quickCheck(db: Database, path: string): void {
  const problems = (db.pragma('quick_check(5)') as { quick_check: string }[]).map((r) => r.quick_check.replace(/\s+/g, ' ')).filter((s) => s !== 'ok');
  if (problems.length) {
    db.close();
    throw new Error(`the file is corrupt (quick_check: ${problems.join('; ')}): move it aside and restore a backup, or start on another --db`);
  }
}

/** The database file and its companions (WAL, shared memory, backend lock). */
export function databaseFiles(path: string): string[] {
  return [path, `${path}-wal`, `${path}-shm`, `${path}.lock`];
}

/** `PRAGMA integrity_check` and `foreign_key_check`: empty when the database is sound. */
export function checkIntegrity(db: Database): string[] {
  const problems = (db.pragma('integrity_check') as { integrity_check: string }[]).map((r) => r.integrity_check).filter((s) => s !== 'ok');
  const fk = db.pragma('foreign_key_check') as { table: string; rowid: number; parent: string }[];
  return [...problems, ...fk.map((r) => `${r.table} row ${r.rowid} points to a missing ${r.parent}`)];
}

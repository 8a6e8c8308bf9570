import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Database } from 'better-sqlite3';

const MIGRATIONS_DIR = join(import.meta.dirname, 'migrations');
const NAME = /^(\d{4})_[a-z0-9_]+\.sql$/;

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

/** The shipped migrations, in order; their numbers must run 1, 2, 3, … without gaps. */
export function loadMigrations(dir = MIGRATIONS_DIR): Migration[] {
  const list = readdirSync(dir)
    .filter((f) => NAME.test(f))
    .sort()
    .map((f) => ({ version: Number(NAME.exec(f)![1]), name: f, sql: readFileSync(join(dir, f), 'utf8') }));
  list.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`db/migrations: expected migration ${i + 1}, found ${m.name}`);
  });
  return list;
}

/**
 * Bring the schema up to date. Each migration runs in its own transaction together with the
 * `PRAGMA user_version` bump, so a failure leaves the database at the previous version. A database
 * from a newer bgw is refused rather than written with an older schema's assumptions.
 */
export function migrate(db: Database, migrations: readonly Migration[] = loadMigrations()): number {
  const current = db.pragma('user_version', { simple: true }) as number;
  const latest = migrations.length;
  if (current > latest) {
    throw new Error(`database schema version ${current} is newer than this bgw supports (${latest}); upgrade bgw`);
  }
  for (const m of migrations.slice(current)) {
    db.transaction(() => {
      db.exec(m.sql);
      db.pragma(`user_version = ${m.version}`);
    })();
  }
  return latest;
}

import type { Database } from 'better-sqlite3';

/** A table's columns in the main schema (both files have the same schema: the same bgw migrated them), less `skip`. */
export function columnsOf(db: Database, table: string, skip: readonly string[]): string[] {
  return (db.prepare(`PRAGMA main.table_info(${table})`).all() as { name: string }[]).map((c) => c.name).filter((c) => !skip.includes(c));
}

/** The per-set tables: rows, sort orders, coordinate chunks. */
const SET_TABLES = ['samples', 'sample_orders', 'sample_chunks'] as const;

/** Copy one sample set's rows, orders and coordinate chunks from `from.set_id = fromId` to `to.set_id = toId` (schemas as attached). */
export function copySetRows(db: Database, from: string, fromId: number, to: string, toId: number): void {
  for (const t of SET_TABLES) {
    const c = columnsOf(db, t, ['set_id']).join(', ');
    db.prepare(`INSERT INTO ${to}.${t} (set_id, ${c}) SELECT ?, ${c} FROM ${from}.${t} WHERE set_id = ?`).run(toId, fromId);
  }
}

import type { Database } from 'better-sqlite3';
import { columnsOf, copySetRows } from './copy-sets';

/**
 * Copy a finished cluster run from its job database (`run.db` in the run directory) into the
 * project database: result, metrics, checkpoints (a later "sample more" needs the trained flow)
 * and sample sets with their rows, orders and coordinate chunks, under the desktop run's id and
 * project. SQL copies through ATTACH (no row passes through JavaScript), in one transaction:
 * the run is imported whole or not at all. Both files have the same schema (the same bgw).
 */
export function importClusterRun(db: Database, jobDbPath: string, o: { runId: number; projectId: number }): { sets: number } {
  const attached = `job_${o.runId}`;
  db.prepare(`ATTACH DATABASE ? AS ${attached}`).run(jobDbPath);
  try {
    const job = db.prepare(`SELECT id, status, backend, cores, started_at, finished_at, error FROM ${attached}.runs ORDER BY id LIMIT 1`).get() as
      | { id: number; status: string; backend: string | null; cores: number | null; started_at: string | null; finished_at: string | null; error: string | null }
      | undefined;
    if (!job) throw new Error(`${jobDbPath} holds no run`);
    if (job.status !== 'completed') throw new Error(`the job's run is ${job.status}, not completed`);
    const cols = (table: string, skip: readonly string[]): string[] => columnsOf(db, table, skip);
    let sets = 0;
    db.transaction(() => {
      // A re-import (a backend that died mid-import) replaces what an earlier one stored.
      for (const t of ['results', 'metrics', 'checkpoints', 'sample_sets']) db.prepare(`DELETE FROM main.${t} WHERE run_id = ?`).run(o.runId);
      for (const t of ['results', 'metrics', 'checkpoints']) {
        const c = cols(t, ['run_id', 'id']);
        db.prepare(`INSERT INTO main.${t} (run_id, ${c.join(', ')}) SELECT ?, ${c.join(', ')} FROM ${attached}.${t} WHERE run_id = ? ${t === 'checkpoints' ? 'ORDER BY id' : ''}`).run(o.runId, job.id);
      }
      const setCols = cols('sample_sets', ['id', 'run_id', 'project_id']);
      const oldSets = db.prepare(`SELECT id FROM ${attached}.sample_sets WHERE run_id = ? ORDER BY id`).all(job.id) as { id: number }[];
      for (const { id: old } of oldSets) {
        const { lastInsertRowid } = db.prepare(`INSERT INTO main.sample_sets (run_id, project_id, ${setCols.join(', ')}) SELECT ?, ?, ${setCols.join(', ')} FROM ${attached}.sample_sets WHERE id = ?`).run(o.runId, o.projectId, old);
        copySetRows(db, attached, old, 'main', Number(lastInsertRowid));
        sets++;
      }
      db.prepare('UPDATE main.runs SET status = ?, backend = ?, cores = ?, started_at = COALESCE(started_at, ?), finished_at = ?, error = NULL WHERE id = ?').run(job.status, job.backend, job.cores, job.started_at, job.finished_at, o.runId);
    })();
    return { sets };
  } finally {
    db.prepare(`DETACH DATABASE ${attached}`).run();
  }
}

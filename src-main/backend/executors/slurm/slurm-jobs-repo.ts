import type { Database } from 'better-sqlite3';
import { now } from '../../../../db/repositories/time';

/** A Slurm run's job: the task it runs as now, its run directory, how often it was submitted. */
export interface SlurmJobRow {
  readonly runId: number;
  /** `<array id>_<task>`, null before the first submission. */
  readonly jobId: string | null;
  readonly runDir: string;
  readonly submissions: number;
  /** The executor's own mark: 'cancelling' once the user asked to cancel. */
  readonly state: string | null;
}

/** The slurm_jobs table (migration 0007): what the backend needs to follow a job after a restart. */
export class SlurmJobsRepo {
  constructor(private readonly db: Database) {}

  upsert(runId: number, runDir: string): void {
    this.db.prepare('INSERT INTO slurm_jobs (run_id, run_dir, updated_at) VALUES (?, ?, ?) ON CONFLICT(run_id) DO UPDATE SET run_dir = excluded.run_dir, updated_at = excluded.updated_at').run(runId, runDir, now());
  }

  submitted(runId: number, jobId: string): void {
    this.db.prepare('UPDATE slurm_jobs SET job_id = ?, submissions = submissions + 1, state = NULL, updated_at = ? WHERE run_id = ?').run(jobId, now(), runId);
  }

  mark(runId: number, state: string | null): void {
    this.db.prepare('UPDATE slurm_jobs SET state = ?, updated_at = ? WHERE run_id = ?').run(state, now(), runId);
  }

  get(runId: number): SlurmJobRow | null {
    const r = this.db.prepare('SELECT run_id, job_id, run_dir, submissions, state FROM slurm_jobs WHERE run_id = ?').get(runId) as
      | { run_id: number; job_id: string | null; run_dir: string; submissions: number; state: string | null }
      | undefined;
    return r ? { runId: r.run_id, jobId: r.job_id, runDir: r.run_dir, submissions: r.submissions, state: r.state } : null;
  }
}

import { Worker } from 'node:worker_threads';
import type { Database } from 'better-sqlite3';
import type { RunSpec } from '../../../../contract/run-spec';
import { openDatabase, Repositories } from '../../../../db';
import { columnsOf, copySetRows } from './copy-sets';

/** The sample sets of the project database a run reads: its training data, or the set of its start row. */
export function storedInputSets(spec: RunSpec): number[] {
  if (spec.method !== 'generator') return [];
  const d = spec.data;
  if (d?.source === 'samples') return [d.setId];
  if (d?.source === 'configuration' && typeof d.start === 'object' && d.start !== null && !Array.isArray(d.start)) return [d.start.setId];
  return [];
}

/**
 * Give a cluster run the stored sets it reads. The project database stays on this machine, so
 * the job's own database (`run.db`, created here before the job starts) gets a copy of each set
 * under the same id, in its default project and owned by no run: the spec needs no change, the
 * job reads the sets as a local run would, and the import back (`importClusterRun`) takes only
 * the run's own sets. Whole sets (a start row's set too): a set's rows share coordinate chunks.
 * SQL through ATTACH, one transaction; a resubmitted job finds them in place.
 */
export function exportRunInputs(projectDb: Database, jobDbPath: string, setIds: readonly number[]): void {
  if (!setIds.length) return;
  const job = openDatabase(jobDbPath);
  let projectId: number;
  try {
    projectId = new Repositories(job).projects.defaultId();
  } finally {
    job.close();
  }
  const alias = 'job_inputs';
  projectDb.prepare(`ATTACH DATABASE ? AS ${alias}`).run(jobDbPath);
  try {
    // import_pid stays NULL: the copy is a finished set, not an import in progress on this machine.
    const c = columnsOf(projectDb, 'sample_sets', ['id', 'project_id', 'run_id', 'import_pid']).join(', ');
    projectDb.transaction(() => {
      for (const id of new Set(setIds)) {
        const { changes } = projectDb.prepare(`INSERT INTO ${alias}.sample_sets (id, project_id, run_id, ${c}) SELECT id, ?, NULL, ${c} FROM main.sample_sets WHERE id = ?`).run(projectId, id);
        if (changes !== 1) throw new Error(`sample set ${id} no longer exists`);
        copySetRows(projectDb, 'main', id, alias, id);
      }
    })();
  } finally {
    projectDb.prepare(`DETACH DATABASE ${alias}`).run();
  }
}

/**
 * `exportRunInputs` off the server's thread, on connections of its own: copying a large set is
 * seconds of SQLite work per GB, which on the server's connection would stall every API call and
 * event. An in-memory database has no second connection: copied here.
 */
export async function exportRunInputsInThread(projectDb: Database, projectDbPath: string, jobDbPath: string, setIds: readonly number[]): Promise<void> {
  if (!setIds.length) return;
  if (projectDbPath === ':memory:') return exportRunInputs(projectDb, jobDbPath, setIds);
  const worker = new Worker(new URL('./export-inputs-thread-start.mjs', import.meta.url), { workerData: { projectDbPath, jobDbPath, setIds } });
  await new Promise<void>((resolve, reject) => {
    worker.once('message', (m: { ok: true } | { ok: false; error: string }) => (m.ok ? resolve() : reject(new Error(m.error))));
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`the copy of the run's input sets stopped (thread exit ${code})`)));
  });
}

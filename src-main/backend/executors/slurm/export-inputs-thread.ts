import { parentPort, workerData } from 'node:worker_threads';
import { openDatabase } from '../../../../db';
import { exportRunInputs } from './export-inputs';

// The thread of `exportRunInputsInThread`: its own connection to the project database (WAL: it
// reads while the server writes), one answer, then it exits.
const { projectDbPath, jobDbPath, setIds } = workerData as { projectDbPath: string; jobDbPath: string; setIds: number[] };
const db = openDatabase(projectDbPath, { mustExist: true });
try {
  exportRunInputs(db, jobDbPath, setIds);
  parentPort!.postMessage({ ok: true });
} catch (e) {
  parentPort!.postMessage({ ok: false, error: (e as Error).message });
} finally {
  db.close();
}

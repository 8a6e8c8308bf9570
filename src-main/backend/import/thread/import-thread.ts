import { parentPort } from 'node:worker_threads';
import { openDatabase } from '../../../../db/connection';
import { SamplesRepo } from '../../../../db/repositories/samples';
import { importSampleSet } from '../import-set';
import type { FromImportThread, ToImportThread } from './messages';

// One import, in its own thread with its own database connection: parsing, energies and SQLite
// writes (and the sort that finishes a set) never block the server's event loop.
const port = parentPort!;
const abort = new AbortController();
const send = (m: FromImportThread): void => port.postMessage(m);
const PROGRESS_MS = 250;

async function run(m: Extract<ToImportThread, { type: 'start' }>): Promise<void> {
  const db = openDatabase(m.dbPath, { mustExist: true });
  try {
    let last = 0;
    const set = await importSampleSet(new SamplesRepo(db), m.request, {
      signal: abort.signal,
      pid: m.pid,
      onCreated: (setId) => send({ type: 'created', setId }),
      onProgress: (progress) => {
        if (Date.now() - last < PROGRESS_MS) return;
        last = Date.now();
        send({ type: 'progress', progress });
      },
    });
    send({ type: 'end', outcome: 'done', setId: set.id });
  } catch (e) {
    const err = e as Error;
    send({ type: 'end', outcome: abort.signal.aborted ? 'cancelled' : 'failed', error: abort.signal.aborted ? 'cancelled' : err.message });
  } finally {
    db.close();
    port.close();
  }
}

port.on('message', (m: ToImportThread) => {
  if (m.type === 'cancel') abort.abort();
  else void run(m);
});

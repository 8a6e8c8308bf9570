import { linkSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';

/**
 * One backend (scheduler) per database: two would both mark the other's runs `interrupted` on
 * start and race on the queue. The lock file holds the owner's pid. It is created atomically
 * (write a private file, then hard-link it into place: the link fails if a lock exists), and a
 * stale lock (its process is gone, e.g. SIGKILL) is taken over by renaming it aside first, which
 * only one contender can do. Read-only commands (`bgw ls`, `show`, `export`) take no lock.
 * A pid reused by an unrelated process keeps the lock held: the message names the pid and file.
 */
export function acquireLock(dbPath: string, what: string): () => void {
  const path = `${dbPath}.lock`;
  const mine = `${path}.${process.pid}.${Date.now()}`;
  writeFileSync(mine, `${process.pid} ${what}\n`);
  try {
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        linkSync(mine, path);
        return () => rmSync(path, { force: true });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      const owner = readOwner(path);
      if (owner === null) continue; // released between our attempt and the read: try again
      if (alive(owner.pid) && owner.pid !== process.pid) {
        throw new Error(`database ${dbPath} is in use by another bgw backend (pid ${owner.pid}: ${owner.what || 'unknown'}); stop it, use the API it serves, or pick another --db (if no such process is bgw, delete ${path})`);
      }
      try {
        renameSync(path, `${path}.stale.${process.pid}`); // only one contender wins this
        rmSync(`${path}.stale.${process.pid}`, { force: true });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      }
    }
    throw new Error(`cannot lock database ${dbPath}: ${path} keeps changing`);
  } finally {
    rmSync(mine, { force: true });
  }
}

function readOwner(path: string): { pid: number; what: string } | null {
  try {
    const [pid, ...rest] = readFileSync(path, 'utf8').trim().split(' ');
    return { pid: Number(pid), what: rest.join(' ') };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

function alive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

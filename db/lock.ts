import { readFileSync, rmSync, writeFileSync } from 'node:fs';

/**
 * One backend (scheduler) per database: two would both mark the other's runs `interrupted` on
 * start and race on the queue. The lock file holds the owner's pid; a lock whose process is gone
 * (a SIGKILLed backend) is taken over. Read-only commands (`bgw ls`, `show`, `export`) take no lock.
 */
export function acquireLock(dbPath: string, what: string): () => void {
  const path = `${dbPath}.lock`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(path, `${process.pid} ${what}\n`, { flag: 'wx' });
      return () => rmSync(path, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const [pid, ...rest] = readFileSync(path, 'utf8').trim().split(' ');
      if (alive(Number(pid)) && Number(pid) !== process.pid) {
        throw new Error(`database ${dbPath} is in use by another bgw backend (pid ${pid}: ${rest.join(' ') || 'unknown'}); stop it, use the API it serves, or pick another --db`);
      }
      rmSync(path, { force: true }); // stale: its owner is gone
    }
  }
  throw new Error(`cannot lock database ${dbPath}`);
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

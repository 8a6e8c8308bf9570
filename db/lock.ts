import { linkSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';

/**
 * One backend (scheduler) per database: two would both mark the other's runs `interrupted` on
 * start and race on the queue. The lock file holds the owner's pid. It is created atomically
 * (write a private file, then hard-link it into place: the link fails if a lock exists), and a
 * stale lock (its process is gone, e.g. SIGKILL) is taken over by renaming it aside first, which
 * only one contender can do. Read-only commands (`bgw ls`, `show`, `export`) take no lock.
 * A pid reused by an unrelated process keeps the lock held: the message names the pid and file.
 */
export function acquireLock(dbPath: string, what: string, o: LockOptions = {}): () => void {
  const path = `${dbPath}.lock`;
  const mine = `${path}.${process.pid}.${Date.now()}`;
  writeFileSync(mine, `${process.pid} ${what}\n${(o.partials ?? []).map((p) => `partial ${p}\n`).join('')}`);
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
      if (isProcessAlive(owner.pid) && owner.pid !== process.pid) {
        throw new Error(`database ${dbPath} is in use by another bgw backend (pid ${owner.pid}: ${owner.what || 'unknown'}); stop it, use the API it serves, or pick another --db (if no such process is bgw, delete ${path})`);
      }
      try {
        renameSync(path, `${path}.stale.${process.pid}`); // only one contender wins this
        rmSync(`${path}.stale.${process.pid}`, { force: true });
        removePartials(owner.partials);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      }
    }
    throw new Error(`cannot lock database ${dbPath}: ${path} keeps changing`);
  } finally {
    rmSync(mine, { force: true });
  }
}

interface LockOwner {
  readonly pid: number;
  readonly what: string;
  /** `bgw run --out` staging folders, removed when a dead owner's lock is taken over. */
  readonly partials: string[];
}

export interface LockOptions {
  /** Staging folders this process writes (`--out`): a successor removes them if this process dies. */
  readonly partials?: readonly string[];
}

/** Only folders named as `bgw run` names its staging folders are ever removed. */
function removePartials(partials: readonly string[]): void {
  for (const p of partials) if (/(^|[/\\])\.bgw-partial-[^/\\]+$/.test(p)) rmSync(p, { recursive: true, force: true });
}

/**
 * For readers (`bgw ls`, `show`): when runs are marked running but the lock's owner is gone (a
 * killed `bgw run`), take the lock, let `recover` mark them, remove the dead owner's partial
 * folders, release. False when a live backend holds the lock (its runs are really running).
 */
export function recoverIfOrphaned(dbPath: string, recover: () => void): boolean {
  let release: (() => void) | null = null;
  try {
    release = acquireLock(dbPath, 'bgw recovery');
  } catch {
    return false;
  }
  try {
    recover();
    return true;
  } finally {
    release();
  }
}

function readOwner(path: string): LockOwner | null {
  try {
    const [first = '', ...lines] = readFileSync(path, 'utf8').trim().split('\n');
    const [pid, ...rest] = first.split(' ');
    const partials = lines.filter((l) => l.startsWith('partial ')).map((l) => l.slice('partial '.length));
    return { pid: Number(pid), what: rest.join(' '), partials };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

/** Whether a process with this pid exists (EPERM: it does, owned by someone else). */
export function isProcessAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

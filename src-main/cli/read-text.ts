import { readFile } from 'node:fs/promises';
import { UsageError } from './usage-error';

/** A file the user named; a missing or unreadable one is a usage error naming it (`what`: "spec", "force field", …). */
export async function readText(path: string, what?: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message;
    throw new UsageError(`cannot read ${what ? `${what} ` : ''}${path}: ${why}`);
  }
}

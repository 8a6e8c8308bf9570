import { readFile } from 'node:fs/promises';
import { UsageError } from './usage-error';

/**
 * A file the user named; a missing or unreadable one is a usage error naming it (`what`: "spec",
 * "force field", …). A UTF-8 byte-order mark (Windows editors write one) is dropped: JSON.parse and
 * the CSV header would otherwise choke on it.
 */
export async function readText(path: string, what?: string): Promise<string> {
  try {
    const text = await readFile(path, 'utf8');
    return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message;
    throw new UsageError(`cannot read ${what ? `${what} ` : ''}${path}: ${why}`);
  }
}

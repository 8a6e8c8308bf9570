import type { ApiRequest, SampleRowDto } from '../../../contract/api';
import { api } from '../../lib/api';

const PAGES = 2;
const LIMIT = 1000;
/** The most rows a chart draws of one sample set. */
export const MAX_ROWS = PAGES * LIMIT;

type Order = Pick<ApiRequest<'samples:page'>, 'sort' | 'order' | 'coords'>;

/** The first MAX_ROWS rows of a sample set in the given order (all of a smaller set), page by page. */
export async function firstRows(setId: number, order: Order): Promise<SampleRowDto[]> {
  const out: SampleRowDto[] = [];
  for (let p = 0; p < PAGES; p++) {
    const r = await api.call('samples:page', { setId, offset: p * LIMIT, limit: LIMIT, ...order });
    out.push(...r.rows);
    if ((p + 1) * LIMIT >= r.total) break;
  }
  return out;
}

/**
 * Hands a load's outcome to `done` or `fail` unless cancelled first; returns the cancel, so an
 * effect can return it and a load started for older props never overwrites a newer one.
 */
export function latest<T>(load: Promise<T>, done: (value: T) => void, fail: (e: Error) => void): () => void {
  let stale = false;
  load.then(
    (v) => !stale && done(v),
    (e: Error) => !stale && fail(e),
  );
  return () => (stale = true);
}

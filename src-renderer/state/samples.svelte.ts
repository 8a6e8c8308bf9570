import type { SAMPLE_SORTS, SampleRowDto } from '../../contract/api';
import { api } from '../lib/api';

export type SortKey = (typeof SAMPLE_SORTS)[number];

/**
 * A server-paged sample table: pages of PAGE rows are fetched as they scroll into view and kept
 * in a small cache, so a 10⁶-row set is never loaded.
 */
export class SamplesState {
  static readonly PAGE = 100;
  setId = $state<number | null>(null);
  total = $state(0);
  sort = $state<SortKey>('w');
  order = $state<'asc' | 'desc'>('desc');
  state = $state<'A' | 'B' | 'none' | undefined>(undefined);
  selected = $state<SampleRowDto | null>(null);
  /** Bumped when a page arrives, so visible rows re-read the cache. */
  version = $state(0);
  private pages = new Map<number, SampleRowDto[]>();
  private pending = new Set<number>();
  private query = 0;

  async open(setId: number | null): Promise<void> {
    this.setId = setId;
    this.selected = null;
    await this.reset();
  }

  async setSort(sort: SortKey): Promise<void> {
    if (this.sort === sort) this.order = this.order === 'asc' ? 'desc' : 'asc';
    else ((this.sort = sort), (this.order = sort === 'w' ? 'desc' : 'asc'));
    await this.reset();
  }

  async setFilter(state: 'A' | 'B' | 'none' | undefined): Promise<void> {
    this.state = state;
    await this.reset();
  }

  /** The row at `index`, or null while its page loads (the load is started). */
  row(index: number): SampleRowDto | null {
    const page = Math.floor(index / SamplesState.PAGE);
    const rows = this.pages.get(page);
    if (!rows) {
      void this.fetch(page);
      return null;
    }
    return rows[index - page * SamplesState.PAGE] ?? null;
  }

  private async reset(): Promise<void> {
    this.pages = new Map();
    this.pending = new Set();
    this.query++;
    this.total = 0;
    if (this.setId !== null) await this.fetch(0);
  }

  private async fetch(page: number): Promise<void> {
    if (this.setId === null || this.pending.has(page)) return;
    this.pending.add(page);
    const q = this.query;
    try {
      const r = await api.call('samples:page', { setId: this.setId, offset: page * SamplesState.PAGE, limit: SamplesState.PAGE, sort: this.sort, order: this.order, ...(this.state ? { state: this.state } : {}), coords: true });
      if (q !== this.query) return; // the sort or filter changed meanwhile
      this.total = r.total;
      this.pages.set(page, r.rows);
      // Keep the cache small: pages far from this one are dropped.
      for (const k of this.pages.keys()) if (Math.abs(k - page) > 20) this.pages.delete(k);
      this.version++;
    } catch {
      // A failed page is retried the next time a row of it is drawn.
    } finally {
      if (q === this.query) this.pending.delete(page);
    }
  }
}

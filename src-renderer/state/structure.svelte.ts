import type { SampleRowDto, StructureDto } from '../../contract/api';
import { api } from '../lib/api';

/** What the 3-D viewer shows: a stored sample row, or a point of the run's latent path. */
export type StructureSource =
  | { readonly kind: 'sample'; readonly setId: number; readonly row: SampleRowDto }
  | { readonly kind: 'path'; readonly runId: number; readonly index: number; readonly t: number; readonly u: number | null; readonly x: readonly number[] };

/**
 * The molecule structure on show. The backend builds the PDB (`samples:structure`: real atom
 * names, CONECT bonds, energy); a newer selection wins over a slower earlier answer.
 */
export class StructureState {
  source = $state.raw<StructureSource | null>(null);
  /** The last structure that arrived, with the source it belongs to (kept on screen while the next loads). */
  loaded = $state.raw<{ source: StructureSource; structure: StructureDto } | null>(null);
  loading = $state(false);
  error = $state<string | null>(null);
  private request = 0;

  /** The energy of the selected source once its structure is in (null while it loads). */
  get current(): StructureDto | null {
    return this.loaded && this.loaded.source === this.source ? this.loaded.structure : null;
  }

  async show(source: StructureSource): Promise<void> {
    const req = ++this.request;
    this.source = source;
    this.loading = true;
    this.error = null;
    try {
      const input = source.kind === 'sample' ? { setId: source.setId, index: source.row.id } : { runId: source.runId, x: [...source.x] };
      const structure = await api.call('samples:structure', input);
      if (req === this.request) this.loaded = { source, structure };
    } catch (e) {
      if (req === this.request) this.error = e instanceof Error ? e.message : String(e);
    } finally {
      if (req === this.request) this.loading = false;
    }
  }

  clear(): void {
    this.request++;
    this.source = null;
    this.loaded = null;
    this.loading = false;
    this.error = null;
  }
}

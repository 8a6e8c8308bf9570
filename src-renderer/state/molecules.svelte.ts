import type { SampleSetDto } from '../../contract/api';
import type { ForceFieldName } from '../../contract/systems';
import { api } from '../lib/api';

/**
 * The project's molecule structures (sample sets whose rows are a molecule's atoms), for the new-run
 * form's `system.structure`, and the import of a user's PDB as one.
 */
export class MoleculesState {
  sets = $state.raw<SampleSetDto[]>([]);
  busy = $state(false);
  error = $state<string | null>(null);
  private projectId: number | null = null;

  async load(projectId: number | null): Promise<void> {
    this.projectId = projectId;
    if (projectId === null) return void (this.sets = []);
    try {
      const sets = await api.call('samples:sets', { projectId });
      if (this.projectId === projectId) this.sets = sets.filter((s) => s.molecule);
    } catch (e) {
      this.error = (e as Error).message;
    }
  }

  /** Import a PDB file's text as a `molecule` set (typed by `forcefield`); resolves to the new set, or null on error. */
  async importPdb(projectId: number, file: { name: string; text: string }, forcefield: ForceFieldName): Promise<SampleSetDto | null> {
    this.busy = true;
    this.error = null;
    try {
      const set = await api.call('import:samples', { projectId, system: { name: 'molecule', forcefield }, format: 'pdb', text: file.text, name: file.name.slice(0, 200) || undefined });
      await this.load(projectId);
      return set;
    } catch (e) {
      this.error = (e as Error).message;
      return null;
    } finally {
      this.busy = false;
    }
  }
}

import type { ProjectDto } from '../../contract/api';
import { api } from '../lib/api';

export class ProjectsState {
  list = $state<ProjectDto[]>([]);
  selectedId = $state<number | null>(null);
  error = $state<string | null>(null);

  get selected(): ProjectDto | null {
    return this.list.find((p) => p.id === this.selectedId) ?? null;
  }

  async load(): Promise<void> {
    this.list = await api.call('projects:list', {});
    if (this.selectedId === null || !this.selected) this.selectedId = this.list[0]?.id ?? null;
  }

  async create(name: string): Promise<void> {
    const p = await this.guard(() => api.call('projects:create', { name }));
    if (p) ((this.selectedId = p.id), await this.load());
  }

  async rename(id: number, name: string): Promise<void> {
    if (await this.guard(() => api.call('projects:rename', { id, name }))) await this.load();
  }

  async remove(id: number): Promise<void> {
    if (await this.guard(() => api.call('projects:delete', { id }))) {
      if (this.selectedId === id) this.selectedId = null;
      await this.load();
    }
  }

  private async guard<T>(f: () => Promise<T>): Promise<T | null> {
    try {
      this.error = null;
      return await f();
    } catch (e) {
      this.error = (e as Error).message;
      return null;
    }
  }
}

import type { EventMessage, RunDto } from '../../contract/api';
import { api } from '../lib/api';

/** The selected project's runs, kept live from pushed status and progress events. */
export class RunsState {
  list = $state<RunDto[]>([]);
  selectedId = $state<number | null>(null);
  /** Runs ticked for comparison. */
  compareIds = $state<number[]>([]);
  error = $state<string | null>(null);
  private projectId: number | null = null;

  get selected(): RunDto | null {
    return this.list.find((r) => r.id === this.selectedId) ?? null;
  }

  async load(projectId: number | null): Promise<void> {
    this.projectId = projectId;
    this.list = projectId === null ? [] : await api.call('runs:list', { projectId });
  }

  /** Status changes refetch the run (its figures change); progress updates its line in place. */
  onEvent(m: EventMessage): void {
    if (m.event === 'runs:progress') {
      const i = this.list.findIndex((r) => r.id === m.data.runId);
      if (i >= 0) this.list[i] = { ...this.list[i]!, progress: m.data.progress };
    } else if (m.event === 'runs:status') {
      void this.refresh(m.data.runId);
    }
  }

  async refresh(id: number): Promise<void> {
    try {
      const r = await api.call('runs:get', { id });
      if (r.projectId !== this.projectId) return;
      const { spec: _spec, result: _result, ...dto } = r;
      const i = this.list.findIndex((x) => x.id === id);
      if (i >= 0) this.list[i] = dto;
      else this.list = [...this.list, dto];
    } catch {
      // deleted meanwhile
      this.list = this.list.filter((x) => x.id !== id);
    }
  }

  async start(spec: unknown, seed?: number): Promise<RunDto> {
    const run = await api.call('runs:start', { spec, ...(this.projectId !== null ? { projectId: this.projectId } : {}), ...(seed !== undefined ? { seed } : {}) });
    await this.refresh(run.id);
    this.selectedId = run.id;
    return run;
  }

  cancel = (id: number) => this.act(() => api.call('runs:cancel', { id }));
  resume = (id: number) => this.act(() => api.call('runs:resume', { id }));
  duplicate = (id: number) => this.act(() => api.call('runs:duplicate', { id, seed: 'new' }));
  sampleMore = (id: number) => this.act(() => api.call('runs:sampleMore', { id }));
  rename = (id: number, name: string) => this.act(() => api.call('runs:rename', { id, name }));

  async remove(id: number): Promise<void> {
    await this.act(() => api.call('runs:delete', { id }));
    this.list = this.list.filter((r) => r.id !== id);
    if (this.selectedId === id) this.selectedId = null;
    this.compareIds = this.compareIds.filter((x) => x !== id);
  }

  toggleCompare(id: number): void {
    this.compareIds = this.compareIds.includes(id) ? this.compareIds.filter((x) => x !== id) : [...this.compareIds, id];
  }

  private async act(f: () => Promise<{ id?: number } | unknown>): Promise<void> {
    try {
      this.error = null;
      const r = (await f()) as { id?: number };
      if (typeof r?.id === 'number') await this.refresh(r.id);
    } catch (e) {
      this.error = (e as Error).message;
    }
  }
}

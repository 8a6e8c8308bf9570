import { ApiError, type EventMessage, type ExecutorName, type SweepDetailDto, type SweepDto } from '../../contract/api';
import { formatPath } from '../../contract/run-spec';
import { api } from '../lib/api';

/** One axis being drafted in the new-run form: a field path and its values as JSON text. */
export interface AxisDraft {
  path: string;
  values: string;
}

/** Every leaf field of a spec draft, as the paths an axis takes (`seed`, `flow.hidden`, `training.stages[0].lr`). */
export function fieldPaths(draft: unknown): string[] {
  const out: string[] = [];
  const walk = (v: unknown, path: (string | number)[]): void => {
    // An array of numbers (flow.hidden, a start) is one value; objects and arrays of objects are walked.
    if (Array.isArray(v) && v.some((x) => typeof x === 'object' && x !== null)) v.forEach((x, i) => walk(x, [...path, i]));
    else if (typeof v === 'object' && v !== null && !Array.isArray(v)) for (const [k, x] of Object.entries(v)) walk(x, [...path, k]);
    else if (path.length) out.push(formatPath(path));
  };
  walk(draft, []);
  return [...new Set(['seed', ...out])];
}

/** An axis' values from its text: a JSON array (`[1, 2, 3]`, `[[64, 64], [128, 128]]`) or comma-separated scalars (`1, 2, 3`). */
export function parseAxisValues(text: string): unknown[] {
  const t = text.trim();
  if (t.startsWith('[')) {
    const v = JSON.parse(t) as unknown;
    if (!Array.isArray(v)) throw new Error('expected a JSON array');
    return v;
  }
  return t
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => {
      try {
        return JSON.parse(s) as unknown;
      } catch {
        return s; // a bare word: a string value (a layer pattern, a partition)
      }
    });
}

/** The project's sweeps, the one open and its aggregates, kept live from run status events. */
export class SweepsState {
  list = $state<SweepDto[]>([]);
  selectedId = $state<number | null>(null);
  detail = $state.raw<SweepDetailDto | null>(null);
  /** The axis the charts put on x. */
  xAxis = $state<string | null>(null);
  error = $state<string | null>(null);
  /** The new-run form's axes (empty: a single run). */
  axes = $state<AxisDraft[]>([]);
  executor = $state<ExecutorName>('local');
  private projectId: number | null = null;
  private refetch: ReturnType<typeof setTimeout> | null = null;

  async load(projectId: number | null): Promise<void> {
    this.projectId = projectId;
    this.list = projectId === null ? [] : await api.call('sweeps:list', { projectId });
  }

  async open(id: number | null): Promise<void> {
    this.selectedId = id;
    this.error = null;
    if (id === null) return void (this.detail = null);
    try {
      this.detail = await api.call('sweeps:get', { id });
      if (!this.xAxis || !this.detail.axes.some((a) => a.path === this.xAxis)) this.xAxis = this.detail.axes.find((a) => a.path !== 'seed')?.path ?? this.detail.axes[0]?.path ?? null;
    } catch (e) {
      this.error = (e as Error).message;
    }
  }

  /** A run of the open sweep changed status: refetch (once per burst) for its figures and the aggregates. */
  onEvent(m: EventMessage): void {
    if (m.event !== 'runs:status' || !this.detail?.runs.some((r) => r.id === m.data.runId)) return;
    if (this.refetch) clearTimeout(this.refetch);
    this.refetch = setTimeout(() => {
      this.refetch = null;
      void this.open(this.selectedId);
      void this.load(this.projectId);
    }, 150);
  }

  /** Start the form's draft as a sweep over the drafted axes; throws ApiError with the combination named. */
  async start(base: Record<string, unknown>, name: string | undefined): Promise<SweepDto> {
    const axes: Record<string, unknown[]> = {};
    for (const a of this.axes) {
      try {
        axes[a.path.trim()] = parseAxisValues(a.values);
      } catch (e) {
        throw new ApiError('invalid_input', `axis ${a.path}: ${(e as Error).message}`);
      }
    }
    const sweep = await api.call('sweeps:start', { ...(this.projectId !== null ? { projectId: this.projectId } : {}), sweep: { ...(name ? { name } : {}), base, axes, executor: this.executor } });
    await this.load(this.projectId);
    await this.open(sweep.id);
    return sweep;
  }

  async act(action: 'cancel' | 'resume' | 'delete'): Promise<void> {
    const id = this.selectedId;
    if (id === null) return;
    this.error = null;
    try {
      if (action === 'delete') {
        await api.call('sweeps:delete', { id });
        await this.open(null);
      } else {
        await api.call(action === 'cancel' ? 'sweeps:cancel' : 'sweeps:resume', { id });
        await this.open(id);
      }
      await this.load(this.projectId);
    } catch (e) {
      this.error = (e as Error).message;
    }
  }

  async addSeeds(text: string): Promise<void> {
    if (this.selectedId === null) return;
    this.error = null;
    try {
      const seeds = parseAxisValues(text).map(Number);
      await api.call('sweeps:addSeeds', { id: this.selectedId, seeds });
      await this.open(this.selectedId);
      await this.load(this.projectId);
    } catch (e) {
      this.error = (e as Error).message;
    }
  }
}

import type { EventMessage, MetricPoint, RunDetailDto, SampleSetDto } from '../../contract/api';
import { api } from '../lib/api';

export type PointsListener = (points: readonly MetricPoint[]) => void;

/**
 * One run's detail: its spec and result, its sample sets, and its metric series. Series are
 * restored from the database on open, then extended from pushed events; charts read the initial
 * arrays once and then subscribe to the new points only, so a chart never reloads a series.
 */
export class RunDetailState {
  run = $state<RunDetailDto | null>(null);
  sets = $state.raw<SampleSetDto[]>([]);
  /** Bumped when series are (re)loaded from the database: charts rebuild once. */
  generation = $state(0);
  loading = $state(false);
  error = $state<string | null>(null);
  private series = new Map<string, { x: number[]; y: number[] }>();
  private listeners = new Set<PointsListener>();
  private lastStep = new Map<string, number>();
  private opening: number | null = null;
  private early: MetricPoint[] = [];

  get id(): number | null {
    return this.run?.id ?? null;
  }

  /** The series restored so far (the arrays keep growing; read once at chart creation). */
  points(name: string): { x: number[]; y: number[] } {
    let s = this.series.get(name);
    if (!s) this.series.set(name, (s = { x: [], y: [] }));
    return s;
  }

  seriesNames(): string[] {
    return [...this.series.keys()];
  }

  /** New points as they arrive (after the initial load). */
  onPoints(l: PointsListener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  async open(id: number): Promise<void> {
    this.loading = true;
    // Events for this run that arrive while its history loads are kept and applied after it.
    this.opening = id;
    this.early = [];
    try {
      const [run, metrics, sets] = await Promise.all([api.call('runs:get', { id }), api.call('runs:metrics', { id }), api.call('samples:sets', { runId: id })]);
      if (this.opening !== id) return; // another run was opened meanwhile
      this.series = new Map();
      this.lastStep = new Map();
      this.append(metrics, false);
      this.append(this.early, false);
      this.run = run;
      this.sets = sets;
      this.error = null;
      this.generation++;
    } catch (e) {
      this.error = (e as Error).message;
    } finally {
      if (this.opening === id) ((this.opening = null), (this.early = []), (this.loading = false));
    }
  }

  close(): void {
    this.run = null;
    this.sets = [];
    this.series = new Map();
  }

  onEvent(m: EventMessage): void {
    if (m.event === 'runs:progress' && m.data.runId === this.opening) this.early.push(...m.data.points);
    if (!this.run || !('runId' in m.data) || m.data.runId !== this.run.id) return;
    if (m.event === 'runs:progress') {
      this.append(m.data.points, true);
      this.run = { ...this.run, progress: m.data.progress };
    } else if (m.event === 'runs:status') {
      this.run = { ...this.run, status: m.data.status, error: m.data.error, ...(m.data.cores ? { cores: m.data.cores } : {}) };
      if (m.data.status !== 'running' && m.data.status !== 'queued') void this.reloadResult();
    }
  }

  private append(points: readonly MetricPoint[], notify: boolean): void {
    const fresh: MetricPoint[] = [];
    for (const p of points) {
      // A resumed run redoes steps after its checkpoint: keep each series monotone in step.
      if (p.step <= (this.lastStep.get(p.series) ?? -Infinity)) continue;
      this.lastStep.set(p.series, p.step);
      const s = this.points(p.series);
      s.x.push(p.step);
      s.y.push(p.value);
      fresh.push(p);
    }
    if (notify && fresh.length) for (const l of this.listeners) l(fresh);
  }

  private async reloadResult(): Promise<void> {
    if (!this.run) return;
    const id = this.run.id;
    const [run, sets] = await Promise.all([api.call('runs:get', { id }), api.call('samples:sets', { runId: id })]);
    if (this.run?.id === id) ((this.run = run), (this.sets = sets));
  }
}

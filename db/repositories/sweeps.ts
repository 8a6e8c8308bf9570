import type { Database } from 'better-sqlite3';
import type { SweepDto } from '../../contract/api';
import type { RunStatus } from '../../contract/api';
import type { SweepSpecInput } from '../../contract/sweep-spec';
import { now } from './time';

interface Row {
  id: number;
  project_id: number;
  name: string;
  spec: string;
  executor: SweepDto['executor'];
  created_at: string;
}

/** Sweeps: the sweep spec as given, and (through runs.sweep_id) their runs. */
export class SweepsRepo {
  constructor(private readonly db: Database) {}

  create(s: { projectId: number; name: string; spec: SweepSpecInput; executor: SweepDto['executor'] }): number {
    const { lastInsertRowid } = this.db
      .prepare('INSERT INTO sweeps (project_id, name, spec, executor, created_at) VALUES (?, ?, ?, ?, ?)')
      .run(s.projectId, s.name, JSON.stringify(s.spec), s.executor, now());
    return Number(lastInsertRowid);
  }

  get(id: number): SweepDto | null {
    const r = this.db.prepare('SELECT * FROM sweeps WHERE id = ?').get(id) as Row | undefined;
    return r ? this.toDto(r) : null;
  }

  list(projectId?: number): SweepDto[] {
    const rows = (projectId === undefined ? this.db.prepare('SELECT * FROM sweeps ORDER BY id').all() : this.db.prepare('SELECT * FROM sweeps WHERE project_id = ? ORDER BY id').all(projectId)) as Row[];
    return rows.map((r) => this.toDto(r));
  }

  /** The sweep spec as stored (adding seeds rewrites its seed axis). */
  spec(id: number): SweepSpecInput {
    return JSON.parse((this.db.prepare('SELECT spec FROM sweeps WHERE id = ?').get(id) as { spec: string }).spec) as SweepSpecInput;
  }

  setSpec(id: number, spec: SweepSpecInput): void {
    this.db.prepare('UPDATE sweeps SET spec = ? WHERE id = ?').run(JSON.stringify(spec), id);
  }

  /** Deletes the sweep and (cascade) its runs with everything they stored. */
  delete(id: number): boolean {
    return this.db.prepare('DELETE FROM sweeps WHERE id = ?').run(id).changes === 1;
  }

  transaction<T>(f: () => T): T {
    return this.db.transaction(f)();
  }

  private toDto(r: Row): SweepDto {
    const counts = Object.fromEntries(
      (this.db.prepare('SELECT status, COUNT(*) AS c FROM runs WHERE sweep_id = ? GROUP BY status').all(r.id) as { status: RunStatus; c: number }[]).map((x) => [x.status, x.c]),
    ) as Partial<Record<RunStatus, number>>;
    const spec = JSON.parse(r.spec) as SweepSpecInput;
    return {
      id: r.id,
      projectId: r.project_id,
      name: r.name,
      executor: r.executor,
      mode: spec.mode ?? 'grid',
      axes: Object.entries(spec.axes).map(([path, values]) => ({ path, values })),
      runCount: Object.values(counts).reduce((a, b) => a + (b ?? 0), 0),
      counts,
      createdAt: r.created_at,
    };
  }
}

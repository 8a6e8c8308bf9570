import type { Database } from 'better-sqlite3';
import type { ProjectDto } from '../../contract/api';
import { now } from './time';

interface Row {
  id: number;
  name: string;
  created_at: string;
  run_count: number;
}

const SELECT = `SELECT p.id, p.name, p.created_at, (SELECT count(*) FROM runs r WHERE r.project_id = p.id) AS run_count FROM projects p`;
const toDto = (r: Row): ProjectDto => ({ id: r.id, name: r.name, createdAt: r.created_at, runCount: r.run_count });

export class ProjectsRepo {
  constructor(private readonly db: Database) {}

  list(): ProjectDto[] {
    return (this.db.prepare(`${SELECT} ORDER BY p.id`).all() as Row[]).map(toDto);
  }

  get(id: number): ProjectDto | null {
    const r = this.db.prepare(`${SELECT} WHERE p.id = ?`).get(id) as Row | undefined;
    return r ? toDto(r) : null;
  }

  create(name: string): ProjectDto {
    const { lastInsertRowid } = this.db.prepare('INSERT INTO projects (name, created_at) VALUES (?, ?)').run(name, now());
    return this.get(Number(lastInsertRowid))!;
  }

  rename(id: number, name: string): boolean {
    return this.db.prepare('UPDATE projects SET name = ? WHERE id = ?').run(name, id).changes === 1;
  }

  delete(id: number): boolean {
    return this.db.prepare('DELETE FROM projects WHERE id = ?').run(id).changes === 1;
  }

  /** The project runs go to when none is named: the first, created on first use. */
  defaultId(): number {
    const r = this.db.prepare('SELECT id FROM projects ORDER BY id LIMIT 1').get() as { id: number } | undefined;
    return r?.id ?? this.create('Default').id;
  }
}

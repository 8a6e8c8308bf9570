import type { Database } from 'better-sqlite3';
import type { ExecutorName, RunDetailDto, RunDto, RunProgress, RunStatus } from '../../contract/api';
import type { RunResult } from '../../contract/run-result';
import type { RunSpec } from '../../contract/run-spec';
import type { MoleculeSource } from '../../contract/systems';
import { now } from './time';

export type RunKind = 'train' | 'sample';
export type RunExecutor = ExecutorName;

interface Row {
  id: number;
  project_id: number;
  name: string;
  spec: string;
  method: RunSpec['method'];
  system: string;
  kind: RunKind;
  status: RunStatus;
  seed: number;
  backend: string | null;
  cores: number | null;
  parent_id: number | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  error: string | null;
  progress: string | null;
  delta_f: number | null;
  delta_f_stderr: number | null;
  ess_fraction: number | null;
  has_result: number;
  checkpoint_step: number | null;
  sweep_id: number | null;
  combination: string | null;
  executor: RunExecutor;
}

const SELECT = `SELECT r.*, res.delta_f, res.delta_f_stderr, res.ess_fraction, (res.run_id IS NOT NULL) AS has_result,
  (SELECT c.step FROM checkpoints c WHERE c.run_id = r.id ORDER BY c.id DESC LIMIT 1) AS checkpoint_step
  FROM runs r LEFT JOIN results res ON res.run_id = r.id`;

function toDto(r: Row): RunDto {
  return {
    id: r.id,
    projectId: r.project_id,
    name: r.name,
    status: r.status,
    method: r.method,
    system: r.system,
    seed: r.seed,
    backend: r.backend,
    cores: r.cores,
    createdAt: r.created_at,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    error: r.error,
    parentId: r.parent_id,
    progress: r.progress ? (JSON.parse(r.progress) as RunProgress) : null,
    deltaF: r.has_result ? { value: r.delta_f, stderr: r.delta_f_stderr } : null,
    essFraction: r.ess_fraction,
    lastCheckpointStep: r.checkpoint_step,
    sweepId: r.sweep_id,
    combination: r.combination ? (JSON.parse(r.combination) as Record<string, unknown>) : null,
    executor: r.executor,
  };
}

export interface NewRun {
  readonly projectId: number;
  readonly name: string;
  readonly spec: RunSpec;
  readonly seed: number;
  readonly kind?: RunKind;
  readonly parentId?: number | null;
  /** The molecule resolved when the run was started (null for model systems). */
  readonly molecule?: MoleculeSource | null;
  /** A sweep's run: the sweep, its index there and its axis values. */
  readonly sweep?: { readonly id: number; readonly index: number; readonly combination: Record<string, unknown> } | undefined;
  readonly executor?: RunExecutor;
}

/** What the scheduler needs to start a run. */
export interface RunJob {
  readonly spec: RunSpec;
  readonly seed: number;
  readonly kind: RunKind;
  readonly parentId: number | null;
  readonly projectId: number;
  /** Null for model systems, and for molecule runs stored before runs kept their molecule. */
  readonly molecule: MoleculeSource | null;
}

export class RunsRepo {
  constructor(private readonly db: Database) {}

  list(projectId?: number): RunDto[] {
    const rows = projectId === undefined ? this.db.prepare(`${SELECT} ORDER BY r.id`).all() : this.db.prepare(`${SELECT} WHERE r.project_id = ? ORDER BY r.id`).all(projectId);
    return (rows as Row[]).map(toDto);
  }

  get(id: number): RunDto | null {
    const r = this.db.prepare(`${SELECT} WHERE r.id = ?`).get(id) as Row | undefined;
    return r ? toDto(r) : null;
  }

  detail(id: number): RunDetailDto | null {
    const r = this.db.prepare(`${SELECT} WHERE r.id = ?`).get(id) as Row | undefined;
    if (!r) return null;
    const res = this.db.prepare('SELECT result FROM results WHERE run_id = ?').get(id) as { result: string } | undefined;
    return { ...toDto(r), spec: JSON.parse(r.spec) as RunSpec, result: res ? (JSON.parse(res.result) as RunResult) : null };
  }

  job(id: number): RunJob | null {
    const r = this.db.prepare('SELECT spec, seed, kind, parent_id, project_id, molecule FROM runs WHERE id = ?').get(id) as
      | (Pick<Row, 'spec' | 'seed' | 'kind' | 'parent_id' | 'project_id'> & { molecule: string | null })
      | undefined;
    if (!r) return null;
    const molecule = r.molecule === null ? null : (JSON.parse(r.molecule) as MoleculeSource);
    return { spec: JSON.parse(r.spec) as RunSpec, seed: r.seed, kind: r.kind, parentId: r.parent_id, projectId: r.project_id, molecule };
  }

  create(n: NewRun): RunDto {
    const { lastInsertRowid } = this.db
      .prepare(
        `INSERT INTO runs (project_id, name, spec, method, system, kind, status, seed, parent_id, created_at, molecule, sweep_id, sweep_index, combination, executor)
         VALUES (?, ?, ?, ?, ?, ?, 'queued', ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        n.projectId, n.name, JSON.stringify(n.spec), n.spec.method, n.spec.system.name, n.kind ?? 'train', n.seed, n.parentId ?? null, now(),
        n.molecule ? JSON.stringify({ pdb: n.molecule.pdb, forcefield: n.molecule.forcefield }) : null,
        n.sweep?.id ?? null, n.sweep?.index ?? null, n.sweep ? JSON.stringify(n.sweep.combination) : null, n.executor ?? 'local',
      );
    return this.get(Number(lastInsertRowid))!;
  }

  /** Status transitions stamp their times; leaving `running` keeps `started_at`. */
  setStatus(id: number, status: RunStatus, extra: { error?: string | null; backend?: string } = {}): void {
    const t = now();
    this.db
      .prepare(
        `UPDATE runs SET status = @status,
           started_at = CASE WHEN @status = 'running' THEN @t ELSE started_at END,
           finished_at = CASE WHEN @status IN ('completed', 'failed', 'cancelled') THEN @t WHEN @status IN ('queued', 'running') THEN NULL ELSE finished_at END,
           error = CASE WHEN @status IN ('queued', 'running', 'completed') THEN NULL ELSE coalesce(@error, error) END,
           backend = coalesce(@backend, backend)
         WHERE id = @id`,
      )
      .run({ id, status, t, error: extra.error ?? null, backend: extra.backend ?? null });
  }

  /** The cores the scheduler gave the run when it started it. */
  setCores(id: number, cores: number): void {
    this.db.prepare('UPDATE runs SET cores = ? WHERE id = ?').run(cores, id);
  }

  setBackend(id: number, backend: string): void {
    this.db.prepare('UPDATE runs SET backend = ? WHERE id = ?').run(backend, id);
  }

  setProgress(id: number, p: RunProgress): void {
    this.db.prepare('UPDATE runs SET progress = ? WHERE id = ?').run(JSON.stringify(p), id);
  }

  rename(id: number, name: string): boolean {
    return this.db.prepare('UPDATE runs SET name = ? WHERE id = ?').run(name, id).changes === 1;
  }

  delete(id: number): boolean {
    return this.db.prepare('DELETE FROM runs WHERE id = ?').run(id).changes === 1;
  }

  /**
   * Local runs left `running` by a backend that died: they can resume from their last checkpoint.
   * (A cluster job goes on without the backend: its executor follows it again.)
   */
  hasRunning(): boolean {
    return this.db.prepare("SELECT 1 FROM runs WHERE status = 'running' AND executor = 'local' LIMIT 1").get() !== undefined;
  }

  markInterrupted(): number[] {
    const ids = (this.db.prepare("SELECT id FROM runs WHERE status = 'running' AND executor = 'local'").all() as { id: number }[]).map((r) => r.id);
    this.db.prepare("UPDATE runs SET status = 'interrupted', error = 'the backend stopped while this run was running' WHERE status = 'running' AND executor = 'local'").run();
    return ids;
  }

  /** Queued runs of one executor, oldest first. */
  queued(executor: RunExecutor = 'local'): number[] {
    return (this.db.prepare("SELECT id FROM runs WHERE status = 'queued' AND executor = ? ORDER BY id").all(executor) as { id: number }[]).map((r) => r.id);
  }

  /** A sweep's runs in sweep order. */
  ofSweep(sweepId: number): RunDto[] {
    return (this.db.prepare(`${SELECT} WHERE r.sweep_id = ? ORDER BY r.sweep_index, r.id`).all(sweepId) as Row[]).map(toDto);
  }

  /** Runs of an executor in these states (the Slurm executor follows its active runs). */
  withExecutor(executor: RunExecutor, statuses: readonly RunStatus[]): RunDto[] {
    return (this.db.prepare(`${SELECT} WHERE r.executor = ? AND r.status IN (SELECT value FROM json_each(?)) ORDER BY r.id`).all(executor, JSON.stringify(statuses)) as Row[]).map(toDto);
  }

  saveResult(id: number, result: RunResult): void {
    this.db
      .prepare('INSERT OR REPLACE INTO results (run_id, result, delta_f, delta_f_stderr, ess_fraction) VALUES (?, ?, ?, ?, ?)')
      .run(id, JSON.stringify(result), result.deltaF.value, result.deltaF.stderr, result.essFraction);
  }
}

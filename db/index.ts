import type { Database } from 'better-sqlite3';
import { CheckpointsRepo } from './repositories/checkpoints';
import { MetricsRepo } from './repositories/metrics';
import { ProjectsRepo } from './repositories/projects';
import { RunsRepo } from './repositories/runs';
import { SweepsRepo } from './repositories/sweeps';
import { SamplesRepo } from './repositories/samples';

export { checkIntegrity, defaultDatabasePath, openDatabase, resolveDatabasePath } from './connection';
export type { SampleColumns, NewSampleSet, PageQuery } from './repositories/samples';
export type { NewRun, RunKind } from './repositories/runs';

/** Every repository on one connection (the backend's single writer). */
export class Repositories {
  readonly projects: ProjectsRepo;
  readonly runs: RunsRepo;
  readonly metrics: MetricsRepo;
  readonly checkpoints: CheckpointsRepo;
  readonly samples: SamplesRepo;
  readonly sweeps: SweepsRepo;

  constructor(readonly db: Database) {
    this.projects = new ProjectsRepo(db);
    this.runs = new RunsRepo(db);
    this.metrics = new MetricsRepo(db);
    this.checkpoints = new CheckpointsRepo(db);
    this.samples = new SamplesRepo(db);
    this.sweeps = new SweepsRepo(db);
  }
}

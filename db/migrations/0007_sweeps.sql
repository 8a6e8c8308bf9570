-- Sweeps: a group of runs from one base spec and its axes (contract/sweep-spec.ts). The sweep spec
-- is kept as given (adding seeds extends its seed axis); each run records its place and values.
CREATE TABLE sweeps (
  id          INTEGER PRIMARY KEY,
  project_id  INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  name        TEXT NOT NULL,
  spec        TEXT NOT NULL CHECK (json_valid(spec)),
  executor    TEXT NOT NULL CHECK (executor IN ('local', 'slurm')),
  created_at  TEXT NOT NULL
);
CREATE INDEX sweeps_by_project ON sweeps(project_id, id);

ALTER TABLE runs ADD COLUMN sweep_id INTEGER REFERENCES sweeps(id) ON DELETE CASCADE;
ALTER TABLE runs ADD COLUMN sweep_index INTEGER;
ALTER TABLE runs ADD COLUMN combination TEXT CHECK (combination IS NULL OR json_valid(combination));
-- Where the run executes: 'local' (this backend's worker pool) or 'slurm' (a cluster job that the
-- backend submits, follows and imports; its job state is in slurm_jobs).
ALTER TABLE runs ADD COLUMN executor TEXT NOT NULL DEFAULT 'local' CHECK (executor IN ('local', 'slurm'));
CREATE INDEX runs_by_sweep ON runs(sweep_id, sweep_index);

CREATE TABLE slurm_jobs (
  run_id       INTEGER PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,
  -- "<array job id>_<task>" or "<job id>"; NULL until submitted.
  job_id       TEXT,
  run_dir      TEXT NOT NULL,
  submissions  INTEGER NOT NULL DEFAULT 0,
  state        TEXT,
  updated_at   TEXT NOT NULL
);

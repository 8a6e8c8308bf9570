-- Projects, runs and everything a run produces. Deleting a project deletes its runs; deleting a run
-- deletes its metrics, checkpoints, result and sample sets (ON DELETE CASCADE).

CREATE TABLE projects (
  id          INTEGER PRIMARY KEY,
  name        TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  created_at  TEXT NOT NULL
);

CREATE TABLE runs (
  id           INTEGER PRIMARY KEY,
  project_id   INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  name         TEXT NOT NULL,
  spec         TEXT NOT NULL CHECK (json_valid(spec)),
  method       TEXT NOT NULL,
  system       TEXT NOT NULL,
  -- 'train': the whole run; 'sample': more samples from the parent's saved generator.
  kind         TEXT NOT NULL DEFAULT 'train' CHECK (kind IN ('train', 'sample')),
  status       TEXT NOT NULL CHECK (status IN ('queued', 'running', 'completed', 'failed', 'cancelled', 'interrupted')),
  seed         INTEGER NOT NULL,
  backend      TEXT,
  parent_id    INTEGER REFERENCES runs(id) ON DELETE SET NULL,
  created_at   TEXT NOT NULL,
  started_at   TEXT,
  finished_at  TEXT,
  error        TEXT,
  progress     TEXT CHECK (progress IS NULL OR json_valid(progress))
);
CREATE INDEX runs_by_project ON runs(project_id, id);
CREATE INDEX runs_by_status ON runs(status);

-- One row per (run, series, step): losses, acceptance, step size, ESS, ... A resumed run redoes the
-- steps after its checkpoint, which replace the old points.
CREATE TABLE metrics (
  run_id  INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  series  TEXT NOT NULL,
  step    INTEGER NOT NULL,
  value   REAL,
  PRIMARY KEY (run_id, series, step)
) WITHOUT ROWID;

-- Flow weights (BGWF blob), optimiser state, and (exploration) the buffer; `state` is the JSON
-- position: phase, stage, step, random-stream states.
CREATE TABLE checkpoints (
  id          INTEGER PRIMARY KEY,
  run_id      INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  created_at  TEXT NOT NULL,
  phase       TEXT NOT NULL,
  step        INTEGER NOT NULL,
  state       TEXT NOT NULL CHECK (json_valid(state)),
  flow        BLOB NOT NULL,
  optimizer   BLOB,
  buffer      BLOB
);
CREATE INDEX checkpoints_by_run ON checkpoints(run_id, id);

CREATE TABLE results (
  run_id          INTEGER PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,
  result          TEXT NOT NULL CHECK (json_valid(result)),
  delta_f         REAL,
  delta_f_stderr  REAL,
  ess_fraction    REAL
);

CREATE TABLE sample_sets (
  id            INTEGER PRIMARY KEY,
  project_id    INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  run_id        INTEGER REFERENCES runs(id) ON DELETE CASCADE,
  kind          TEXT NOT NULL CHECK (kind IN ('generated', 'explored', 'reference', 'imported')),
  name          TEXT NOT NULL,
  system        TEXT NOT NULL,
  params        TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(params)),
  dim           INTEGER NOT NULL CHECK (dim > 0),
  tau           REAL,
  n             INTEGER NOT NULL DEFAULT 0,
  -- Rows in state A and B (the rest are in neither), for filtered page counts.
  n_a           INTEGER NOT NULL DEFAULT 0,
  n_b           INTEGER NOT NULL DEFAULT 0,
  ess_fraction  REAL,
  -- Rows per coordinate chunk (sized so a chunk blob is ~64 KB whatever the dimension).
  chunk_rows    INTEGER NOT NULL CHECK (chunk_rows > 0),
  -- 0 while rows are being appended: readers list only complete sets.
  complete      INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX sample_sets_by_run ON sample_sets(run_id);
CREATE INDEX sample_sets_by_project ON sample_sets(project_id);

-- Per-sample scalars as columns. state: 0 = A, 1 = B, NULL = neither.
CREATE TABLE samples (
  set_id  INTEGER NOT NULL REFERENCES sample_sets(id) ON DELETE CASCADE,
  idx     INTEGER NOT NULL,
  u       REAL,
  logw    REAL,
  w       REAL NOT NULL,
  rc      REAL,
  state   INTEGER,
  PRIMARY KEY (set_id, idx)
) WITHOUT ROWID;

-- Sort orders, computed once when a set is written (sets never change afterwards): for each sort
-- column (w, u, rc, idx) and state filter (all, A, B, none), the sample indices in ascending order
-- as little-endian Uint32 chunks of ORDER_CHUNK entries. A page at any depth reads one or two
-- chunks instead of walking an index with OFFSET, and a 10⁶-row insert maintains no secondary
-- index in random order (which halved insert throughput).
CREATE TABLE sample_orders (
  set_id  INTEGER NOT NULL REFERENCES sample_sets(id) ON DELETE CASCADE,
  sort    TEXT NOT NULL CHECK (sort IN ('w', 'u', 'rc', 'idx')),
  state   TEXT NOT NULL CHECK (state IN ('all', 'A', 'B', 'none')),
  chunk   INTEGER NOT NULL,
  idxs    BLOB NOT NULL,
  PRIMARY KEY (set_id, sort, state, chunk)
);

-- Coordinates as little-endian Float32 rows, sample_sets.chunk_rows rows per blob (db/repositories/samples.ts).
CREATE TABLE sample_chunks (
  set_id  INTEGER NOT NULL REFERENCES sample_sets(id) ON DELETE CASCADE,
  chunk   INTEGER NOT NULL,
  coords  BLOB NOT NULL,
  PRIMARY KEY (set_id, chunk)
);

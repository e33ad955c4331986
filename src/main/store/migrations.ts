// Versioned schema migrations: entry i takes the schema from version i to i + 1.
// Never edit a released entry; append a new one.
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE experiments (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    spec        TEXT NOT NULL,          -- the resolved spec, JSON
    created_at  TEXT NOT NULL
  );
  CREATE INDEX experiments_name ON experiments(name);

  CREATE TABLE runs (
    id            TEXT PRIMARY KEY,
    experiment_id TEXT NOT NULL REFERENCES experiments(id) ON DELETE CASCADE,
    position      INTEGER NOT NULL,     -- order within the experiment's grid
    method_index  INTEGER NOT NULL,
    method        TEXT NOT NULL,
    label         TEXT NOT NULL,
    model         TEXT NOT NULL,
    seed          INTEGER NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('queued','running','finished','failed','cancelled','interrupted')),
    error         TEXT,
    environment   TEXT,                 -- JSON
    summary       TEXT,                 -- JSON
    notes         TEXT,                 -- JSON array of strings
    created_at    TEXT NOT NULL,
    started_at    TEXT,
    finished_at   TEXT,
    UNIQUE (experiment_id, position)
  );
  CREATE INDEX runs_status ON runs(status);

  CREATE TABLE epochs (
    run_id        TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    epoch         INTEGER NOT NULL,
    val_loss      REAL NOT NULL,
    val_accuracy  REAL NOT NULL,
    train_loss    REAL NOT NULL,
    seconds       REAL NOT NULL,
    record        TEXT NOT NULL,        -- the whole epoch record, JSON
    PRIMARY KEY (run_id, epoch)
  );
  `,
];

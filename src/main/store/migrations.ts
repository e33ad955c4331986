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
  `
  -- The queue (issue: experiment queue): order, attempts, checkpoints, cancel requests, live progress.
  ALTER TABLE runs ADD COLUMN queue_order REAL;
  ALTER TABLE runs ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE runs ADD COLUMN checkpoint_epoch INTEGER;
  ALTER TABLE runs ADD COLUMN cancel_requested INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE runs ADD COLUMN progress TEXT;          -- JSON {epoch, step, steps, epochs}
  UPDATE runs SET queue_order = rowid;
  CREATE INDEX runs_queue ON runs(status, queue_order);

  CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL                -- JSON
  );

  -- Imported datasets (issue: import custom datasets): metadata; the pixels live in datasets/<name>.annds.
  CREATE TABLE datasets (
    name        TEXT PRIMARY KEY,
    format      TEXT NOT NULL,         -- idx, cifar10, cifar100, image-folder, csv
    height      INTEGER NOT NULL,
    width       INTEGER NOT NULL,
    channels    INTEGER NOT NULL,
    classes     TEXT NOT NULL,         -- JSON array of class names
    train_count INTEGER NOT NULL,
    test_count  INTEGER NOT NULL,
    split       TEXT NOT NULL,         -- how train/test came about, e.g. "source" or "seeded 80/20 (seed 0)"
    sources     TEXT NOT NULL,         -- JSON array of {path, bytes, sha256}
    file        TEXT NOT NULL,         -- relative to the data dir
    created_at  TEXT NOT NULL
  );
  `,
  `
  -- Loss scale of the acceptance rules (issue 14): SSA, SGD-SA and restart now default to the
  -- published code's scale ("thesis"). Experiments stored before ran on the mean-CE scale, so
  -- their specs say so, and a resumed run keeps the scale it started with.
  UPDATE experiments SET spec = json_set(spec, '$.methods', (
    SELECT json_group_array(
      CASE WHEN json_extract(m.value, '$.id') IN ('ssa', 'sgd-sa', 'restart')
                AND json_type(m.value, '$.lossScale') IS NULL
           THEN json_set(m.value, '$.lossScale', 'mean')
           ELSE json(m.value) END)
    FROM (SELECT value FROM json_each(experiments.spec, '$.methods') ORDER BY key) AS m))
  WHERE json_type(spec, '$.methods') = 'array';
  `,
];

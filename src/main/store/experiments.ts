// The experiments table: one row per submitted spec.
import { randomUUID } from 'node:crypto';
import type { ExperimentSpec } from '../../shared/spec';
import type { Db } from './db';

export interface ExperimentRow {
  id: string;
  name: string;
  spec: ExperimentSpec;
  createdAt: string;
}

interface RawExperiment {
  id: string;
  name: string;
  spec: string;
  created_at: string;
}

const fromRaw = (r: RawExperiment): ExperimentRow => ({
  id: r.id,
  name: r.name,
  spec: JSON.parse(r.spec) as ExperimentSpec,
  createdAt: r.created_at,
});

export class ExperimentsTable {
  constructor(private readonly db: Db) {}

  insert(spec: ExperimentSpec): ExperimentRow {
    const row = { id: randomUUID(), name: spec.name, spec, createdAt: new Date().toISOString() };
    this.db
      .prepare('INSERT INTO experiments (id, name, spec, created_at) VALUES (?, ?, ?, ?)')
      .run(row.id, row.name, JSON.stringify(spec), row.createdAt);
    return row;
  }

  get(id: string): ExperimentRow | undefined {
    const r = this.db.prepare('SELECT * FROM experiments WHERE id = ?').get(id) as RawExperiment | undefined;
    return r && fromRaw(r);
  }

  /** By id, or the most recent experiment with that name. */
  find(idOrName: string): ExperimentRow | undefined {
    const r = this.db
      .prepare(
        'SELECT * FROM experiments WHERE id = ? OR name = ? ORDER BY id = ? DESC, created_at DESC LIMIT 1',
      )
      .get(idOrName, idOrName, idOrName) as RawExperiment | undefined;
    return r && fromRaw(r);
  }

  /** Every experiment with exactly this name, newest first (names need not be unique). */
  named(name: string): ExperimentRow[] {
    return (
      this.db
        .prepare('SELECT * FROM experiments WHERE name = ? ORDER BY created_at DESC')
        .all(name) as RawExperiment[]
    ).map(fromRaw);
  }

  /** Every experiment whose id starts with `prefix` (at most `limit`), newest first. */
  withIdPrefix(prefix: string, limit = 20): ExperimentRow[] {
    if (prefix.length === 0) return [];
    // LIKE's wildcards cannot occur in a UUID; dropping them keeps "%" from matching everything.
    return (
      this.db
        .prepare('SELECT * FROM experiments WHERE id LIKE ? ORDER BY created_at DESC LIMIT ?')
        .all(`${prefix.replace(/[%_]/g, '')}%`, limit) as RawExperiment[]
    ).map(fromRaw);
  }

  /** Rename: the name column and the stored spec's name together, so the two never disagree. */
  rename(id: string, name: string): void {
    this.db
      .prepare("UPDATE experiments SET name = ?, spec = json_set(spec, '$.name', ?) WHERE id = ?")
      .run(name, name, id);
  }

  /** Delete the row; its runs and their epochs go with it (ON DELETE CASCADE). */
  delete(id: string): boolean {
    return this.db.prepare('DELETE FROM experiments WHERE id = ?').run(id).changes === 1;
  }

  list(): ExperimentRow[] {
    return (
      this.db.prepare('SELECT * FROM experiments ORDER BY created_at DESC').all() as RawExperiment[]
    ).map(fromRaw);
  }

  count(): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM experiments').get() as { n: number }).n;
  }
}

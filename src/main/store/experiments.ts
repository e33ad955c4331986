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

  list(): ExperimentRow[] {
    return (
      this.db.prepare('SELECT * FROM experiments ORDER BY created_at DESC').all() as RawExperiment[]
    ).map(fromRaw);
  }

  count(): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM experiments').get() as { n: number }).n;
  }
}

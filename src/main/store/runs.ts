// The runs table: one row per (method, model, seed) of an experiment, with its status.
import { randomUUID } from 'node:crypto';
import type { MethodId } from '../../shared/ids';
import type { RunEnvironment, RunSummary } from '../../shared/records';
import type { RunStatus } from '../../shared/results';
import type { Db } from './db';

export interface RunRow {
  id: string;
  experimentId: string;
  position: number;
  methodIndex: number;
  method: MethodId;
  label: string;
  model: string;
  seed: number;
  status: RunStatus;
  error: string | null;
  environment: RunEnvironment | null;
  summary: RunSummary | null;
  notes: string[];
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

export type NewRun = Pick<RunRow, 'position' | 'methodIndex' | 'method' | 'label' | 'model' | 'seed'>;

interface RawRun {
  id: string;
  experiment_id: string;
  position: number;
  method_index: number;
  method: string;
  label: string;
  model: string;
  seed: number;
  status: string;
  error: string | null;
  environment: string | null;
  summary: string | null;
  notes: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
}

const json = <T>(s: string | null): T | null => (s === null ? null : (JSON.parse(s) as T));

const fromRaw = (r: RawRun): RunRow => ({
  id: r.id,
  experimentId: r.experiment_id,
  position: r.position,
  methodIndex: r.method_index,
  method: r.method as MethodId,
  label: r.label,
  model: r.model,
  seed: r.seed,
  status: r.status as RunStatus,
  error: r.error,
  environment: json<RunEnvironment>(r.environment),
  summary: json<RunSummary>(r.summary),
  notes: json<string[]>(r.notes) ?? [],
  createdAt: r.created_at,
  startedAt: r.started_at,
  finishedAt: r.finished_at,
});

export class RunsTable {
  constructor(private readonly db: Db) {}

  /** Insert the experiment's whole grid in one transaction: all or none. */
  insertAll(experimentId: string, runs: readonly NewRun[]): RunRow[] {
    const now = new Date().toISOString();
    const stmt = this.db.prepare(
      `INSERT INTO runs (id, experiment_id, position, method_index, method, label, model, seed, status, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'queued', ?)`,
    );
    return this.db.transaction(() =>
      runs.map((r) => {
        const id = randomUUID();
        stmt.run(id, experimentId, r.position, r.methodIndex, r.method, r.label, r.model, r.seed, now);
        return this.get(id)!;
      }),
    )();
  }

  get(id: string): RunRow | undefined {
    const r = this.db.prepare('SELECT * FROM runs WHERE id = ?').get(id) as RawRun | undefined;
    return r && fromRaw(r);
  }

  forExperiment(experimentId: string): RunRow[] {
    return (
      this.db
        .prepare('SELECT * FROM runs WHERE experiment_id = ? ORDER BY position')
        .all(experimentId) as RawRun[]
    ).map(fromRaw);
  }

  markStarted(id: string, environment: RunEnvironment, notes: string[]): void {
    this.db
      .prepare(`UPDATE runs SET status = 'running', environment = ?, notes = ?, started_at = ? WHERE id = ?`)
      .run(JSON.stringify(environment), JSON.stringify(notes), new Date().toISOString(), id);
  }

  markRunning(id: string): void {
    this.db
      .prepare(`UPDATE runs SET status = 'running', started_at = ? WHERE id = ?`)
      .run(new Date().toISOString(), id);
  }

  markEnded(
    id: string,
    status: Exclude<RunStatus, 'queued' | 'running'>,
    summary: RunSummary | null,
    error: string | null,
  ): void {
    this.db
      .prepare('UPDATE runs SET status = ?, summary = ?, error = ?, finished_at = ? WHERE id = ?')
      .run(status, summary && JSON.stringify(summary), error, new Date().toISOString(), id);
  }
}

// The runs table: one row per (method, model, seed) of an experiment, with its status.
import { randomUUID } from 'node:crypto';
import type { MethodId } from '../../shared/ids';
import type { RunEnvironment, RunSummary } from '../../shared/records';
import type { RunProgress, RunRecord, RunStatus } from '../../shared/results';
import type { Db } from './db';
import { StoreRefusal } from './errors';

/** The shape lives in src/shared so that the UI's contract can name it too. */
export type RunRow = RunRecord;
export type { RunProgress };

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
  queue_order: number;
  attempts: number;
  checkpoint_epoch: number | null;
  cancel_requested: number;
  progress: string | null;
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
  queueOrder: r.queue_order,
  attempts: r.attempts,
  checkpointEpoch: r.checkpoint_epoch,
  cancelRequested: r.cancel_requested === 1,
  progress: json<RunProgress>(r.progress),
});

/** Statuses a run can be retried from. */
export const RETRYABLE: readonly RunStatus[] = ['failed', 'cancelled', 'interrupted'];

export class RunsTable {
  constructor(private readonly db: Db) {}

  /** Insert the experiment's whole grid in one transaction: all or none. */
  insertAll(experimentId: string, runs: readonly NewRun[]): RunRow[] {
    const now = new Date().toISOString();
    const stmt = this.db.prepare(
      `INSERT INTO runs (id, experiment_id, position, method_index, method, label, model, seed, status, created_at,
                         queue_order)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?)`,
    );
    return this.db.transaction(() => {
      const last = this.lastQueueOrder();
      return runs.map((r, i) => {
        const id = randomUUID();
        stmt.run(
          id,
          experimentId,
          r.position,
          r.methodIndex,
          r.method,
          r.label,
          r.model,
          r.seed,
          now,
          last + i + 1,
        );
        return this.get(id)!;
      });
    })();
  }

  private lastQueueOrder(): number {
    return (this.db.prepare('SELECT COALESCE(MAX(queue_order), 0) AS m FROM runs').get() as { m: number }).m;
  }

  /** A run by its id or a unique prefix of it (as git takes commits). */
  find(idOrPrefix: string): RunRow {
    // LIKE's own wildcards in the prefix are matched as themselves, not stripped or expanded.
    const rows = this.db
      .prepare(`SELECT * FROM runs WHERE id LIKE ? ESCAPE '\\' ORDER BY id LIMIT 2`)
      .all(`${idOrPrefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`) as RawRun[];
    if (rows.length === 0 || idOrPrefix.length === 0)
      throw new StoreRefusal(`no run "${idOrPrefix}"`, 'not-found');
    if (rows.length > 1 && rows[0]!.id !== idOrPrefix) {
      throw new StoreRefusal(`"${idOrPrefix}" names more than one run; give more of its id`, 'not-found');
    }
    return fromRaw(rows[0]!);
  }

  /** Every run in queue order, for the queue view. */
  all(): RunRow[] {
    return (this.db.prepare('SELECT * FROM runs ORDER BY queue_order').all() as RawRun[]).map(fromRaw);
  }

  nextQueued(): RunRow | undefined {
    const r = this.db
      .prepare(`SELECT * FROM runs WHERE status = 'queued' ORDER BY queue_order LIMIT 1`)
      .get() as RawRun | undefined;
    return r && fromRaw(r);
  }

  /** How many runs wait in the queue (all experiments). */
  queuedCount(): number {
    return (this.db.prepare(`SELECT COUNT(*) AS n FROM runs WHERE status = 'queued'`).get() as { n: number })
      .n;
  }

  /** Take a queued run for execution; false when someone else took it or it was cancelled. */
  claim(id: string): boolean {
    const r = this.db
      .prepare(
        `UPDATE runs SET status = 'running', attempts = attempts + 1, cancel_requested = 0, progress = NULL,
                error = NULL, started_at = COALESCE(started_at, ?)
         WHERE id = ? AND status = 'queued'`,
      )
      .run(new Date().toISOString(), id);
    return r.changes === 1;
  }

  /** Runs left 'running' by a host that is gone: they continue from their checkpoint on resume. */
  markOrphansInterrupted(except: readonly string[] = []): number {
    // `except`: runs that live on without their host (Slurm jobs), which the executor follows again.
    return this.db
      .prepare(
        `UPDATE runs SET status = 'interrupted', progress = NULL, cancel_requested = 0 WHERE status = 'running'` +
          (except.length ? ` AND id NOT IN (${except.map(() => '?').join(',')})` : ''),
      )
      .run(...except).changes;
  }

  /**
   * A running run this host stopped (Ctrl-C, closing) or can no longer finish: interrupted,
   * to continue from its last checkpoint on resume. Only a run still 'running' changes.
   */
  interrupt(id: string): void {
    this.db
      .prepare(
        `UPDATE runs SET status = 'interrupted', progress = NULL, cancel_requested = 0, finished_at = NULL
         WHERE id = ? AND status = 'running'`,
      )
      .run(id);
  }

  /** Interrupted runs go back into the queue, in their place, to continue from their checkpoint. */
  requeueInterrupted(): number {
    return this.db
      .prepare(`UPDATE runs SET status = 'queued', finished_at = NULL WHERE status = 'interrupted'`)
      .run().changes;
  }

  setCheckpointEpoch(id: string, epoch: number | null): void {
    this.db.prepare('UPDATE runs SET checkpoint_epoch = ? WHERE id = ?').run(epoch, id);
  }

  setProgress(id: string, progress: RunProgress): void {
    this.db
      .prepare(`UPDATE runs SET progress = ? WHERE id = ? AND status = 'running'`)
      .run(JSON.stringify(progress), id);
  }

  /** Cancel: a queued run at once; a running one is asked to stop (its host stops it within a minibatch). */
  requestCancel(id: string): 'cancelled' | 'requested' {
    return this.db.transaction(() => {
      const run = this.get(id);
      if (!run) throw new StoreRefusal(`no run "${id}"`, 'not-found');
      if (run.status === 'queued') {
        this.markEnded(id, 'cancelled', null, null);
        return 'cancelled' as const;
      }
      if (run.status === 'running') {
        this.db.prepare('UPDATE runs SET cancel_requested = 1 WHERE id = ?').run(id);
        return 'requested' as const;
      }
      throw new StoreRefusal(
        `run ${id.slice(0, 8)} is ${run.status}: only queued or running runs can be cancelled`,
      );
    })();
  }

  /**
   * Runs this host stopped because it is closing, not because the user cancelled: they
   * continue from their last checkpoint on resume, as after a crash.
   */
  markInterrupted(ids: readonly string[]): void {
    if (ids.length === 0) return;
    this.db
      .prepare(
        `UPDATE runs SET status = 'interrupted', finished_at = NULL
         WHERE status = 'cancelled' AND id IN (${ids.map(() => '?').join(',')})`,
      )
      .run(...ids);
  }

  /** The environment the most recently started run recorded (the backend a new run likely gets). */
  lastEnvironment(): { environment: RunEnvironment; startedAt: string } | undefined {
    const r = this.db
      .prepare(
        `SELECT environment, started_at FROM runs WHERE environment IS NOT NULL ORDER BY started_at DESC LIMIT 1`,
      )
      .get() as { environment: string; started_at: string } | undefined;
    return r && { environment: JSON.parse(r.environment) as RunEnvironment, startedAt: r.started_at };
  }

  /** Changes to any run's status, place, cancel request or attempts, as one comparable string. */
  fingerprint(): string {
    const r = this.db
      .prepare(
        `SELECT COUNT(*) AS n, COALESCE(group_concat(id || status || queue_order || cancel_requested || attempts, ','), '') AS f
         FROM (SELECT * FROM runs ORDER BY queue_order)`,
      )
      .get() as { n: number; f: string };
    return `${r.n}|${r.f}`;
  }

  cancelRequested(ids: readonly string[]): string[] {
    if (ids.length === 0) return [];
    const rows = this.db
      .prepare(`SELECT id FROM runs WHERE cancel_requested = 1 AND id IN (${ids.map(() => '?').join(',')})`)
      .all(...ids) as { id: string }[];
    return rows.map((r) => r.id);
  }

  /** Queue a failed, cancelled or interrupted run again, from scratch, at the end of the queue. */
  retry(id: string): RunRow {
    return this.db.transaction(() => {
      const run = this.get(id);
      if (!run) throw new StoreRefusal(`no run "${id}"`, 'not-found');
      if (!RETRYABLE.includes(run.status)) {
        throw new StoreRefusal(
          `run ${id.slice(0, 8)} is ${run.status}: only ${RETRYABLE.join(', ')} runs can be retried`,
        );
      }
      this.db.prepare('DELETE FROM epochs WHERE run_id = ?').run(id);
      this.db
        .prepare(
          `UPDATE runs SET status = 'queued', error = NULL, summary = NULL, progress = NULL, checkpoint_epoch = NULL,
                  cancel_requested = 0, started_at = NULL, finished_at = NULL, queue_order = ? WHERE id = ?`,
        )
        .run(this.lastQueueOrder() + 1, id);
      return this.get(id)!;
    })();
  }

  /** Queue a failed, cancelled or interrupted run again to continue from its last checkpoint. */
  requeueFromCheckpoint(id: string): RunRow {
    return this.db.transaction(() => {
      const run = this.get(id);
      if (!run) throw new StoreRefusal(`no run "${id}"`, 'not-found');
      if (!RETRYABLE.includes(run.status)) {
        throw new StoreRefusal(
          `run ${id.slice(0, 8)} is ${run.status}: only ${RETRYABLE.join(', ')} runs can be resumed`,
        );
      }
      this.db
        .prepare(
          `UPDATE runs SET status = 'queued', error = NULL, summary = NULL, progress = NULL, cancel_requested = 0,
                  finished_at = NULL, queue_order = ? WHERE id = ?`,
        )
        .run(this.lastQueueOrder() + 1, id);
      return this.get(id)!;
    })();
  }

  /** Move a queued run to `index` among the queued runs (0 = next to start). */
  moveInQueue(id: string, index: number): void {
    this.db.transaction(() => {
      const queued = (
        this.db.prepare(`SELECT id FROM runs WHERE status = 'queued' ORDER BY queue_order`).all() as {
          id: string;
        }[]
      ).map((r) => r.id);
      const from = queued.indexOf(id);
      if (from < 0)
        throw new StoreRefusal(`run ${id.slice(0, 8)} is not queued: only queued runs can be reordered`);
      queued.splice(from, 1);
      queued.splice(Math.max(0, Math.min(index, queued.length)), 0, id);
      const base = (
        this.db.prepare('SELECT COALESCE(MIN(queue_order), 0) AS m FROM runs').get() as { m: number }
      ).m;
      const stmt = this.db.prepare('UPDATE runs SET queue_order = ? WHERE id = ?');
      // Queued runs keep their slots relative to each other, after everything already started.
      const start = Math.max(base, this.maxStartedOrder()) + 1;
      queued.forEach((qid, i) => stmt.run(start + i, qid));
    })();
  }

  private maxStartedOrder(): number {
    return (
      this.db
        .prepare(`SELECT COALESCE(MAX(queue_order), 0) AS m FROM runs WHERE status != 'queued'`)
        .get() as {
        m: number;
      }
    ).m;
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

  /** Delete the row; its epochs go with it (ON DELETE CASCADE). */
  delete(id: string): boolean {
    return this.db.prepare('DELETE FROM runs WHERE id = ?').run(id).changes === 1;
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
      .prepare(
        'UPDATE runs SET status = ?, summary = ?, error = ?, finished_at = ?, progress = NULL, cancel_requested = 0 WHERE id = ?',
      )
      .run(status, summary && JSON.stringify(summary), error, new Date().toISOString(), id);
  }
}

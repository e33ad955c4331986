// The epochs table: the per-epoch records, unique per (run, epoch).
import type { EpochRecord } from '../../shared/records';
import type { Db } from './db';

export class EpochsTable {
  constructor(private readonly db: Db) {}

  /** Store an epoch's record; a record already stored for that (run, epoch) is kept, not doubled. */
  insert(record: EpochRecord): void {
    this.db
      .prepare(
        `INSERT OR IGNORE INTO epochs (run_id, epoch, val_loss, val_accuracy, train_loss, seconds, record)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        record.runId,
        record.epoch,
        record.val.loss,
        record.val.accuracy,
        record.train.loss,
        record.counters.seconds,
        JSON.stringify(record),
      );
  }

  lastEpoch(runId: string): number {
    const r = this.db
      .prepare('SELECT COALESCE(MAX(epoch), 0) AS e FROM epochs WHERE run_id = ?')
      .get(runId) as {
      e: number;
    };
    return r.e;
  }

  deleteAfter(runId: string, epoch: number): void {
    this.db.prepare('DELETE FROM epochs WHERE run_id = ? AND epoch > ?').run(runId, epoch);
  }

  /** Where the records end now: a follower starting here sees only what comes after. */
  maxRowid(): number {
    return (this.db.prepare('SELECT COALESCE(MAX(rowid), 0) AS m FROM epochs').get() as { m: number }).m;
  }

  /**
   * Records stored after `rowid` (of these runs, or of every run when `runIds` is null), for a
   * host that follows another host's runs.
   */
  since(rowid: number, runIds: readonly string[] | null): { rowid: number; record: EpochRecord }[] {
    if (runIds?.length === 0) return [];
    const rows = (
      runIds
        ? this.db
            .prepare(
              `SELECT rowid, record FROM epochs WHERE rowid > ? AND run_id IN (${runIds.map(() => '?').join(',')}) ORDER BY rowid`,
            )
            .all(rowid, ...runIds)
        : this.db.prepare('SELECT rowid, record FROM epochs WHERE rowid > ? ORDER BY rowid').all(rowid)
    ) as { rowid: number; record: string }[];
    return rows.map((r) => ({ rowid: r.rowid, record: JSON.parse(r.record) as EpochRecord }));
  }

  /** Epochs recorded so far, by run. */
  countsByRun(): Map<string, number> {
    const rows = this.db.prepare('SELECT run_id, COUNT(*) AS n FROM epochs GROUP BY run_id').all() as {
      run_id: string;
      n: number;
    }[];
    return new Map(rows.map((r) => [r.run_id, r.n]));
  }

  /**
   * By run: the highest validation accuracy recorded and the run's clock at its last recorded
   * epoch (seconds are cumulative), for lists that show how far each run got.
   */
  standingByRun(): Map<string, { bestValAccuracy: number; seconds: number }> {
    const rows = this.db
      .prepare(
        `SELECT run_id, MAX(val_accuracy) AS best, MAX(seconds) AS seconds FROM epochs GROUP BY run_id`,
      )
      .all() as { run_id: string; best: number; seconds: number }[];
    return new Map(rows.map((r) => [r.run_id, { bestValAccuracy: r.best, seconds: r.seconds }]));
  }

  forRun(runId: string): EpochRecord[] {
    const rows = this.db.prepare('SELECT record FROM epochs WHERE run_id = ? ORDER BY epoch').all(runId) as {
      record: string;
    }[];
    return rows.map((r) => JSON.parse(r.record) as EpochRecord);
  }
}

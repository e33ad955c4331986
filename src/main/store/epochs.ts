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

  /** Records stored after `rowid`, for a host that follows another host's runs. */
  since(rowid: number, runIds: readonly string[]): { rowid: number; record: EpochRecord }[] {
    if (runIds.length === 0) return [];
    const rows = this.db
      .prepare(
        `SELECT rowid, record FROM epochs WHERE rowid > ? AND run_id IN (${runIds.map(() => '?').join(',')}) ORDER BY rowid`,
      )
      .all(rowid, ...runIds) as { rowid: number; record: string }[];
    return rows.map((r) => ({ rowid: r.rowid, record: JSON.parse(r.record) as EpochRecord }));
  }

  forRun(runId: string): EpochRecord[] {
    const rows = this.db.prepare('SELECT record FROM epochs WHERE run_id = ? ORDER BY epoch').all(runId) as {
      record: string;
    }[];
    return rows.map((r) => JSON.parse(r.record) as EpochRecord);
  }
}

// The epochs table: the per-epoch records, unique per (run, epoch).
import type { EpochRecord } from '../../shared/records';
import type { Db } from './db';

export class EpochsTable {
  constructor(private readonly db: Db) {}

  insert(record: EpochRecord): void {
    this.db
      .prepare(
        `INSERT INTO epochs (run_id, epoch, val_loss, val_accuracy, train_loss, seconds, record)
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

  forRun(runId: string): EpochRecord[] {
    const rows = this.db.prepare('SELECT record FROM epochs WHERE run_id = ? ORDER BY epoch').all(runId) as {
      record: string;
    }[];
    return rows.map((r) => JSON.parse(r.record) as EpochRecord);
  }
}

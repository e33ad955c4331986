// The datasets table: one row per imported dataset (the pixels live in the file it names).
// A row is written only once its file is in place, so a row always has a file behind it.
import type { DatasetSummary } from '../../shared/datasets';
import type { Db } from './db';

/** One input file the dataset was made from; a dropped folder of images is one entry. */
export interface DatasetSource {
  path: string;
  bytes: number;
  /** SHA-256 of the file; for a folder, of its manifest (see the import's sources). */
  sha256: string;
  /** For a folder: how many of its files were used. */
  files?: number;
}

export interface DatasetRow extends DatasetSummary {
  sources: DatasetSource[];
  /** The dataset file, relative to the data dir. */
  file: string;
  createdAt: string;
}

interface RawDataset {
  name: string;
  format: string;
  height: number;
  width: number;
  channels: number;
  classes: string;
  train_count: number;
  test_count: number;
  split: string;
  sources: string;
  file: string;
  created_at: string;
}

const fromRaw = (r: RawDataset): DatasetRow => ({
  name: r.name,
  format: r.format,
  height: r.height,
  width: r.width,
  channels: r.channels,
  classes: JSON.parse(r.classes) as string[],
  trainCount: r.train_count,
  testCount: r.test_count,
  split: r.split,
  sources: JSON.parse(r.sources) as DatasetSource[],
  file: r.file,
  createdAt: r.created_at,
});

export class DatasetsTable {
  constructor(private readonly db: Db) {}

  /** Throws if the name is taken (the primary key), leaving the table as it was. */
  insert(row: DatasetRow): void {
    this.db.transaction(() => {
      this.db
        .prepare(
          `INSERT INTO datasets (name, format, height, width, channels, classes, train_count, test_count,
                                 split, sources, file, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          row.name,
          row.format,
          row.height,
          row.width,
          row.channels,
          JSON.stringify(row.classes),
          row.trainCount,
          row.testCount,
          row.split,
          JSON.stringify(row.sources),
          row.file,
          row.createdAt,
        );
    })();
  }

  get(name: string): DatasetRow | undefined {
    const r = this.db.prepare('SELECT * FROM datasets WHERE name = ?').get(name) as RawDataset | undefined;
    return r && fromRaw(r);
  }

  list(): DatasetRow[] {
    return (this.db.prepare('SELECT * FROM datasets ORDER BY name').all() as RawDataset[]).map(fromRaw);
  }

  /** True if there was a row to delete. */
  delete(name: string): boolean {
    return this.db.transaction(
      () => this.db.prepare('DELETE FROM datasets WHERE name = ?').run(name).changes > 0,
    )();
  }
}

// The SQLite file under the data dir: the one place results live. The host process is its
// only writer. WAL lets readers (the UI, `runs list`) read while a run writes.
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { MIGRATIONS } from './migrations';

export type Db = Database.Database;

export const DB_FILE = 'annealab.db';

export function openDatabase(dataDir: string): Db {
  mkdirSync(dataDir, { recursive: true });
  const db = new Database(join(dataDir, DB_FILE));
  db.pragma('journal_mode = WAL');
  db.pragma('foreign_keys = ON');
  // Wait for another process's write (a second CLI, the UI host) instead of failing at once.
  db.pragma('busy_timeout = 10000');
  migrate(db);
  return db;
}

/** Apply, in one transaction each, the migrations this file has not seen yet. */
export function migrate(db: Db): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  const latest = MIGRATIONS.length;
  if (current > latest) {
    throw new Error(
      `the database was written by a newer Annealab (schema ${current}, this one knows ${latest}); update Annealab`,
    );
  }
  for (let v = current; v < latest; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]!);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
}

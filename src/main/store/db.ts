// The SQLite file under the data dir: the one place results live. The host process is its
// only writer. WAL lets readers (the UI, `runs list`) read while a run writes.
import Database from 'better-sqlite3';
import { mkdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ContractError } from '../../shared/contract';
import { asDiskError } from './errors';
import { MIGRATIONS } from './migrations';

export type Db = Database.Database;

export const DB_FILE = 'annealab.db';

export function openDatabase(dataDir: string): Db {
  ensureDataDir(dataDir);
  const path = join(dataDir, DB_FILE);
  let db: Db | undefined;
  try {
    db = new Database(path);
    db.pragma('journal_mode = WAL');
    db.pragma('foreign_keys = ON');
    // Wait for another process's write (a second CLI, the UI host) instead of failing at once.
    db.pragma('busy_timeout = 10000');
    migrate(db);
    return db;
  } catch (err) {
    // A full or read-only disk: say where and how much room is left (SQLite says "disk I/O
    // error"). The file is as it was: SQLite wrote nothing it could not finish.
    try {
      db?.close();
    } catch {
      // Closing a connection that never opened properly: nothing to keep.
    }
    throw asDiskError(err, path);
  }
}

/**
 * Make the data dir, folder by folder from its nearest existing ancestor. Not Node 20's
 * `mkdirSync(…, { recursive: true })`: under /proc it spins at 100 % CPU forever, and under a
 * regular file it fails with a bare ENOTDIR. A dir that cannot be made is the user's to fix.
 */
export function ensureDataDir(dataDir: string): void {
  const missing: string[] = [];
  let dir = resolve(dataDir);
  for (;;) {
    let isDir: boolean;
    try {
      isDir = statSync(dir).isDirectory();
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if ((code !== 'ENOENT' && code !== 'ENOTDIR') || dirname(dir) === dir)
        throw cannotMake(dataDir, dir, err);
      missing.push(dir);
      dir = dirname(dir);
      continue;
    }
    if (!isDir) {
      throw new ContractError(
        `cannot use the data dir ${dataDir}: ${dir} is a file, not a folder; choose another --data-dir (or ANNEALAB_DATA_DIR)`,
        'bad-input',
      );
    }
    break;
  }
  for (const d of missing.reverse()) {
    try {
      mkdirSync(d);
    } catch (err) {
      // Another process made it meanwhile: as good as ours.
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw cannotMake(dataDir, d, err);
    }
  }
}

function cannotMake(dataDir: string, at: string, err: unknown): ContractError {
  const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
  return new ContractError(
    `cannot create the data dir ${dataDir} (${code} at ${at}); choose a folder you can write with --data-dir (or ANNEALAB_DATA_DIR)`,
    'bad-input',
  );
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

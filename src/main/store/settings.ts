// Small persistent settings of the workbench: queue paused, concurrency, the executor lease.
import type { Db } from './db';

export class SettingsTable {
  constructor(private readonly db: Db) {}

  get<T>(key: string): T | undefined {
    const r = this.db.prepare('SELECT value FROM settings WHERE key = ?').get(key) as
      { value: string } | undefined;
    return r && (JSON.parse(r.value) as T);
  }

  set(key: string, value: unknown): void {
    this.db
      .prepare(
        'INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value',
      )
      .run(key, JSON.stringify(value));
  }

  delete(key: string): void {
    this.db.prepare('DELETE FROM settings WHERE key = ?').run(key);
  }

  /** Every setting but `except`, as one comparable string. */
  fingerprint(except: string): string {
    return (
      this.db
        .prepare(
          `SELECT COALESCE(group_concat(key || '=' || value, ','), '') AS f FROM settings WHERE key != ?`,
        )
        .get(except) as { f: string }
    ).f;
  }
}

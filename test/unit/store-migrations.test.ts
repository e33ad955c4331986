// Schema migrations on a real SQLite file: a database written by an older Annealab is brought up
// to date with its rows intact, and what they meant then is kept.
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { migrate, openDatabase } from '../../src/main/store/db';
import { MIGRATIONS } from '../../src/main/store/migrations';

let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A database as Annealab left it at schema `version`, with one experiment. */
function databaseAt(version: number, spec: unknown): string {
  dir = mkdtempSync(join(tmpdir(), 'annealab-migrate-'));
  const file = join(dir, 'annealab.db');
  const db = new Database(file);
  for (let v = 0; v < version; v++) db.exec(MIGRATIONS[v]!);
  db.pragma(`user_version = ${version}`);
  db.prepare('INSERT INTO experiments (id, name, spec, created_at) VALUES (?, ?, ?, ?)').run(
    'e1',
    'old',
    JSON.stringify(spec),
    '2026-11-01T00:00:00Z',
  );
  db.close();
  return dir;
}

describe('migration 3: the loss scale of stored experiments', () => {
  const methods = [
    { id: 'sgd', lr: 0.1 },
    { id: 'ssa', epsilon: 0.01, temperature: 1 },
    { id: 'sgd-sa', lrSet: 'H2' },
    { id: 'restart', restartEpsilon: 1e-4 },
    { id: 'scheduled-sgd', milestones: [30, 70] },
  ];

  it('marks SSA, SGD-SA and restart as the mean-CE scale they ran on, in order, and nothing else', () => {
    const db = openDatabase(databaseAt(2, { name: 'old', methods, epochs: 3 }));
    const row = db.prepare('SELECT spec FROM experiments WHERE id = ?').get('e1') as { spec: string };
    db.close();
    const spec = JSON.parse(row.spec) as { name: string; epochs: number; methods: object[] };
    expect(spec.name).toBe('old');
    expect(spec.epochs).toBe(3);
    expect(spec.methods).toEqual([
      { id: 'sgd', lr: 0.1 },
      { id: 'ssa', epsilon: 0.01, temperature: 1, lossScale: 'mean' },
      { id: 'sgd-sa', lrSet: 'H2', lossScale: 'mean' },
      { id: 'restart', restartEpsilon: 1e-4, lossScale: 'mean' },
      { id: 'scheduled-sgd', milestones: [30, 70] },
    ]);
  });

  it('leaves a scale that is already stated, and runs once', () => {
    const stated = [{ id: 'ssa', lossScale: 'thesis' }];
    const path = databaseAt(2, { name: 'x', methods: stated });
    const db = openDatabase(path);
    expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    migrate(db); // nothing left to apply
    const row = db.prepare('SELECT spec FROM experiments').get() as { spec: string };
    db.close();
    expect(JSON.parse(row.spec).methods).toEqual(stated);
  });
});

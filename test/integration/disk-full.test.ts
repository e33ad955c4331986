// A full disk, for real: a 30 MB tmpfs filled to the last block. Opening the store there, and
// a run whose disk fills up between two epochs, end with exit 2 and a message that names the
// device, the file and the room left, never a stack trace; the store stays intact and the
// run resumes, once there is room, to the numbers of an uninterrupted run. Needs mount (root);
// skipped, saying why, where mounting is not allowed.
import Database from 'better-sqlite3';
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, jsonLines, runCli, tempDir, writeSpec } from '../helpers/cli';

const root = tempDir('annealab-disk-full-');
const mountPoint = join(root, 'tmpfs');
let mountProblem: string | null = null;
try {
  mkdirSync(mountPoint);
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=30m', 'tmpfs', mountPoint], { stdio: 'pipe' });
} catch (err) {
  mountProblem = String((err as { stderr?: Buffer }).stderr ?? (err as Error).message).trim();
}

const spec = {
  name: 'full',
  dataset: { id: 'mnist', trainSize: 2000, testSize: 200 },
  models: ['mlp'],
  methods: [{ id: 'sgd', lr: 0.05, momentum: 0.9 }],
  seeds: [3],
  epochs: 4,
  batchSize: 16,
};
const comparable = (r: Record<string, any>) => ({
  epoch: r.epoch,
  val: r.val,
  train: r.train,
  updates: r.counters.updates,
});

/** Fill the tmpfs to its last block with one file; returns its path (remove it to make room). */
function fill(): string {
  const filler = join(mountPoint, 'filler');
  try {
    execFileSync('dd', ['if=/dev/zero', `of=${filler}`, 'bs=64k'], { stdio: 'pipe' });
  } catch {
    // dd ends with "No space left on device": that is the point.
  }
  return filler;
}

const noStack = (stderr: string) => expect(stderr).not.toMatch(/\n\s+at .*:\d+:\d+/);

describe.skipIf(mountProblem !== null)(
  `a full disk (tmpfs)${mountProblem ? `: skipped, mount failed: ${mountProblem}` : ''}`,
  () => {
    afterAll(() => {
      execFileSync('umount', [mountPoint]);
      rmSync(root, { recursive: true, force: true });
    });

    it('opening the store on a full disk says where and how much room is left, exit 2', async () => {
      const dataDir = join(mountPoint, 'open');
      const filler = fill();
      try {
        const r = await runCli(['queue', 'list', '--data-dir', dataDir]);
        expect(r.code, r.stderr).toBe(2);
        expect(r.stderr).toMatch(
          new RegExp(
            `no space left on tmpfs \\(${mountPoint}\\) writing ${join(dataDir, 'annealab.db')} \\(0\\.\\d MB free\\)`,
          ),
        );
        noStack(r.stderr);
      } finally {
        rmSync(filler);
      }
      const again = await runCli(['queue', 'list', '--data-dir', dataDir]);
      expect(again.code, again.stderr).toBe(0);
    }, 60_000);

    describe('a run whose disk fills up between epochs', () => {
      let reference: Record<string, any>[];
      let referenceDir: string;
      beforeAll(async () => {
        const dir = tempDir();
        referenceDir = join(dir, 'd');
        const r = await runCli(['run', writeSpec(dir, spec), '--json', '--data-dir', referenceDir]);
        expect(r.code, r.stderr).toBe(0);
        reference = jsonLines(r.stdout).filter((e) => e.type === 'epoch');
      }, 300_000);

      it('stops with exit 2 naming the file, keeps the store intact, and resumes exactly once there is room', async () => {
        const dataDir = join(mountPoint, 'run');
        const host = spawn(
          process.execPath,
          [BIN, 'run', writeSpec(root, spec), '--json', '--data-dir', dataDir],
          {
            stdio: ['ignore', 'pipe', 'pipe'],
          },
        );
        let stderr = '';
        host.stderr.on('data', (d) => (stderr += d));
        let filler: string | null = null;
        host.stdout.on('data', (d) => {
          if (!filler && String(d).includes('"type":"epoch"')) filler = fill();
        });
        const code = await new Promise((r) => host.on('exit', r));
        try {
          expect(filler, 'the run ended before its first epoch').not.toBeNull();
          expect(code, stderr).toBe(2);
          expect(stderr).toMatch(
            new RegExp(
              `no space left on tmpfs \\(${mountPoint}\\) writing ${dataDir}/\\S+ \\(\\d+\\.\\d MB free\\)`,
            ),
          );
          noStack(stderr);
          const db = new Database(join(dataDir, 'annealab.db'), { readonly: true });
          expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
          const run = db.prepare('SELECT status, error FROM runs').get() as {
            status: string;
            error: string | null;
          };
          db.close();
          expect(run.status).not.toBe('failed');
          expect(run.error).toBeNull();
        } finally {
          if (filler) rmSync(filler);
        }
        const resumed = await runCli(['queue', 'resume', '--json', '--data-dir', dataDir]);
        expect(resumed.code, resumed.stderr).toBe(0);
        const db = new Database(join(dataDir, 'annealab.db'), { readonly: true });
        const records = (
          db.prepare('SELECT record FROM epochs ORDER BY epoch').all() as { record: string }[]
        ).map((r) => JSON.parse(r.record));
        db.close();
        expect(records.map(comparable)).toEqual(reference.map(comparable));
      }, 300_000);

      it('an export --out onto the full disk says so, exit 2', async () => {
        const out = join(mountPoint, 'table.csv');
        const filler = fill();
        try {
          const r = await runCli([
            'export',
            'full',
            '--format',
            'csv',
            '--out',
            out,
            '--data-dir',
            referenceDir,
          ]);
          expect(r.code, r.stderr).toBe(2);
          expect(r.stderr).toMatch(
            new RegExp(`no space left on tmpfs \\(${mountPoint}\\) writing ${out} \\(0\\.\\d MB free\\)`),
          );
          noStack(r.stderr);
        } finally {
          rmSync(filler);
        }
      }, 60_000);
    });
  },
);

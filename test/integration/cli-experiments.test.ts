// `annealab experiments list|show|rename|delete` and `runs delete` through the real CLI, on a
// real SQLite file with the files real trainer processes leave (checkpoints, best weights).
import Database from 'better-sqlite3';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { deleteExperiment, submitExperiment } from '../../src/main/services/experiments';
import { deleteRun } from '../../src/main/services/runs';
import { Store } from '../../src/main/store';
import { validateSpec } from '../../src/shared/spec';
import { runCli, tempDir, writeSpec } from '../helpers/cli';

const spec = {
  name: 'twin',
  description: 'Two runs of the same spec: names need not be unique.',
  tags: ['smoke', 'mlp baseline'],
  dataset: { id: 'mnist', trainSize: 100, testSize: 50 },
  models: ['mlp'],
  methods: [{ id: 'sgd' }],
  seeds: [1, 2],
  epochs: 1,
  batchSize: 50,
  backend: 'cpu',
};

function rows(dataDir: string) {
  const db = new Database(join(dataDir, 'annealab.db'), { readonly: true });
  try {
    const n = (sql: string) => (db.prepare(sql).get() as { n: number }).n;
    return {
      experiments: db.prepare('SELECT id, name FROM experiments ORDER BY created_at').all() as {
        id: string;
        name: string;
      }[],
      runs: db.prepare('SELECT id, experiment_id AS experimentId FROM runs').all() as {
        id: string;
        experimentId: string;
      }[],
      epochs: n('SELECT COUNT(*) AS n FROM epochs'),
    };
  } finally {
    db.close();
  }
}

const runFolders = (dataDir: string) =>
  existsSync(join(dataDir, 'checkpoints')) ? readdirSync(join(dataDir, 'checkpoints')).sort() : [];

describe('annealab experiments', () => {
  let dir: string;
  let dataDir: string;
  let first: string;
  let second: string;

  beforeAll(async () => {
    dir = tempDir();
    dataDir = join(dir, 'data');
    const path = writeSpec(dir, spec);
    for (let i = 0; i < 2; i++) {
      const r = await runCli(['run', path, '--json', '--data-dir', dataDir]);
      expect(r.code, r.stderr).toBe(0);
    }
    const { experiments, runs } = rows(dataDir);
    expect(experiments.map((e) => e.name)).toEqual(['twin', 'twin']);
    [first, second] = experiments.map((e) => e.id) as [string, string];
    // Each finished run left its folder of files: the best weights at least.
    expect(runFolders(dataDir)).toEqual(runs.map((r) => r.id).sort());
    // Best weights are per attempt (best-N.weights, checkpoint.ts); a first attempt writes one.
    for (const r of runs)
      expect(
        readdirSync(join(dataDir, 'checkpoints', r.id)).filter((f) => /^best(-\d+)?\.weights$/.test(f)),
      ).toHaveLength(1);
  });

  it('refuses an ambiguous name, listing the candidates with ids and dates', async () => {
    for (const args of [
      ['experiments', 'show', 'twin'],
      ['export', 'twin', '--format', 'csv'],
      ['runs', 'list', '--experiment', 'twin'],
      ['queue', 'retry', 'twin'],
    ]) {
      const r = await runCli([...args, '--data-dir', dataDir]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain('"twin" names 2 experiments; give one\'s id or a unique prefix of it');
      for (const id of [first, second])
        expect(r.stderr).toMatch(
          new RegExp(`${id.slice(0, 8)}  \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d +2 runs  twin`),
        );
    }
  });

  it('takes a unique id prefix wherever it takes an experiment, export included', async () => {
    const show = await runCli(['experiments', 'show', first.slice(0, 6), '--json', '--data-dir', dataDir]);
    expect(show.code, show.stderr).toBe(0);
    const detail = JSON.parse(show.stdout) as Record<string, unknown>;
    expect(detail).toMatchObject({
      id: first,
      name: 'twin',
      description: spec.description,
      tags: spec.tags,
      counts: { finished: 2 },
    });
    expect((detail.runs as { bestValAccuracy: number }[]).every((r) => r.bestValAccuracy > 0)).toBe(true);

    const csv = await runCli(['export', second.slice(0, 6), '--format', 'csv', '--data-dir', dataDir]);
    expect(csv.code, csv.stderr).toBe(0);
    expect(csv.stdout).toContain('SGD');
  });

  it('lists by tag, with the description and tags, as JSON', async () => {
    const all = await runCli(['experiments', 'list', '--json', '--data-dir', dataDir]);
    expect(all.code, all.stderr).toBe(0);
    const list = JSON.parse(all.stdout) as { id: string; tags: string[]; description: string }[];
    expect(list.map((e) => e.id)).toEqual([second, first]);
    expect(list[0]).toMatchObject({ tags: spec.tags, description: spec.description });

    const tagged = await runCli(['experiments', 'list', '--tag', 'mlp baseline', '--data-dir', dataDir]);
    expect(tagged.stdout.trim().split('\n')).toHaveLength(2);
    expect(tagged.stdout).toContain('[smoke, mlp baseline]');
    const none = await runCli(['experiments', 'list', '--tag', 'mlp', '--data-dir', dataDir]);
    expect(none.stdout).toBe('no experiments tagged "mlp"\n');
  });

  it('runs list shows each run’s best accuracy and duration', async () => {
    const r = await runCli(['runs', 'list', '--json', '--data-dir', dataDir]);
    const list = JSON.parse(r.stdout) as { bestValAccuracy: number; durationSeconds: number }[];
    expect(list).toHaveLength(4);
    for (const run of list) {
      expect(run.bestValAccuracy).toBeGreaterThan(0);
      expect(run.bestValAccuracy).toBeLessThanOrEqual(1);
      expect(run.durationSeconds).toBeGreaterThan(0);
    }
    const text = await runCli(['runs', 'list', '--data-dir', dataDir]);
    expect(text.stdout).toMatch(/best +\d+\.\d\d% +\d+:\d\d +SGD/);
  });

  it('renames one of the twins, which then resolves by its name', async () => {
    const r = await runCli(['experiments', 'rename', second.slice(0, 8), 'twin-b', '--data-dir', dataDir]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(`renamed ${second.slice(0, 8)}: twin → twin-b\n`);
    const show = await runCli(['experiments', 'show', 'twin', '--json', '--data-dir', dataDir]);
    expect(JSON.parse(show.stdout)).toMatchObject({ id: first, name: 'twin' });
    const store = Store.open(dataDir);
    try {
      // The stored spec's name follows the column, so exports title it by its new name.
      expect(store.experiments.get(second)!.spec.name).toBe('twin-b');
    } finally {
      store.close();
    }
    const bad = await runCli(['experiments', 'rename', 'twin-b', 'x'.repeat(201), '--data-dir', dataDir]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('must be at most 200 characters');
    expect(rows(dataDir).experiments.map((e) => e.name)).toEqual(['twin', 'twin-b']);
  });

  it('analyze estimate-error prints the RMSE table from a finished run’s best weights', async () => {
    const runId = rows(dataDir).runs.find((r) => r.experimentId === first)!.id;
    const r = await runCli([
      'analyze',
      'estimate-error',
      runId.slice(0, 8),
      '--batches',
      '1..2',
      '--trials',
      '5',
      '--json',
      '--data-dir',
      dataDir,
    ]);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as {
      weights: string;
      trainCount: number;
      rows: { batches: number; rmse: number }[];
    };
    expect(out).toMatchObject({ runId, weights: 'best', trainCount: 100, batchSize: 50 });
    expect(out.rows.map((x) => x.batches)).toEqual([1, 2]);
    // Two minibatches of 50 are the whole training set of 100: no sampling error is left.
    expect(out.rows[0]!.rmse).toBeGreaterThan(1e-4);
    expect(out.rows[1]!.rmse).toBeLessThan(1e-5);

    const bad = await runCli([
      'analyze',
      'estimate-error',
      runId,
      '--batches',
      '0..3',
      '--data-dir',
      dataDir,
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('give whole numbers from 1 to 1000');
  });

  it('runs delete removes one run, its epochs and its folder, and leaves the rest', async () => {
    const before = rows(dataDir);
    const victim = before.runs.find((r) => r.experimentId === first)!.id;
    const r = await runCli(['runs', 'delete', victim.slice(0, 8), '--json', '--data-dir', dataDir]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ experimentId: first, runIds: [victim] });
    const after = rows(dataDir);
    expect(after.runs.map((x) => x.id)).not.toContain(victim);
    expect(after.runs).toHaveLength(3);
    expect(after.epochs).toBe(before.epochs - 1);
    expect(runFolders(dataDir)).not.toContain(victim);
    expect(runFolders(dataDir)).toHaveLength(3);
  });

  it('delete leaves no row and no file of the experiment, and nothing of the other goes', async () => {
    const r = await runCli(['experiments', 'delete', 'twin-b', '--data-dir', dataDir]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`deleted experiment twin-b (${second.slice(0, 8)}): 2 runs with their epochs`);
    const after = rows(dataDir);
    expect(after.experiments.map((e) => e.id)).toEqual([first]);
    expect(after.runs.every((x) => x.experimentId === first)).toBe(true);
    expect(after.runs).toHaveLength(1);
    expect(after.epochs).toBe(1);
    expect(runFolders(dataDir)).toEqual(after.runs.map((x) => x.id));

    const again = await runCli(['experiments', 'delete', 'twin-b', '--data-dir', dataDir]);
    expect(again.code).toBe(2);
    expect(again.stderr).toBe('annealab: no experiment "twin-b"\n');
  });
});

describe('deleting what is running', () => {
  const submitted = () => {
    const dataDir = join(tempDir(), 'data');
    const store = Store.open(dataDir);
    const r = validateSpec({ ...spec, name: 'busy' });
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    const { experiment, runs } = submitExperiment(store, r.spec);
    return { dataDir, store, experiment, runs };
  };

  it('is refused, changing nothing, while a run is running', async () => {
    const { dataDir, store, experiment, runs } = submitted();
    try {
      // A host took the first run: it is running now.
      expect(store.runs.claim(runs[0]!.id)).toBe(true);
    } finally {
      store.close();
    }
    for (const args of [
      ['experiments', 'delete', 'busy'],
      ['runs', 'delete', runs[0]!.id],
    ]) {
      const r = await runCli([...args, '--data-dir', dataDir]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(
        /(has a run running: \w{8} \(SGD \(η = 0\.1\) · mlp · seed 1\); cancel them first|seed 1\) is running; cancel it first) \(annealab queue cancel RUN\), or delete with --cancel/,
      );
    }
    expect(rows(dataDir)).toMatchObject({ experiments: [{ id: experiment.id }], runs: [{}, {}] });
    // The other, queued run is not running: it may go.
    const queued = await runCli(['runs', 'delete', runs[1]!.id, '--data-dir', dataDir]);
    expect(queued.code, queued.stderr).toBe(0);
    expect(rows(dataDir).runs.map((r) => r.id)).toEqual([runs[0]!.id]);
  });

  it('with cancel, cancels queued runs and waits for running ones; refuses if none stops them', async () => {
    const { dataDir, store, experiment, runs } = submitted();
    try {
      store.runs.claim(runs[0]!.id);
      // No host executes it, so nobody stops it: the delete gives up and deletes nothing.
      await expect(
        deleteRun(store, dataDir, runs[0]!.id, { cancel: true, stopTimeoutMs: 0, pollMs: 1 }),
      ).rejects.toThrow(/asked .* to stop, but no host stopped it in time .* nothing was deleted/);
      expect(store.runs.get(runs[0]!.id)).toMatchObject({ status: 'running', cancelRequested: true });
      // The host stops it (as an executor does on a cancel request): now the delete goes ahead.
      store.runs.markEnded(runs[0]!.id, 'cancelled', null, null);
      const woken: string[] = [];
      const d = await deleteExperiment(store, dataDir, experiment.id.slice(0, 8), {
        cancel: true,
        afterCancel: () => woken.push('runner'),
      });
      expect(d).toMatchObject({ experimentId: experiment.id, cancelled: 1, runIds: runs.map((r) => r.id) });
      expect(woken).toEqual(['runner']);
      expect(store.experiments.get(experiment.id)).toBeUndefined();
      expect(store.runs.forExperiment(experiment.id)).toEqual([]);
    } finally {
      store.close();
    }
  });
});

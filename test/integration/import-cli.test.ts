// `annealab datasets …` end to end: import MNIST as IDX .gz files through the real CLI, then
// train on it by name with `annealab run`, then show, list and delete it.
import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadDataset } from '../../src/main/datasets';
import { gzip, idxImages, idxLabels, write } from '../fixtures/import/make';
import { jsonLines, runCli, tempDir, writeSpec } from '../helpers/cli';

describe('annealab datasets import, then run on the imported dataset', () => {
  let dir: string;
  let dataDir: string;
  let source: string;

  beforeAll(async () => {
    dir = tempDir('annealab-import-cli-');
    dataDir = join(dir, 'data');
    source = join(dir, 'mnist-idx');
    const mnist = await loadDataset(join(tmpdir(), 'annealab-test-builtins'), 'mnist');
    write(
      join(source, 'train-images-idx3-ubyte.gz'),
      gzip(idxImages(mnist.train.images, mnist.train.count, 28, 28)),
    );
    write(join(source, 'train-labels-idx1-ubyte.gz'), gzip(idxLabels(mnist.train.labels)));
    write(
      join(source, 't10k-images-idx3-ubyte.gz'),
      gzip(idxImages(mnist.test.images, mnist.test.count, 28, 28)),
    );
    write(join(source, 't10k-labels-idx1-ubyte.gz'), gzip(idxLabels(mnist.test.labels)));
  });

  it('imports the IDX files and prints the metadata as JSON', async () => {
    const result = await runCli([
      'datasets',
      'import',
      join(source, 'train-images-idx3-ubyte.gz'),
      join(source, 'train-labels-idx1-ubyte.gz'),
      join(source, 't10k-images-idx3-ubyte.gz'),
      join(source, 't10k-labels-idx1-ubyte.gz'),
      '--name',
      'my-digits',
      '--json',
      '--data-dir',
      dataDir,
    ]);
    expect(result.code, result.stderr).toBe(0);
    const [row] = jsonLines(result.stdout);
    expect(row).toMatchObject({
      name: 'my-digits',
      format: 'idx',
      height: 28,
      width: 28,
      channels: 1,
      trainCount: 8000,
      testCount: 2000,
      split: 'source',
      file: 'datasets/my-digits.annds',
    });
    expect(existsSync(join(dataDir, 'datasets', 'my-digits.annds'))).toBe(true);
    const db = new Database(join(dataDir, 'annealab.db'), { readonly: true });
    const stored = db.prepare('SELECT name, format, sources FROM datasets').all() as { sources: string }[];
    db.close();
    expect(stored).toHaveLength(1);
    expect(JSON.parse(stored[0]!.sources)).toHaveLength(4);
  });

  it('trains on it by name: mlp, 300 train / 100 test, 1 epoch, sgd', async () => {
    const spec = {
      name: 'on-imported',
      dataset: { id: 'my-digits', trainSize: 300, testSize: 100 },
      models: ['mlp'],
      methods: [{ id: 'sgd', lr: 0.1 }],
      seeds: [1],
      epochs: 1,
      batchSize: 64,
    };
    const result = await runCli(['run', writeSpec(dir, spec), '--json', '--data-dir', dataDir]);
    expect(result.code, result.stderr).toBe(0);
    const events = jsonLines(result.stdout);
    expect(events.filter((e) => e.type === 'epoch')).toHaveLength(1);
    expect(events.filter((e) => e.type === 'run-finished')).toHaveLength(1);
    const started = events.find((e) => e.type === 'run-started') as Record<string, any>;
    expect(started).toMatchObject({ trainCount: 300, testCount: 100 });
  });

  it('lists and shows it', async () => {
    const list = await runCli(['datasets', 'list', '--json', '--data-dir', dataDir]);
    expect(list.code, list.stderr).toBe(0);
    const entries = JSON.parse(list.stdout) as { name: string; builtin: boolean }[];
    expect(entries.map((e) => [e.name, e.builtin])).toEqual([
      ['mnist', true],
      ['fashion-mnist', true],
      ['my-digits', false],
    ]);
    const show = await runCli(['datasets', 'show', 'my-digits', '--data-dir', dataDir]);
    expect(show.code, show.stderr).toBe(0);
    expect(show.stdout).toContain('format    idx');
    expect(show.stdout).toMatch(/shape {5}28×28×1/);
    expect(show.stdout).toMatch(/t10k-labels-idx1-ubyte\.gz \(\d+ bytes\) sha256 [0-9a-f]{64}/);
  });

  it('reports bad input on stderr with exit code 2 and keeps nothing', async () => {
    const bad = write(join(dir, 'bad', 'data_batch_1.bin'), Buffer.alloc(3073 * 2 + 5));
    const result = await runCli(['datasets', 'import', bad, '--name', 'broken', '--data-dir', dataDir]);
    expect(result.code).toBe(2);
    // Progress lines come first; the error is the last line.
    expect(result.stderr.trimEnd().split('\n').at(-1)).toBe(
      `annealab: ${bad}: truncated: 6151 bytes are not a whole number of 3073-byte CIFAR-10 records (2 records and 5 bytes more)`,
    );
    expect(existsSync(join(dataDir, 'datasets', 'broken.annds'))).toBe(false);
    const taken = await runCli(['datasets', 'import', source, '--name', 'my-digits', '--data-dir', dataDir]);
    expect(taken.code).toBe(2);
    expect(taken.stderr).toContain('a dataset named "my-digits" already exists');
  });

  it('deletes it', async () => {
    const result = await runCli(['datasets', 'delete', 'my-digits', '--data-dir', dataDir]);
    expect(result.code, result.stderr).toBe(0);
    expect(existsSync(join(dataDir, 'datasets', 'my-digits.annds'))).toBe(false);
    const show = await runCli(['datasets', 'show', 'my-digits', '--data-dir', dataDir]);
    expect(show.code).toBe(2);
    expect(show.stderr).toBe('annealab: no dataset "my-digits"; known: mnist, fashion-mnist\n');
  });
});

// The import's limits, with real files: how much the data may take once decompressed, how much
// a .gz may expand, IDX labels out of range, files that are not regular files, and one rule for
// single-class sources. Each refusal names the file and leaves nothing behind.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importDataset, type ImportOptions } from '../../src/main/datasets/import';
import { Store } from '../../src/main/store';
import { csv, gzip, idxImages, idxLabels, png, write } from '../fixtures/import/make';
import { runCli, tempDir } from '../helpers/cli';

let dir: string;
let dataDir: string;
let store: Store;

beforeAll(() => {
  dir = tempDir('annealab-import-limits-');
  dataDir = join(dir, 'data');
  store = Store.open(dataDir);
});
afterAll(() => store.close());

const listing = () => {
  const d = join(dataDir, 'datasets');
  return existsSync(d) ? readdirSync(d).sort() : [];
};

async function expectRefused(
  paths: string[],
  message: string | RegExp,
  options: Partial<ImportOptions> = {},
) {
  const before = listing();
  const error = await importDataset(dataDir, store, paths, { name: 'bad', ...options }).then(
    () => undefined,
    (e: Error) => e,
  );
  expect(error, 'the import should have failed').toBeDefined();
  expect(error!.name).toBe('ImportError');
  if (typeof message === 'string') expect(error!.message).toContain(message);
  else expect(error!.message).toMatch(message);
  expect(store.datasets.get('bad')).toBeUndefined();
  expect(listing()).toEqual(before);
}

const idxPair = (folder: string, labels: number[], n = labels.length) => {
  write(join(folder, 'train-images-idx3-ubyte'), idxImages(new Uint8Array(n * 4), n, 2, 2));
  write(join(folder, 'train-labels-idx1-ubyte'), idxLabels(Uint8Array.from(labels)));
  return folder;
};

describe('size and expansion limits', () => {
  it('refuses a .gz that expands far more than real data does, while it streams', async () => {
    // 64 MiB of zeros gzip to ~64 KB (1000×); real datasets expand a few times (MNIST 4.8×).
    const bomb = write(join(dir, 'bomb', 'train-images-idx3-ubyte.gz'), gzip(new Uint8Array(64 << 20)));
    await expectRefused([bomb], /train-images-idx3-ubyte\.gz: expands more than 100× its compressed size/);
    // The same file within a ratio the user allows is read (and then fails for what it is: no labels).
    await expectRefused([bomb], /wrong magic number 0x00000000/, { maxExpansionRatio: 2000 });
  });

  it('refuses data larger than the maximum size once decompressed', async () => {
    const folder = idxPair(
      join(dir, 'big'),
      Array.from({ length: 200 }, (_, i) => i % 2),
    );
    await expectRefused([folder], /would hold more than 1000 bytes in memory/, { maxBytes: 1000 });
    await expectRefused([folder], 'the maximum size must be a whole number of bytes > 0', { maxBytes: -1 });
  });

  it('takes --max-size and --max-ratio on the command line, and refuses a bad one with exit 2', async () => {
    const folder = idxPair(
      join(dir, 'cli'),
      Array.from({ length: 50 }, (_, i) => i % 2),
    );
    const small = await runCli([
      'datasets',
      'import',
      folder,
      '--name',
      'c',
      '--max-size',
      '100',
      '--data-dir',
      dataDir,
    ]);
    expect(small.code, small.stderr).toBe(2);
    expect(small.stderr).toContain('would hold more than 100 bytes in memory');
    expect(small.stderr).not.toMatch(/\n\s+at /);
    const bad = await runCli([
      'datasets',
      'import',
      folder,
      '--name',
      'c',
      '--max-size',
      'lots',
      '--data-dir',
      dataDir,
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('must be a size such as 4G');
    const ok = await runCli([
      'datasets',
      'import',
      folder,
      '--name',
      'c',
      '--max-size',
      '1M',
      '--max-ratio',
      '10',
      '--data-dir',
      dataDir,
    ]);
    expect(ok.code, ok.stderr).toBe(0);
  }, 60_000);
});

describe('what the sources hold', () => {
  it('refuses an IDX label outside 0…N-1 with its item, instead of making it a class', async () => {
    const labels = Array.from({ length: 30 }, (_, i) => i % 10);
    labels[17] = 200;
    await expectRefused(
      [idxPair(join(dir, 'range'), labels)],
      /train-labels-idx1-ubyte: item 17: label 200 is out of range: IDX labels are class indices 0…N-1, and the 11 different training labels are 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 200;/,
    );
  });

  it('refuses a FIFO (which would block the import for ever) and a device', async () => {
    const fifo = join(dir, 'pipe');
    execFileSync('mkfifo', [fifo]);
    await expectRefused([fifo], `${fifo}: is not a regular file or folder (a named pipe)`);
    await expectRefused(['/dev/zero'], '/dev/zero: is not a regular file or folder (a device)');
  });

  it('refuses a single-class source in every format', async () => {
    const same = 'every training image has the same label';
    await expectRefused([idxPair(join(dir, 'one-idx'), new Array(20).fill(0))], same);
    await expectRefused(
      [write(join(dir, 'one.csv'), csv(new Uint8Array(20 * 4), new Array(20).fill(1), 4))],
      same,
    );
    const folder = join(dir, 'one-folder');
    for (let i = 0; i < 5; i++)
      write(join(folder, 'cat', `${i}.png`), await png(new Uint8Array(4).fill(i * 40), 2, 2, 1));
    await expectRefused([folder], /an image folder needs one subfolder per class/);
  });
});

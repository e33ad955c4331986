// Bad input: each case gets a message that names the file and the problem, and leaves
// nothing behind (no row in SQLite, no file in <dataDir>/datasets).
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crc32 } from '../../src/main/datasets/import/images';
import { importDataset, type ImportOptions } from '../../src/main/datasets/import';
import { Store } from '../../src/main/store';
import { cifarRecords, csv, gzip, idxImages, idxLabels, png, tar, write } from '../fixtures/import/make';
import { tempDir } from '../helpers/cli';

let dir: string;
let dataDir: string;
let store: Store;

beforeAll(async () => {
  dir = tempDir('annealab-import-bad-');
  dataDir = join(dir, 'data');
  store = Store.open(dataDir);
  // One good import first, so "nothing left behind" is checked against a non-empty folder.
  const good = join(dir, 'good');
  write(join(good, 'train-images-idx3-ubyte'), idxImages(new Uint8Array(20 * 4), 20, 2, 2));
  write(join(good, 'train-labels-idx1-ubyte'), idxLabels(Uint8Array.from({ length: 20 }, (_, i) => i % 2)));
  await importDataset(dataDir, store, [good], { name: 'good' });
});
afterAll(() => store.close());

const listing = () => {
  const d = join(dataDir, 'datasets');
  return existsSync(d) ? readdirSync(d).sort() : [];
};

/** Imports `paths` as "bad", expects `message`, and checks that nothing was left behind. */
async function expectRefused(
  paths: string[],
  message: string | RegExp,
  options: Partial<ImportOptions> = {},
): Promise<string> {
  const filesBefore = listing();
  const rowsBefore = store.datasets.list();
  let error: Error | undefined;
  try {
    await importDataset(dataDir, store, paths, { name: 'bad', ...options });
  } catch (e) {
    error = e as Error;
  }
  expect(error, 'the import should have failed').toBeDefined();
  expect(error!.name).toMatch(/ImportError|MissingPackageError/);
  if (typeof message === 'string') expect(error!.message).toContain(message);
  else expect(error!.message).toMatch(message);
  expect(store.datasets.get(options.name ?? 'bad')).toBeUndefined();
  expect(store.datasets.list()).toEqual(rowsBefore);
  expect(listing()).toEqual(filesBefore);
  return error!.message;
}

const labels = (n: number, classes = 10) => Uint8Array.from({ length: n }, (_, i) => i % classes);

describe('IDX', () => {
  it('wrong magic number', async () => {
    const images = idxImages(new Uint8Array(10 * 4), 10, 2, 2);
    images.writeUInt32BE(0x00000804, 0);
    const file = write(join(dir, 'magic', 'train-images-idx3-ubyte'), images);
    const labelsFile = write(join(dir, 'magic', 'train-labels-idx1-ubyte'), idxLabels(labels(10)));
    const message = await expectRefused([file, labelsFile], `${file}: wrong magic number 0x00000804`);
    expect(message).toContain('0x00000803');
  });

  it('truncated file', async () => {
    const full = idxImages(new Uint8Array(10 * 784), 10, 28, 28);
    const file = write(join(dir, 'trunc', 'train-images-idx3-ubyte'), full.subarray(0, 16 + 5 * 784 + 100));
    write(join(dir, 'trunc', 'train-labels-idx1-ubyte'), idxLabels(labels(10)));
    await expectRefused(
      [join(dir, 'trunc')],
      `${file}: the header claims 10 images of 28×28 (7.7 KiB) but the file holds only 3.9 KiB, room for 5: truncated, or a wrong header`,
    );
  });

  it('a header that claims far more images than the (gzipped) file holds, without allocating them', async () => {
    const header = idxImages(new Uint8Array(784), 1, 28, 28);
    header.writeUInt32BE(4_000_000_000, 4);
    const file = write(join(dir, 'claims', 'train-images-idx3-ubyte.gz'), gzip(header));
    write(join(dir, 'claims', 'train-labels-idx1-ubyte.gz'), gzip(idxLabels(labels(1))));
    await expectRefused([join(dir, 'claims')], `${file}: the header claims 4000000000 images of 28×28`);
  });

  it('different counts of images and labels', async () => {
    const file = write(
      join(dir, 'counts', 'train-images-idx3-ubyte'),
      idxImages(new Uint8Array(10 * 4), 10, 2, 2),
    );
    const labelsFile = write(join(dir, 'counts', 'train-labels-idx1-ubyte'), idxLabels(labels(9)));
    await expectRefused(
      [join(dir, 'counts')],
      `${file}: holds 10 images but ${labelsFile} holds 9 labels; they must match one to one`,
    );
  });

  it('a test label that no training image has (out of range)', async () => {
    const d = join(dir, 'range');
    write(join(d, 'train-images-idx3-ubyte'), idxImages(new Uint8Array(10 * 4), 10, 2, 2));
    write(join(d, 'train-labels-idx1-ubyte'), idxLabels(labels(10, 5)));
    write(join(d, 't10k-images-idx3-ubyte'), idxImages(new Uint8Array(3 * 4), 3, 2, 2));
    const testLabels = write(join(d, 't10k-labels-idx1-ubyte'), idxLabels(Uint8Array.from([0, 1, 7])));
    await expectRefused(
      [d],
      `${testLabels}: item 2: label "7" is out of range: no training image has it (training labels: 0, 1, 2, 3, 4)`,
    );
  });
});

describe('CIFAR', () => {
  it('a label out of range', async () => {
    const l = labels(5);
    l[3] = 12;
    const file = write(
      join(dir, 'cifar-range', 'data_batch_1.bin'),
      cifarRecords(new Uint8Array(5 * 3072), l),
    );
    await expectRefused([file], `${file}: label 12 of record 3 is out of range: CIFAR-10 labels are 0–9`);
  });

  it('a truncated batch inside a .tar.gz', async () => {
    const batch = cifarRecords(new Uint8Array(4 * 3072), labels(4));
    const archive = write(
      join(dir, 'cifar-trunc.tar.gz'),
      gzip(
        tar([{ path: 'cifar-10-batches-bin/data_batch_1.bin', data: batch.subarray(0, 3 * 3073 + 1000) }]),
      ),
    );
    await expectRefused(
      [archive],
      `${archive}: cifar-10-batches-bin/data_batch_1.bin: truncated: 10219 bytes are not a whole number of 3073-byte CIFAR-10 records (3 records and 1000 bytes more)`,
    );
  });
});

describe('archives and gzip', () => {
  it('a corrupt gzip', async () => {
    const gz = gzip(idxLabels(labels(5000)));
    for (let i = 20; i < 40; i++) gz[i] = gz[i]! ^ 0x5a;
    const file = write(join(dir, 'train-labels-idx1-ubyte.gz'), gz);
    await expectRefused([file], new RegExp(`^${file}: corrupt gzip: `));
  });

  it('a truncated gzip', async () => {
    const gz = gzip(
      idxImages(
        new Uint8Array(100 * 784).map((_, i) => i % 251),
        100,
        28,
        28,
      ),
    );
    const file = write(join(dir, 'cut', 'train-images-idx3-ubyte.gz'), gz.subarray(0, gz.length >> 1));
    await expectRefused(
      [file],
      `${file}: corrupt gzip: the compressed data ends early (truncated download?)`,
    );
  });

  it('an archive entry with an absolute path', async () => {
    const archive = write(
      join(dir, 'abs.tar.gz'),
      gzip(tar([{ path: '/etc/cron.d/evil', data: Buffer.from('x') }])),
    );
    await expectRefused(
      [archive],
      `${archive}: refused: the archive entry "/etc/cron.d/evil" has an absolute path (nothing was extracted)`,
    );
  });

  it('an archive entry with ..', async () => {
    const archive = write(
      join(dir, 'dotdot.tar'),
      tar([
        { path: 'cifar/data_batch_1.bin', data: cifarRecords(new Uint8Array(3072), labels(1)) },
        { path: 'cifar/../../outside.bin', data: Buffer.from('x') },
      ]),
    );
    await expectRefused(
      [archive],
      `${archive}: refused: the archive entry "cifar/../../outside.bin" contains ".." and would land outside the folder (nothing was extracted)`,
    );
    expect(existsSync(join(dir, 'outside.bin'))).toBe(false);
  });

  it('a damaged tar header', async () => {
    const archive = tar([
      { path: 'a/data_batch_1.bin', data: cifarRecords(new Uint8Array(3072), labels(1)) },
    ]);
    archive[120] = 0x37;
    const file = write(join(dir, 'damaged.tar'), archive);
    // With its checksum wrong the file is no longer recognised as a tar archive at all.
    await expectRefused([file], `${file}: not a dataset file this import recognises`);
  });

  it('more data than an import may hold', async () => {
    const file = write(
      join(dir, 'big', 'data_batch_1.bin'),
      cifarRecords(new Uint8Array(40 * 3072), labels(40)),
    );
    await expectRefused(
      [file],
      `${file}: the import would hold more than 100 KiB in memory; it is too large to import`,
      {
        maxBytes: 100 * 1024,
      },
    );
  });
});

describe('image folders', () => {
  const gray = (side: number, value: number) => png(new Uint8Array(side * side).fill(value), side, side, 1);

  it('mixed image sizes, refused unless a resize is asked for', async () => {
    const d = join(dir, 'mixed');
    write(join(d, 'a', '1.png'), await gray(8, 1));
    write(join(d, 'a', '2.png'), await gray(8, 2));
    const odd = write(join(d, 'b', '1.png'), await gray(9, 3));
    write(join(d, 'b', '2.png'), await gray(8, 4));
    await expectRefused(
      [d],
      `${odd}: mixed image sizes: this image is 9×9 (W×H), ${join(d, 'a', '1.png')} is 8×8; ask for a resize (--resize HxW) to scale them all to one size`,
    );
  });

  it('an unreadable image (not an image at all)', async () => {
    const d = join(dir, 'garbage');
    write(join(d, 'a', '1.png'), await gray(4, 1));
    const bad = write(join(d, 'b', 'broken.png'), 'this is not a PNG');
    write(join(d, 'b', '2.png'), await gray(4, 2));
    await expectRefused(
      [d],
      `${bad}: unreadable image: not a PNG, JPEG or GIF file (it starts with 74 68 69 73 20 69 73 20)`,
    );
  });

  it('an unreadable image (truncated PNG)', async () => {
    const d = join(dir, 'truncpng');
    write(join(d, 'a', '1.png'), await gray(4, 1));
    const full = await gray(16, 200);
    const bad = write(join(d, 'b', 'cut.png'), full.subarray(0, full.length - 20));
    await expectRefused([d], new RegExp(`^${bad}: unreadable image: truncated PNG`));
  });

  it('an unreadable image (valid chunks, undecodable pixel data)', async () => {
    const d = join(dir, 'badidat');
    write(join(d, 'a', '1.png'), await gray(16, 1));
    write(join(d, 'b', '1.png'), await gray(16, 2));
    const image = Buffer.from(
      await png(
        new Uint8Array(16 * 16).map((_, i) => i),
        16,
        16,
        1,
      ),
    );
    const idat = image.indexOf('IDAT');
    const length = image.readUInt32BE(idat - 4);
    for (let i = idat + 6; i < idat + 4 + length; i++) image[i] = 0xff;
    image.writeUInt32BE(crc32(image, idat, idat + 4 + length), idat + 4 + length);
    const bad = write(join(d, 'b', 'garbled.png'), image);
    await expectRefused([d], new RegExp(`^${bad}: unreadable image: `));
  });

  it('an empty class', async () => {
    const d = join(dir, 'empty');
    write(join(d, 'cat', '1.png'), await gray(4, 1));
    write(join(d, 'dog', '1.png'), await gray(4, 2));
    write(join(d, 'emu', 'notes.txt'), 'no images here');
    await expectRefused([d], `${join(d, 'emu')}: empty class: this class folder holds no images`);
  });

  it('one folder of images is not a dataset', async () => {
    const d = join(dir, 'flat');
    write(join(d, 'cat', '1.png'), await gray(4, 1));
    write(join(d, 'cat', '2.png'), await gray(4, 2));
    await expectRefused(
      [d],
      /all images are in one folder \(flat\/cat\); an image folder needs one subfolder per class/,
    );
  });
});

describe('CSV and the rest', () => {
  it('a pixel that is not a byte', async () => {
    const text = csv(new Uint8Array(10 * 4), labels(10, 2), 4).replace('\n1,0,0,0,0', '\n1,0,0,300,0');
    const file = write(join(dir, 'bad.csv'), text);
    await expectRefused([file], `${file}: line 3, column 4: the pixel is not a whole number from 0 to 255`);
  });

  it('a CSV without a label column', async () => {
    const file = write(
      join(dir, 'test.csv'),
      csv(new Uint8Array(5 * 4), labels(5), 4).replace(/^[^,\n]*,/gm, ''),
    );
    await expectRefused([file], `${file}: no label column: its 4 columns are exactly one 2×2 image`);
  });

  it('a file that is no dataset', async () => {
    const file = write(join(dir, 'notes.bin'), Buffer.from([1, 2, 3, 200, 5]));
    await expectRefused(
      [file],
      `${file}: not a dataset file this import recognises: expected IDX images or labels`,
    );
  });

  it('two kinds of data at once', async () => {
    const a = write(join(dir, 'kinds', 'data_batch_1.bin'), cifarRecords(new Uint8Array(3072), labels(1)));
    const b = write(join(dir, 'kinds', 'train.csv'), csv(new Uint8Array(4), labels(1), 4));
    await expectRefused(
      [join(dir, 'kinds')],
      `found more than one kind of data: CIFAR binary batches (${a}) and CSV files (${b}); import one dataset at a time`,
    );
  });

  it('a missing path', async () => {
    await expectRefused(
      [join(dir, 'no-such-thing')],
      `${join(dir, 'no-such-thing')}: no such file or folder`,
    );
  });

  it('names: invalid, built-in, taken (any case)', async () => {
    const file = join(dir, 'good');
    await expectRefused([file], 'invalid dataset name "../x": use up to 100 letters', { name: '../x' });
    await expectRefused([file], '"MNIST" is the name of a built-in dataset; choose another name', {
      name: 'MNIST',
    });
    await expectRefused(
      [file],
      /^a dataset named "good" already exists \(imported .*\); choose another name, or delete it first \(annealab datasets delete good\)$/,
      { name: 'GOOD' },
    );
  });
});

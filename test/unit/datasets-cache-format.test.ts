import { mkdir, mkdtemp, readdir, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readDatasetFile, writeDatasetFile, type DatasetToWrite } from '../../src/main/datasets';

const H = 4;
const W = 3;
const C = 2;
const IMAGE_BYTES = H * W * C;

/** Small, with every byte value 0–255 appearing, so a dropped or shifted byte shows. */
function synthetic(): DatasetToWrite {
  const bytes = (n: number, salt: number) => Uint8Array.from({ length: n }, (_, i) => (i * 37 + salt) % 256);
  return {
    id: 'tiny',
    height: H,
    width: W,
    channels: C,
    classes: ['cat', 'dog', 'bird'],
    train: {
      images: bytes(11 * IMAGE_BYTES, 11),
      labels: Uint8Array.from([0, 1, 2, 2, 1, 0, 0, 1, 2, 0, 1]),
      count: 11,
    },
    test: { images: bytes(3 * IMAGE_BYTES, 5), labels: Uint8Array.from([2, 0, 1]), count: 3 },
    source: 'synthetic test data',
    createdAt: '2024-01-02T03:04:05.000Z',
  };
}

/** A file laid out by hand, to describe things the writer refuses to produce. */
function craft(
  header: Record<string, unknown>,
  body: Uint8Array,
  options: { magic?: string; version?: number } = {},
) {
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const prefix = Buffer.alloc(16);
  prefix.write(options.magic ?? 'ANNEALDS', 0, 'ascii');
  prefix.writeUInt32LE(options.version ?? 1, 8);
  prefix.writeUInt32LE(json.length, 12);
  return Buffer.concat([prefix, json, body]);
}

function headerOf(d: DatasetToWrite) {
  return {
    id: d.id,
    height: d.height,
    width: d.width,
    channels: d.channels,
    classes: d.classes,
    trainCount: d.train.count,
    testCount: d.test.count,
    source: d.source,
    createdAt: d.createdAt,
  };
}

function bodyOf(d: DatasetToWrite): Buffer {
  return Buffer.concat([d.train.images, d.train.labels, d.test.images, d.test.labels]);
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'annealab-cache-format-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('writeDatasetFile / readDatasetFile', () => {
  it('round-trips a dataset byte for byte, in the documented layout', async () => {
    const dataset = synthetic();
    const path = join(dir, 'tiny.annds');
    await writeDatasetFile(path, dataset);

    const back = await readDatasetFile(path);
    expect(back).toEqual({ ...dataset });
    expect(Buffer.from(back.train.images).equals(Buffer.from(dataset.train.images))).toBe(true);
    expect(Buffer.from(back.test.labels).equals(Buffer.from(dataset.test.labels))).toBe(true);

    const raw = await readFile(path);
    expect(raw.subarray(0, 8).toString('ascii')).toBe('ANNEALDS');
    expect(raw.readUInt32LE(8)).toBe(1);
    const headerLength = raw.readUInt32LE(12);
    expect(JSON.parse(raw.subarray(16, 16 + headerLength).toString('utf8'))).toEqual(headerOf(dataset));
    expect(raw.subarray(16 + headerLength).equals(bodyOf(dataset))).toBe(true);
  });

  it('stamps the creation time when none is given', async () => {
    const { createdAt: _omitted, ...dataset } = synthetic();
    const path = join(dir, 'tiny.annds');
    const before = Date.now();
    await writeDatasetFile(path, dataset);
    const createdAt = Date.parse((await readDatasetFile(path)).createdAt);
    expect(createdAt).toBeGreaterThanOrEqual(before - 1000);
    expect(createdAt).toBeLessThanOrEqual(Date.now() + 1000);
  });

  it('round-trips a split with no examples', async () => {
    const dataset = {
      ...synthetic(),
      test: { images: new Uint8Array(0), labels: new Uint8Array(0), count: 0 },
    };
    const path = join(dir, 'empty-test.annds');
    await writeDatasetFile(path, dataset);
    const back = await readDatasetFile(path);
    expect(back.test.count).toBe(0);
    expect(back.train.count).toBe(11);
  });

  it('reports a truncated file with the expected and actual size', async () => {
    const path = join(dir, 'tiny.annds');
    await writeDatasetFile(path, synthetic());
    const { size } = await stat(path);
    await truncate(path, size - 10);
    await expect(readDatasetFile(path)).rejects.toThrow(
      `Dataset file ${path}: truncated: the header describes 11 train + 3 test images of 4×3×2, ` +
        `which need ${size} bytes, but the file has ${size - 10}`,
    );
  });

  it('reports a file shorter than its fixed prefix', async () => {
    const path = join(dir, 'stub.annds');
    await writeFile(path, Buffer.from('ANNEAL'));
    await expect(readDatasetFile(path)).rejects.toThrow(`Dataset file ${path}: truncated: 6 bytes`);
  });

  it('reports trailing bytes after the data', async () => {
    const dataset = synthetic();
    const path = join(dir, 'long.annds');
    await writeFile(path, Buffer.concat([craft(headerOf(dataset), bodyOf(dataset)), Buffer.from([1, 2, 3])]));
    await expect(readDatasetFile(path)).rejects.toThrow(
      /unexpected bytes after the data: .* but the file has \d+/,
    );
  });

  it('rejects a file with the wrong magic bytes, naming it', async () => {
    const dataset = synthetic();
    const path = join(dir, 'wrong.annds');
    await writeFile(path, craft(headerOf(dataset), bodyOf(dataset), { magic: 'PK\u0003\u0004ZIP!' }));
    await expect(readDatasetFile(path)).rejects.toThrow(
      `Dataset file ${path}: not an Annealab dataset file (wrong magic bytes: expected "ANNEALDS")`,
    );
  });

  it('rejects a format version it does not know', async () => {
    const dataset = synthetic();
    const path = join(dir, 'future.annds');
    await writeFile(path, craft(headerOf(dataset), bodyOf(dataset), { version: 2 }));
    await expect(readDatasetFile(path)).rejects.toThrow('unsupported format version 2');
  });

  it('rejects a header that claims more examples than the file holds', async () => {
    const dataset = synthetic();
    const path = join(dir, 'liar.annds');
    const file = craft({ ...headerOf(dataset), trainCount: 12 }, bodyOf(dataset));
    await writeFile(path, file);
    const headerLength = file.readUInt32LE(12);
    const expected = 16 + headerLength + (12 + 3) * (IMAGE_BYTES + 1);
    await expect(readDatasetFile(path)).rejects.toThrow(
      `truncated: the header describes 12 train + 3 test images of 4×3×2, which need ${expected} bytes, ` +
        `but the file has ${file.length}`,
    );
  });

  it('rejects an absurd header without trying to allocate what it claims', async () => {
    const dataset = synthetic();
    const path = join(dir, 'huge.annds');
    // 2e9 images of 4096×4096×3 would be ~1e17 bytes: only a size check before allocating survives this.
    const header = { ...headerOf(dataset), height: 4096, width: 4096, channels: 3, trainCount: 2e9 };
    await writeFile(path, craft(header, bodyOf(dataset)));
    await expect(readDatasetFile(path)).rejects.toThrow(/truncated: the header describes 2000000000 train/);
  });

  it('rejects a header-length field larger than the file', async () => {
    const dataset = synthetic();
    const path = join(dir, 'bad-length.annds');
    const file = craft(headerOf(dataset), bodyOf(dataset));
    file.writeUInt32LE(0x7fffffff, 12);
    await writeFile(path, file);
    await expect(readDatasetFile(path)).rejects.toThrow(
      `truncated: the header claims 2147483647 bytes but only ${file.length - 16} follow the prefix`,
    );
  });

  it('rejects a header that is not JSON or misses fields', async () => {
    const dataset = synthetic();
    const garbled = join(dir, 'garbled.annds');
    const file = craft(headerOf(dataset), bodyOf(dataset));
    file.write('#', 16, 'ascii');
    await writeFile(garbled, file);
    await expect(readDatasetFile(garbled)).rejects.toThrow(
      `Dataset file ${garbled}: header is not valid JSON`,
    );

    const incomplete = join(dir, 'incomplete.annds');
    const { classes: _classes, ...withoutClasses } = headerOf(dataset);
    await writeFile(incomplete, craft(withoutClasses, bodyOf(dataset)));
    await expect(readDatasetFile(incomplete)).rejects.toThrow(/invalid header \(classes: /);
  });

  it('rejects labels that are not a class, saying which split and where', async () => {
    const dataset = synthetic();
    dataset.test.labels[1] = 3; // three classes: 0, 1, 2
    const path = join(dir, 'label.annds');
    await writeFile(path, craft(headerOf(dataset), bodyOf(dataset)));
    await expect(readDatasetFile(path)).rejects.toThrow(
      `Dataset file ${path}: test label 3 at index 1 is out of range (3 classes)`,
    );
  });

  it('refuses to write an inconsistent dataset and leaves no file', async () => {
    const path = join(dir, 'refused.annds');
    const badLabel = synthetic();
    badLabel.train.labels[4] = 7;
    await expect(writeDatasetFile(path, badLabel)).rejects.toThrow(
      'train label 7 at index 4 is out of range (3 classes)',
    );

    const short = synthetic();
    short.train = { ...short.train, images: short.train.images.subarray(1) };
    await expect(writeDatasetFile(path, short)).rejects.toThrow(
      `train has ${11 * IMAGE_BYTES - 1} image bytes, expected 11 × ${IMAGE_BYTES}`,
    );
    expect(await readdir(dir)).toEqual([]);
  });

  it('removes its temporary file when the write fails part-way', async () => {
    // A directory where the file should go: everything is written and flushed, then the
    // final rename fails.
    const path = join(dir, 'occupied.annds');
    await mkdir(path);
    await expect(writeDatasetFile(path, synthetic())).rejects.toThrow();
    expect(await readdir(dir)).toEqual(['occupied.annds']);
    expect((await stat(path)).isDirectory()).toBe(true);
  });

  it('replaces an existing file whole, and concurrent writers leave one complete file', async () => {
    const path = join(dir, 'shared.annds');
    await writeFile(path, 'old contents');
    const a = synthetic();
    const b = { ...synthetic(), source: 'second writer' };
    await Promise.all([writeDatasetFile(path, a), writeDatasetFile(path, b), writeDatasetFile(path, a)]);
    const back = await readDatasetFile(path);
    expect(['synthetic test data', 'second writer']).toContain(back.source);
    expect(await readdir(dir)).toEqual(['shared.annds']);
  });

  it('names the file when it does not exist', async () => {
    const path = join(dir, 'missing.annds');
    await expect(readDatasetFile(path)).rejects.toThrow(path);
  });
});

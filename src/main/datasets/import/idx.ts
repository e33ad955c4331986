// IDX files as MNIST, Fashion-MNIST and EMNIST publish them: a big-endian header (magic
// 0x00000803 for images, 0x00000801 for labels, then one uint32 per dimension) and raw
// unsigned bytes. Images and labels pair up by name (train-images… with train-labels…);
// "t10k" or "test" in a name marks the test split.
import { resolveClasses, type ClassNames } from './classes';
import { ImportError, formatBytes } from './errors';
import type { SourceFile } from './sources';
import type { ParsedDataset } from './types';

const IMAGES_MAGIC = 0x00000803;
const LABELS_MAGIC = 0x00000801;
const TYPE_NAMES: Record<number, string> = {
  0x08: 'unsigned byte',
  0x09: 'signed byte',
  0x0b: 'short',
  0x0c: 'int',
  0x0d: 'float',
  0x0e: 'double',
};

export type IdxKind = 'images' | 'labels';

/** What the first bytes say: an IDX images or labels file, another IDX file, or not IDX. */
export function idxKindOf(data: Uint8Array): IdxKind | 'other-idx' | null {
  if (data.length < 4 || data[0] !== 0 || data[1] !== 0) return null;
  const magic = (data[2]! << 8) | data[3]!;
  if (magic === IMAGES_MAGIC) return 'images';
  if (magic === LABELS_MAGIC) return 'labels';
  return TYPE_NAMES[data[2]!] && data[3]! >= 1 && data[3]! <= 4 ? 'other-idx' : null;
}

/** Names as MNIST and EMNIST spell them, for a clearer message when the magic is wrong. */
export function looksLikeIdxName(name: string): boolean {
  return /idx\d|ubyte/i.test(name);
}

export function wrongIdxMagic(file: SourceFile): ImportError {
  const d = file.data;
  const found =
    d.length >= 4
      ? `0x${Array.from(d.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join('')}`
      : `only ${d.length} bytes`;
  let problem = `wrong magic number ${found}: an IDX images file starts with 0x00000803 and a labels file with 0x00000801`;
  if (idxKindOf(d) === 'other-idx') {
    problem += ` (this is an IDX file of ${TYPE_NAMES[d[2]!]}s with ${d[3]} dimension(s); only unsigned-byte images [N, rows, columns] and labels [N] are supported)`;
  }
  return new ImportError(file.display, problem);
}

interface IdxFile {
  file: SourceFile;
  kind: IdxKind;
  count: number;
  rows: number;
  cols: number;
  body: Uint8Array;
}

function parseIdx(file: SourceFile, kind: IdxKind): IdxFile {
  const data = file.data;
  const dims = kind === 'images' ? 3 : 1;
  const headerBytes = 4 + 4 * dims;
  if (data.length < headerBytes) {
    throw new ImportError(
      file.display,
      `truncated: ${data.length} bytes, shorter than the ${headerBytes}-byte IDX ${kind} header`,
    );
  }
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const count = view.getUint32(4);
  const rows = kind === 'images' ? view.getUint32(8) : 1;
  const cols = kind === 'images' ? view.getUint32(12) : 1;
  if (rows === 0 || cols === 0)
    throw new ImportError(file.display, `the header says the images are ${rows}×${cols}`);
  const itemBytes = rows * cols;
  const expected = headerBytes + count * itemBytes;
  const what = kind === 'images' ? `${count} images of ${rows}×${cols}` : `${count} labels`;
  if (data.length < expected) {
    const room = Math.floor((data.length - headerBytes) / itemBytes);
    throw new ImportError(
      file.display,
      `the header claims ${what} (${formatBytes(expected)}) but the file holds only ${formatBytes(data.length)}, room for ${room}: truncated, or a wrong header`,
    );
  }
  if (data.length > expected) {
    throw new ImportError(
      file.display,
      `${data.length - expected} unexpected bytes after the ${what} the header describes`,
    );
  }
  if (count === 0) throw new ImportError(file.display, `the header says it holds no ${kind}`);
  return { file, kind, count, rows, cols, body: data.subarray(headerBytes) };
}

/** "train-images-idx3-ubyte" and "train-labels-idx1-ubyte" share the key "train-*-idx?-ubyte". */
function pairKey(name: string): string {
  return name
    .replace(/\.gz$/i, '')
    .replace(/images|labels/i, '*')
    .replace(/idx[13]/i, 'idx?')
    .toLowerCase();
}

const isTestName = (name: string) => /t10k|test/i.test(name);

export function importIdx(
  files: readonly { file: SourceFile; kind: IdxKind }[],
  names: ClassNames | undefined,
): ParsedDataset {
  const parsed = files.map(({ file, kind }) => parseIdx(file, kind));
  const images = parsed.filter((f) => f.kind === 'images');
  const labels = parsed.filter((f) => f.kind === 'labels');
  const pairs: { images: IdxFile; labels: IdxFile }[] = [];
  const unpairedLabels = new Set(labels);
  for (const im of images) {
    const match = labels.find((l) => unpairedLabels.has(l) && pairKey(l.file.name) === pairKey(im.file.name));
    if (match) {
      unpairedLabels.delete(match);
      pairs.push({ images: im, labels: match });
    }
  }
  // Renamed files ("images.idx", "labels.idx") pair up when there is only one of each.
  const unpairedImages = images.filter((im) => !pairs.some((p) => p.images === im));
  if (unpairedImages.length === 1 && unpairedLabels.size === 1) {
    pairs.push({ images: unpairedImages[0]!, labels: [...unpairedLabels][0]! });
    unpairedImages.length = 0;
    unpairedLabels.clear();
  }
  if (unpairedImages.length) {
    throw new ImportError(
      unpairedImages[0]!.file.display,
      'IDX images without a matching labels file (e.g. train-labels-idx1-ubyte)',
    );
  }
  if (unpairedLabels.size) {
    throw new ImportError(
      [...unpairedLabels][0]!.file.display,
      'IDX labels without a matching images file (e.g. train-images-idx3-ubyte)',
    );
  }

  for (const { images: im, labels: lb } of pairs) {
    if (im.count !== lb.count) {
      throw new ImportError(
        im.file.display,
        `holds ${im.count} images but ${lb.file.display} holds ${lb.count} labels; they must match one to one`,
      );
    }
  }
  const train = pairs.filter((p) => !isTestName(p.images.file.name));
  const test = pairs.filter((p) => isTestName(p.images.file.name));
  if (train.length === 0) {
    throw new ImportError(
      test[0]!.images.file.display,
      'only test files were given; add the training files (train-images…, train-labels…)',
    );
  }
  for (const [role, group] of [
    ['training', train],
    ['test', test],
  ] as const) {
    if (group.length > 1) {
      throw new ImportError(
        undefined,
        `several ${role} sets given (${group.map((p) => p.images.file.display).join(', ')}); import one dataset at a time`,
      );
    }
  }
  const first = train[0]!.images;
  const other = test[0]?.images;
  if (other && (other.rows !== first.rows || other.cols !== first.cols)) {
    throw new ImportError(
      other.file.display,
      `mixed image sizes: its images are ${other.rows}×${other.cols}, those of ${first.file.display} ${first.rows}×${first.cols}`,
    );
  }

  // EMNIST stores every image transposed (column by column); turn them upright.
  const emnist = /^emnist/i.test(first.file.name);
  const imagesOf = (f: IdxFile): Uint8Array =>
    emnist ? transposeAll(f.body, f.count, f.rows, f.cols) : f.body;

  const parts = [train[0]!, ...test].map((p, i) => ({
    file: p.labels.file.display,
    describe: (i: number) => `item ${i}`,
    keys: Array.from(p.labels.body, String),
    isTest: i > 0,
  }));
  if (!names) refuseLabelsOutOfRange(parts);
  const { classes, labels: resolved } = resolveClasses(parts, names);
  const toSplit = (p: { images: IdxFile }, i: number) => ({
    images: imagesOf(p.images),
    labels: resolved[i]!,
    count: p.images.count,
  });
  return {
    format: 'idx',
    height: emnist ? first.cols : first.rows,
    width: emnist ? first.rows : first.cols,
    channels: 1,
    classes,
    train: toSplit(train[0]!, 0),
    test: test[0] ? toSplit(test[0], 1) : null,
    used: pairs.flatMap((p) => [p.images.file, p.labels.file]),
    notes: emnist ? ['EMNIST images transposed to upright'] : [],
  };
}

/**
 * IDX labels are class indices: with N different labels in training they must be 0…N-1. A label
 * past that (a stray 10 among MNIST's digits, a 255 marking "unknown") would otherwise become a
 * class of its own; it is refused with its item, so the file can be fixed (or a class-names file
 * given, which says which labels exist).
 */
function refuseLabelsOutOfRange(
  parts: readonly { file: string; keys: readonly string[]; isTest: boolean }[],
): void {
  const seen = [...new Set(parts.filter((p) => !p.isTest).flatMap((p) => p.keys))]
    .map(Number)
    .sort((a, b) => a - b);
  const n = seen.length;
  // A test label outside the training labels gets resolveClasses' own message.
  for (const part of parts.filter((p) => !p.isTest)) {
    const i = part.keys.findIndex((k) => Number(k) >= n);
    if (i < 0) continue;
    const shown = n > 12 ? `${seen.slice(0, 10).join(', ')}, …, ${seen[n - 1]}` : seen.join(', ');
    throw new ImportError(
      part.file,
      `item ${i}: label ${part.keys[i]} is out of range: IDX labels are class indices 0…N-1, and the ` +
        `${n} different training labels are ${shown}; fix the label, or give a class-names file (classes.txt) that names every class`,
    );
  }
}

function transposeAll(body: Uint8Array, count: number, rows: number, cols: number): Uint8Array {
  const out = new Uint8Array(body.length);
  const size = rows * cols;
  for (let n = 0; n < count; n++) {
    const base = n * size;
    for (let r = 0; r < rows; r++)
      for (let c = 0; c < cols; c++) out[base + c * rows + r] = body[base + r * cols + c]!;
  }
  return out;
}

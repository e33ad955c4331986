// CIFAR-10 and CIFAR-100, binary version: fixed-size records with no header. CIFAR-10's
// record is a label byte and 3072 pixel bytes (3073); CIFAR-100's a coarse and a fine label
// byte, then the pixels (3074). Pixels are stored plane by plane (1024 red, 1024 green, 1024
// blue, each row by row), which is turned into the cache file's pixel-by-pixel HWC order.
import type { ClassNames } from './classes';
import { ImportError } from './errors';
import type { SourceFile } from './sources';
import type { ImporterContext, ParsedDataset } from './types';

const SIDE = 32;
const PLANE = SIDE * SIDE;
const PIXELS = 3 * PLANE;

export const CIFAR10_CLASSES = [
  'airplane',
  'automobile',
  'bird',
  'cat',
  'deer',
  'dog',
  'frog',
  'horse',
  'ship',
  'truck',
];

interface Variant {
  format: 'cifar10' | 'cifar100';
  record: number;
  /** Offset of the label the dataset uses (CIFAR-100: the fine label). */
  labelOffset: number;
  classes: number;
  title: string;
}

const CIFAR10: Variant = {
  format: 'cifar10',
  record: PIXELS + 1,
  labelOffset: 0,
  classes: 10,
  title: 'CIFAR-10',
};
const CIFAR100: Variant = {
  format: 'cifar100',
  record: PIXELS + 2,
  labelOffset: 1,
  classes: 100,
  title: 'CIFAR-100',
};

/** The official names: data_batch_N.bin / test_batch.bin (10), train.bin / test.bin (100). */
function variantByName(name: string): Variant | null {
  if (/^(data|test)_batch(_\d+)?\.bin$/i.test(name)) return CIFAR10;
  if (/^(train|test)\.bin$/i.test(name)) return CIFAR100;
  return null;
}

/** First record (0-based) whose labels are out of range for `v`, or -1. */
function firstBadRecord(data: Uint8Array, v: Variant): number {
  for (let r = 0, o = 0; o < data.length; r++, o += v.record) {
    if (v === CIFAR100 ? data[o]! >= 20 || data[o + 1]! >= 100 : data[o]! >= 10) return r;
  }
  return -1;
}

/**
 * CIFAR-10 or CIFAR-100 by content (a whole number of records whose label bytes are in
 * range), the official name breaking a tie; null if the file is neither. A file with an
 * official name that fails the content check is an error, not "something else".
 */
export function cifarVariantOf(file: SourceFile): Variant | null {
  const data = file.data;
  const fits = (v: Variant) =>
    data.length > 0 && data.length % v.record === 0 && firstBadRecord(data, v) === -1;
  const byName = variantByName(file.name);
  const candidates = [CIFAR10, CIFAR100].filter(fits);
  if (candidates.length === 2) return byName ?? CIFAR10;
  if (candidates.length === 1) return candidates[0]!;
  if (!byName) return null;
  if (data.length === 0) throw new ImportError(file.display, 'the file is empty');
  if (data.length % byName.record !== 0) {
    const whole = Math.floor(data.length / byName.record);
    throw new ImportError(
      file.display,
      `truncated: ${data.length} bytes are not a whole number of ${byName.record}-byte ${byName.title} records (${whole} records and ${data.length - whole * byName.record} bytes more)`,
    );
  }
  const r = firstBadRecord(data, byName);
  const o = r * byName.record;
  throw new ImportError(
    file.display,
    byName === CIFAR100
      ? `label out of range in record ${r}: coarse ${data[o]} (0–19), fine ${data[o + 1]} (0–99)`
      : `label ${data[o]} of record ${r} is out of range: CIFAR-10 labels are 0–9`,
  );
}

export function importCifar(
  files: readonly { file: SourceFile; variant: Variant }[],
  names: ClassNames | undefined,
  ctx: ImporterContext,
): ParsedDataset {
  const variant = files[0]!.variant;
  const odd = files.find((f) => f.variant !== variant);
  if (odd) {
    throw new ImportError(
      odd.file.display,
      `holds ${odd.variant.title} records but ${files[0]!.file.display} holds ${variant.title} records; import one dataset at a time`,
    );
  }
  const isTest = (f: SourceFile) => /^test/i.test(f.name);
  // data_batch_1 … data_batch_5 in their numeric order, whatever order they were given in.
  const order = (a: { file: SourceFile }, b: { file: SourceFile }) =>
    a.file.name.localeCompare(b.file.name, 'en', { numeric: true });
  const train = files.filter((f) => !isTest(f.file)).sort(order);
  const test = files.filter((f) => isTest(f.file)).sort(order);
  if (train.length === 0) {
    throw new ImportError(
      test[0]!.file.display,
      'only test records were given; add the training batches too',
    );
  }

  let classes: string[];
  if (names) {
    if (names.keys.length !== variant.classes) {
      throw new ImportError(
        names.file,
        `names ${names.keys.length} classes, but ${variant.title} has ${variant.classes}`,
      );
    }
    classes = names.keys.map((k) => names.names.get(k)!);
  } else {
    classes = variant === CIFAR10 ? [...CIFAR10_CLASSES] : Array.from({ length: 100 }, (_, i) => String(i));
  }

  const total = files.reduce((n, f) => n + f.file.data.length / variant.record, 0);
  let done = 0;
  const convert = (group: typeof files) => {
    const count = group.reduce((n, f) => n + f.file.data.length / variant.record, 0);
    const images = new Uint8Array(count * PIXELS);
    const labels = new Uint8Array(count);
    let n = 0;
    for (const { file } of group) {
      const data = file.data;
      for (let o = 0; o < data.length; o += variant.record, n++) {
        labels[n] = data[o + variant.labelOffset]!;
        const src = o + variant.record - PIXELS;
        const dst = n * PIXELS;
        for (let p = 0; p < PLANE; p++) {
          images[dst + p * 3] = data[src + p]!;
          images[dst + p * 3 + 1] = data[src + PLANE + p]!;
          images[dst + p * 3 + 2] = data[src + 2 * PLANE + p]!;
        }
        if (++done % 1000 === 0) ctx.onProgress(done, total);
      }
    }
    return { images, labels, count };
  };
  const trainSplit = convert(train);
  const testSplit = test.length ? convert(test) : null;
  ctx.onProgress(total, total);
  return {
    format: variant.format,
    height: SIDE,
    width: SIDE,
    channels: 3,
    classes,
    train: trainSplit,
    test: testSplit,
    used: files.map((f) => f.file),
    notes: variant === CIFAR100 ? ['fine labels (100 classes); the coarse labels are not kept'] : [],
  };
}

export type { Variant as CifarVariant };

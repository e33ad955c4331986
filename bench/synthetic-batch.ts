// One batch of random images with labels and freshly initialised weights for a network: what the
// step profilers (profile-step.ts, memory-step.ts) time and measure.
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../src/shared/rng';
import type { ModelId } from '../src/shared/ids';
import { buildNetwork, initialValues } from '../src/main/trainer/models';

export interface SyntheticBatch {
  net: ReturnType<typeof buildNetwork>;
  x: tf.Tensor4D;
  /** One-hot labels, image i of class i mod 10. */
  y: tf.Tensor2D;
  params: tf.Variable[];
}

/** Parses --input HxWxC; throws with the flag's value when it is not three whole numbers. */
export function parseInput(text: string): { height: number; width: number; channels: number } {
  const [height, width, channels] = text.split('x').map(Number) as [number, number, number];
  if (![height, width, channels].every((n) => Number.isInteger(n) && n > 0)) {
    throw new Error(`--input must be HxWxC in whole numbers (e.g. 32x32x3), not ${text}`);
  }
  return { height, width, channels };
}

/** `model` on `input`, 10 classes, a batch of `batch` N(0, 1) images, weights from `seedName`'s stream. */
export function syntheticBatch(
  model: ModelId,
  input: { height: number; width: number; channels: number },
  batch: number,
  seedName: string,
): SyntheticBatch {
  const { height, width, channels } = input;
  const net = buildNetwork(model, input, 10);
  const rng = Rng.fromSeed(1, seedName);
  const x = tf.tensor4d(rng.fillNormal(new Float32Array(batch * height * width * channels), 1), [
    batch,
    height,
    width,
    channels,
  ]);
  const labels = tf.tensor1d(
    Int32Array.from({ length: batch }, (_, i) => i % 10),
    'int32',
  );
  const y = tf.oneHot(labels, 10) as tf.Tensor2D;
  labels.dispose();
  const params = tf.tidy(() =>
    initialValues(net.params, rng, 'pytorch').map((v, i) => tf.variable(tf.tensor(v, net.params[i]!.shape))),
  );
  return { net, x, y, params };
}

// LeNet-5 as the published code defines it: conv 6@5×5, pool, conv 16@5×5, pool, 120, 84, classes;
// ReLU and max-pooling. On 28×28 input it flattens 16×4×4 = 256 features (44,426 parameters).
import * as tf from '@tensorflow/tfjs-core';
import { conv2d, dense, flatten, maxPool, paramReader } from './layers';
import { convParams, denseParams, outSize, type InputShape, type Network } from './network';

export function lenet5(input: InputShape, numClasses: number): Network {
  const s1 = Math.floor(outSize(input.height, 5, 1, 0) / 2);
  const s2 = Math.floor(outSize(s1, 5, 1, 0) / 2);
  const t1 = Math.floor(outSize(input.width, 5, 1, 0) / 2);
  const t2 = Math.floor(outSize(t1, 5, 1, 0) / 2);
  if (s2 < 1 || t2 < 1)
    throw new Error(`lenet5 needs inputs of at least 16×16, got ${input.height}×${input.width}`);
  const features = 16 * s2 * t2;
  return {
    id: 'lenet5',
    input,
    numClasses,
    params: [
      ...convParams('conv1', 5, 5, input.channels, 6),
      ...convParams('conv2', 5, 5, 6, 16),
      ...denseParams('fc1', features, 120),
      ...denseParams('fc2', 120, 84),
      ...denseParams('fc3', 84, numClasses),
    ],
    apply(params, x) {
      const next = paramReader(params);
      let h = maxPool(tf.relu(conv2d(x, next(), next(), 1, 0)), 2);
      h = maxPool(tf.relu(conv2d(h, next(), next(), 1, 0)), 2);
      let f = flatten(h);
      f = tf.relu(dense(f, next(), next()));
      f = tf.relu(dense(f, next(), next()));
      return dense(f, next(), next());
    },
  };
}

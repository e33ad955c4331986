// The thesis's "LeNet-like" net: conv 32@5×5 and 64@5×5 (padding 2) each followed by 2×2
// max-pooling, a 1000-unit hidden layer, then the classes: 3,199,106 parameters on 28×28×1.
import * as tf from '@tensorflow/tfjs-core';
import { conv2d, dense, flatten, maxPool, paramReader } from './layers';
import { convParams, denseParams, type InputShape, type Network } from './network';

export function convnet(input: InputShape, numClasses: number): Network {
  const h = Math.floor(Math.floor(input.height / 2) / 2);
  const w = Math.floor(Math.floor(input.width / 2) / 2);
  if (h < 1 || w < 1)
    throw new Error(`convnet needs inputs of at least 4×4, got ${input.height}×${input.width}`);
  const features = 64 * h * w;
  return {
    id: 'convnet',
    input,
    numClasses,
    params: [
      ...convParams('conv1', 5, 5, input.channels, 32),
      ...convParams('conv2', 5, 5, 32, 64),
      ...denseParams('fc1', features, 1000),
      ...denseParams('fc2', 1000, numClasses),
    ],
    apply(params, x) {
      const next = paramReader(params);
      let t = maxPool(tf.relu(conv2d(x, next(), next(), 1, 2)), 2);
      t = maxPool(tf.relu(conv2d(t, next(), next(), 1, 2)), 2);
      const f = tf.relu(dense(flatten(t), next(), next()));
      return dense(f, next(), next());
    },
  };
}

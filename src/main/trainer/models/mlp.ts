// One hidden layer of ReLU units (128 in the published code).
import * as tf from '@tensorflow/tfjs-core';
import { dense, paramReader } from './layers';
import { denseParams, type InputShape, type Network } from './network';

export function mlp(input: InputShape, numClasses: number, hidden = 128): Network {
  const features = input.height * input.width * input.channels;
  return {
    id: 'mlp',
    input,
    numClasses,
    params: [...denseParams('fc1', features, hidden), ...denseParams('fc2', hidden, numClasses)],
    apply(params, x) {
      const next = paramReader(params);
      const flat = tf.reshape(x, [x.shape[0], features]) as tf.Tensor2D;
      const h = tf.relu(dense(flat, next(), next()));
      return dense(h, next(), next());
    },
  };
}

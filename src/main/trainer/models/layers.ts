// The few layer functions our networks compose, on tfjs-core ops (no layers API: its
// bookkeeping costs more than the arithmetic at these sizes).
import * as tf from '@tensorflow/tfjs-core';

export function conv2d(
  x: tf.Tensor4D,
  w: tf.Tensor,
  b: tf.Tensor,
  stride: number,
  pad: number | 'same' | 'valid',
): tf.Tensor4D {
  const padding = typeof pad === 'number' ? (pad === 0 ? 'valid' : explicitPad(pad)) : pad;
  return tf.add(tf.conv2d(x, w as tf.Tensor4D, stride, padding), b);
}

export function explicitPad(
  p: number,
): [[number, number], [number, number], [number, number], [number, number]] {
  return [
    [0, 0],
    [p, p],
    [p, p],
    [0, 0],
  ];
}

export function dense(x: tf.Tensor2D, w: tf.Tensor, b: tf.Tensor): tf.Tensor2D {
  return tf.add(tf.matMul(x, w as tf.Tensor2D), b);
}

export function maxPool(x: tf.Tensor4D, size: number, stride = size): tf.Tensor4D {
  return tf.maxPool(x, size, stride, 'valid');
}

export function flatten(x: tf.Tensor4D): tf.Tensor2D {
  const [n, h, w, c] = x.shape;
  return tf.reshape(x, [n, h * w * c]);
}

/** Unpack a parameter list in order, failing loudly if an architecture miscounts. */
export function paramReader(params: readonly tf.Tensor[]): () => tf.Tensor {
  let i = 0;
  return () => {
    const p = params[i++];
    if (!p) throw new Error(`network asked for parameter ${i - 1} of ${params.length}`);
    return p;
  };
}

/** PyTorch's BatchNorm defaults. */
export const BN_EPSILON = 1e-5;
export const BN_MOMENTUM = 0.1;

/**
 * Training-mode batch-norm over every axis but the last (channels): normalise with the minibatch's
 * mean and biased variance. Also returns them, for the running statistics.
 */
export function batchNormTrain(
  x: tf.Tensor,
  gamma: tf.Tensor,
  beta: tf.Tensor,
): { y: tf.Tensor; mean: tf.Tensor; variance: tf.Tensor } {
  const axes = Array.from({ length: x.rank - 1 }, (_, i) => i);
  const { mean, variance } = tf.moments(x, axes);
  return { y: tf.batchNorm(x, mean, variance, beta, gamma, BN_EPSILON), mean, variance };
}

/** Inference-mode batch-norm: normalise with the running statistics. */
export function batchNormInfer(
  x: tf.Tensor,
  gamma: tf.Tensor,
  beta: tf.Tensor,
  runningMean: tf.Tensor,
  runningVar: tf.Tensor,
): tf.Tensor {
  return tf.batchNorm(x, runningMean, runningVar, beta, gamma, BN_EPSILON);
}

/**
 * PyTorch's running-statistics update: r ← (1 − m)·r + m·batch, with the variance made unbiased
 * (× n/(n − 1)) for the `count` values per channel that the batch statistics were taken over.
 */
export function updateRunningStats(
  runningMean: tf.Tensor,
  runningVar: tf.Tensor,
  mean: tf.Tensor,
  variance: tf.Tensor,
  count: number,
): [tf.Tensor, tf.Tensor] {
  if (count < 2) {
    throw new Error(`batch-norm needs more than one value per channel in training mode, got ${count}`);
  }
  const m = BN_MOMENTUM;
  return [
    tf.add(tf.mul(runningMean, 1 - m), tf.mul(mean, m)),
    tf.add(tf.mul(runningVar, 1 - m), tf.mul(variance, (m * count) / (count - 1))),
  ];
}

// The training data on the device and the minibatches cut from it. The whole (sub)set is
// uploaded once as normalised float32; a minibatch is a gather by index, so shuffling costs
// no copy on the host.
import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../../../shared/rng';

export interface Batch {
  x: tf.Tensor4D;
  /** One-hot targets. */
  y: tf.Tensor2D;
  labels: tf.Tensor1D;
  size: number;
}

export interface DeviceSplit {
  x: tf.Tensor4D;
  y: tf.Tensor2D;
  labels: tf.Tensor1D;
  count: number;
}

export function uploadSplit(
  pixels: Float32Array,
  labels: Uint8Array,
  shape: { height: number; width: number; channels: number },
  numClasses: number,
): DeviceSplit {
  const count = labels.length;
  return tf.tidy(() => {
    const labelTensor = tf.tensor1d(Int32Array.from(labels), 'int32');
    return {
      x: tf.tensor4d(pixels, [count, shape.height, shape.width, shape.channels]),
      y: tf.cast(tf.oneHot(labelTensor, numClasses), 'float32') as tf.Tensor2D,
      labels: labelTensor,
      count,
    };
  });
}

export function disposeSplit(split: DeviceSplit): void {
  tf.dispose([split.x, split.y, split.labels]);
}

/** A minibatch of the given example indices. The caller disposes it. */
export function gatherBatch(split: DeviceSplit, indices: Int32Array): Batch {
  return tf.tidy(() => {
    const idx = tf.tensor1d(indices, 'int32');
    return {
      x: tf.gather(split.x, idx) as tf.Tensor4D,
      y: tf.gather(split.y, idx) as tf.Tensor2D,
      labels: tf.gather(split.labels, idx) as tf.Tensor1D,
      size: indices.length,
    };
  });
}

export function disposeBatch(b: Batch): void {
  tf.dispose([b.x, b.y, b.labels]);
}

/** One epoch's minibatches as index lists: a seeded shuffle, the last short batch kept unless dropLast. */
export function epochBatches(count: number, batchSize: number, rng: Rng, dropLast: boolean): Int32Array[] {
  const order = rng.shuffle(Int32Array.from({ length: count }, (_, i) => i));
  const batches: Int32Array[] = [];
  for (let start = 0; start < count; start += batchSize) {
    const end = Math.min(start + batchSize, count);
    if (dropLast && end - start < batchSize) break;
    batches.push(order.subarray(start, end));
  }
  return batches;
}

/** Contiguous batches over the whole split, for validation. */
export function sequentialBatches(count: number, batchSize: number): Int32Array[] {
  const out: Int32Array[] = [];
  for (let start = 0; start < count; start += batchSize) {
    out.push(Int32Array.from({ length: Math.min(batchSize, count - start) }, (_, i) => start + i));
  }
  return out;
}

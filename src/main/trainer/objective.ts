// What the methods minimise and what the loop reports: mean cross-entropy and accuracy.
import * as tf from '@tensorflow/tfjs-core';

/** Mean cross-entropy of logits [n, k] against one-hot targets [n, k]. */
export function crossEntropy(logits: tf.Tensor2D, oneHot: tf.Tensor2D): tf.Scalar {
  return tf.neg(tf.mean(tf.sum(tf.mul(oneHot, tf.logSoftmax(logits)), 1))) as tf.Scalar;
}

/** Number of rows whose arg-max matches the label (a float scalar, so it can be summed on device). */
export function correctCount(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  return tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), labels), 'float32'));
}

/** Fraction correct: the objective of SSA with `objective: "accuracy"`. */
export function accuracy(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  return tf.div(correctCount(logits, labels), labels.shape[0]);
}

// The loss scale of the acceptance rules (METHODS.md, "Loss scale of the acceptance rules").
// The published code's test_minibatch returns the minibatch-mean cross-entropy divided by the
// minibatch size again, and that is what its Metropolis rule (SSA, SGD-SA) and its restart
// threshold compare. On the "thesis" scale a difference of minibatch-mean losses is therefore
// divided by the minibatch's size before exp(−Δ/T); on the "mean" scale it is used as it is.
import * as tf from '@tensorflow/tfjs-core';
import type { LossScale } from '../../../shared/spec';
import type { TrainEstimate } from './method';

/**
 * What a minibatch-mean objective is divided by before the rule compares it: the minibatch's
 * size on the thesis's scale, 1 on the mean scale and for an accuracy objective (the code's
 * accuracy is a fraction on both).
 */
export function metropolisDivisor(
  scale: LossScale,
  batchSize: number,
  objective: 'loss' | 'accuracy',
): number {
  return scale === 'thesis' && objective === 'loss' ? batchSize : 1;
}

/** The same division as a tensor op, for the decision on the device; no op when it is 1. */
export function onScale(value: tf.Scalar, divisor: number): tf.Scalar {
  return divisor === 1 ? value : tf.div(value, divisor);
}

/**
 * The training estimate the restart threshold is compared with: Σ minibatch-mean CE over the
 * estimate's minibatches divided by the examples they cover (the code's test_train_sample), or
 * the mean cross-entropy.
 */
export function restartEstimate(estimate: TrainEstimate, scale: LossScale): number {
  return scale === 'thesis' ? estimate.lossThesis : estimate.loss;
}

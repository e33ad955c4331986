// Validation over a whole split and the training estimate on random minibatches
// (thesis §2.3: 10 minibatches estimate the full training loss within ~1.5e-5 RMSE).
import * as tf from '@tensorflow/tfjs-core';
import type { ValidationResult } from '../../shared/records';
import type { Rng } from '../../shared/rng';
import { disposeBatch, gatherBatch, sequentialBatches, type DeviceSplit } from './data/batches';
import type { Network } from './models';
import { correctCount, crossEntropy } from './objective';

/**
 * Loss and accuracy over the given minibatches in inference mode, with one host read-back.
 * `lossThesis` is the thesis code's normalisation: Σ(minibatch-mean CE) / examples.
 * Synchronous: for the backends that can read so (not webgpu); evaluateBatchesAsync is the same.
 */
export function evaluateBatches(
  net: Network,
  params: readonly tf.Tensor[],
  split: DeviceSplit,
  batches: readonly Int32Array[],
): ValidationResult {
  const { sums, examples } = evaluationSums(net, params, split, batches);
  const values = sums.dataSync() as Float32Array;
  sums.dispose();
  return fromSums(values, examples);
}

/** evaluateBatches with the read-back awaited (the loop's way: webgpu cannot read synchronously). */
export async function evaluateBatchesAsync(
  net: Network,
  params: readonly tf.Tensor[],
  split: DeviceSplit,
  batches: readonly Int32Array[],
): Promise<ValidationResult> {
  const { sums, examples } = evaluationSums(net, params, split, batches);
  const values = (await sums.data()) as Float32Array;
  sums.dispose();
  return fromSums(values, examples);
}

/** [Σ size·CE, Σ CE, Σ correct] on the device, and the number of examples. */
function evaluationSums(
  net: Network,
  params: readonly tf.Tensor[],
  split: DeviceSplit,
  batches: readonly Int32Array[],
): { sums: tf.Tensor; examples: number } {
  let examples = 0;
  const sums = tf.tidy(() => {
    let weightedLoss: tf.Tensor = tf.scalar(0);
    let meanLossSum: tf.Tensor = tf.scalar(0);
    let correct: tf.Tensor = tf.scalar(0);
    for (const indices of batches) {
      const batch = gatherBatch(split, indices);
      const logits = net.apply(params, batch.x, false);
      const ce = crossEntropy(logits, batch.y);
      weightedLoss = tf.add(weightedLoss, tf.mul(ce, batch.size));
      meanLossSum = tf.add(meanLossSum, ce);
      correct = tf.add(correct, correctCount(logits, batch.labels));
      examples += batch.size;
      disposeBatch(batch);
    }
    return tf.stack([weightedLoss, meanLossSum, correct]);
  });
  return { sums, examples };
}

function fromSums(values: Float32Array, examples: number): ValidationResult {
  const [weighted, meanSum, correct] = values;
  if (examples === 0) return { loss: NaN, accuracy: NaN, lossThesis: NaN };
  return { loss: weighted! / examples, accuracy: correct! / examples, lossThesis: meanSum! / examples };
}

export function validate(net: Network, params: readonly tf.Tensor[], split: DeviceSplit, batchSize: number) {
  return evaluateBatches(net, params, split, sequentialBatches(split.count, batchSize));
}

export function validateAsync(
  net: Network,
  params: readonly tf.Tensor[],
  split: DeviceSplit,
  batchSize: number,
): Promise<ValidationResult> {
  return evaluateBatchesAsync(net, params, split, sequentialBatches(split.count, batchSize));
}

/**
 * Loss and accuracy on `batches` minibatches drawn at random without replacement, with the loss
 * on the thesis code's scale too (what its restart threshold compares).
 */
export function estimateTraining(
  net: Network,
  params: readonly tf.Tensor[],
  split: DeviceSplit,
  batchSize: number,
  batches: number,
  rng: Rng,
): ValidationResult {
  return evaluateBatches(net, params, split, estimateBatches(split, batchSize, batches, rng));
}

/** estimateTraining with the read-back awaited: the same draws, the same numbers. */
export function estimateTrainingAsync(
  net: Network,
  params: readonly tf.Tensor[],
  split: DeviceSplit,
  batchSize: number,
  batches: number,
  rng: Rng,
): Promise<ValidationResult> {
  return evaluateBatchesAsync(net, params, split, estimateBatches(split, batchSize, batches, rng));
}

function estimateBatches(split: DeviceSplit, batchSize: number, batches: number, rng: Rng): Int32Array[] {
  const k = Math.min(split.count, batches * batchSize);
  const picked = Int32Array.from(rng.sampleWithoutReplacement(split.count, k));
  const lists: Int32Array[] = [];
  for (let s = 0; s < k; s += batchSize) lists.push(picked.subarray(s, Math.min(s + batchSize, k)));
  return lists;
}

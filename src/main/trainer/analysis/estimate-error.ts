// How well the per-epoch training-loss estimate (a sample of random minibatches, thesis §2.3)
// tracks the true training loss over the whole split: for each number of minibatches k, the
// RMSE of many independent estimates against the exact value, from one set of weights (the
// thesis's Table 2.1 and Fig. 2.4). Both loss scales are reported: the mean cross-entropy, and
// the thesis code's Σ minibatch-mean CE / examples, on which Table 2.1's ~1e-5 values are.
import type * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../../../shared/rng';
import { sequentialBatches, type DeviceSplit } from '../data/batches';
import { estimateTraining, evaluateBatches } from '../evaluate';
import type { Network } from '../models';
import type { EstimateErrorRow, EstimateErrorTable } from '../../../shared/estimate-error';

export type { EstimateErrorRow, EstimateErrorTable };

const rms = (xs: readonly number[]) => Math.sqrt(xs.reduce((s, x) => s + x * x, 0) / xs.length);

export function estimateErrorTable(
  net: Network,
  params: readonly tf.Tensor[],
  split: DeviceSplit,
  options: { batchSize: number; batches: readonly number[]; trials: number; rng: Rng },
): EstimateErrorTable {
  const { batchSize, trials, rng } = options;
  const exact = evaluateBatches(net, params, split, sequentialBatches(split.count, batchSize));
  const rows = options.batches.map((k) => {
    const errors: number[] = [];
    const errorsThesis: number[] = [];
    for (let t = 0; t < trials; t++) {
      const e = estimateTraining(net, params, split, batchSize, k, rng);
      errors.push(e.loss - exact.loss);
      errorsThesis.push(e.lossThesis - exact.lossThesis);
    }
    return {
      batches: k,
      examples: Math.min(split.count, k * batchSize),
      trials,
      rmse: rms(errors),
      rmseThesis: rms(errorsThesis),
      bias: errors.reduce((a, b) => a + b, 0) / trials,
    };
  });
  return {
    exact: { loss: exact.loss, lossThesis: exact.lossThesis, accuracy: exact.accuracy },
    trainCount: split.count,
    batchSize,
    rows,
  };
}

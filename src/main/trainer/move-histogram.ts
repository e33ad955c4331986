// The thesis's Fig. 3.1 and 3.2: is SSA's random move ε·N(0, 1) per weight of the same size as
// the step a gradient method would take, η·∇L? At the end of the epochs the spec names, take the
// gradient of one random training minibatch (inference mode: batch-norm's running statistics
// and no dropout, so the diagnostic changes nothing of the run), scale it by η, draw a move as
// SSA does, and count both on common bins.
import * as tf from '@tensorflow/tfjs-core';
import type { MoveHistogram } from '../../shared/records';
import type { Rng } from '../../shared/rng';
import type { MoveHistogramOptions } from '../../shared/spec';
import { disposeBatch, gatherBatch, type DeviceSplit } from './data/batches';
import type { Network } from './models';
import { crossEntropy } from './objective';

/** The gradient of one random minibatch's mean cross-entropy, flattened over every parameter. */
export async function minibatchGradient(
  net: Network,
  params: readonly tf.Tensor[],
  split: DeviceSplit,
  batchSize: number,
  rng: Rng,
): Promise<Float32Array> {
  const picked = Int32Array.from(rng.sampleWithoutReplacement(split.count, Math.min(batchSize, split.count)));
  const batch = gatherBatch(split, picked);
  try {
    const flat = tf.tidy(() => {
      const { grads } = tf.valueAndGrads((...ws: tf.Tensor[]) =>
        crossEntropy(net.apply(ws, batch.x, false), batch.y),
      )([...params]);
      return tf.concat(grads.map((g) => g.flatten()));
    });
    // Read back asynchronously: webgpu cannot read synchronously in Node.
    const values = (await flat.data()) as Float32Array;
    flat.dispose();
    return values;
  } finally {
    disposeBatch(batch);
  }
}

function stats(xs: Float32Array): { mean: number; std: number; maxAbs: number } {
  let sum = 0;
  let maxAbs = 0;
  for (const x of xs) {
    sum += x;
    maxAbs = Math.max(maxAbs, Math.abs(x));
  }
  const mean = sum / xs.length;
  let sq = 0;
  for (const x of xs) sq += (x - mean) ** 2;
  return { mean, std: Math.sqrt(sq / xs.length), maxAbs };
}

/** |x| below which `q` of the values lie (q in (0, 1]). */
function absQuantile(xs: Float32Array, q: number): number {
  const abs = Float32Array.from(xs, Math.abs).sort();
  return abs[Math.min(abs.length - 1, Math.floor(q * abs.length))] ?? 0;
}

function counts(xs: Float32Array, range: number, bins: number): number[] {
  const out = new Array<number>(bins).fill(0);
  const width = (2 * range) / bins;
  for (const x of xs) {
    const i = Math.floor((x + range) / width);
    out[Math.max(0, Math.min(bins - 1, i))]!++;
  }
  return out;
}

/**
 * Histograms of η·gradient and of ε·N(0, 1) (one draw per weight, from `rng`) on `bins` bins
 * over ±R, R the larger of the two 99.9 % quantiles of |value|, so that a few outliers of the
 * gradient do not squash the rest into one bin.
 */
export function moveHistogram(
  gradient: Float32Array,
  options: Pick<MoveHistogramOptions, 'lr' | 'bins'> & { epsilon: number },
  rng: Rng,
): MoveHistogram {
  const { lr, bins, epsilon } = options;
  const step = Float32Array.from(gradient, (g) => lr * g);
  const move = new Float32Array(gradient.length);
  for (let i = 0; i < move.length; i++) move[i] = epsilon * rng.normal();
  const range = Math.max(absQuantile(step, 0.999), absQuantile(move, 0.999)) || 1e-12;
  return {
    lr,
    epsilon,
    parameters: gradient.length,
    edges: Array.from({ length: bins + 1 }, (_, i) => -range + (2 * range * i) / bins),
    gradient: counts(step, range, bins),
    move: counts(move, range, bins),
    gradientStats: stats(step),
    moveStats: stats(move),
  };
}

// The few layer functions our networks compose, on tfjs-core ops (no layers API: its
// bookkeeping costs more than the arithmetic at these sizes).
import * as tf from '@tensorflow/tfjs-core';
import { fusedBatchNormAvailable, fusedBatchNormTrain } from '../backend/batchnorm-op';
import { fusedConv2d, fusedDense, type FusedActivation } from '../backend/fused-ops';

/** Convolution, bias (when given) and activation in one kernel (see backend/fused-ops.ts). */
export function conv2d(
  x: tf.Tensor4D,
  w: tf.Tensor,
  b: tf.Tensor | null,
  stride: number,
  pad: number | 'same' | 'valid',
  activation: FusedActivation = 'linear',
): tf.Tensor4D {
  const padding = typeof pad === 'number' ? (pad === 0 ? 'valid' : explicitPad(pad)) : pad;
  return fusedConv2d(x, w as tf.Tensor4D, b, stride, padding, activation);
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

/** Product, bias and activation in one kernel (see backend/fused-ops.ts). */
export function dense(
  x: tf.Tensor2D,
  w: tf.Tensor,
  b: tf.Tensor,
  activation: FusedActivation = 'linear',
): tf.Tensor2D {
  return fusedDense(x, w as tf.Tensor2D, b, activation);
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

/** What may follow a batch-norm inside the same operation: a residual to add, then a ReLU. */
export interface AfterBatchNorm<T> {
  add?: T;
  relu?: boolean;
}

/**
 * Training-mode batch-norm over every axis but the last (channels), normalising with the
 * minibatch's mean and biased variance, then optionally adding a residual and applying ReLU:
 * out = relu(γ·x̂ + β + residual). Also returns the statistics, for the running ones; they are kept
 * out of every tf.tidy, so the caller disposes them.
 *
 * One operation with its closed-form gradient, dz = dy·[out > 0], dx = γ/σ · (dz − mean(dz) −
 * x̂·mean(dz·x̂)), rather than tfjs differentiating moments, batchNorm, add and relu, which tiles σ
 * to the input's size and saves several full-size tensors per layer: on wasm a ResNet18 step
 * (batch 16) took 3.7 s instead of 2.7 s, with 909 MB of tensors at its peak instead of 639 MB.
 * Per-channel sums reduce the leading axis of an [m, c] view.
 *
 * Saved for the gradient: the input x itself, the per-channel mean and 1/σ, and with ReLU the
 * output; x̂ is recomputed from them (the same ops, so the same numbers). On cpu and wasm the fused
 * convolution before a batch-norm keeps its output (x here) for its own gradient anyway, and the
 * layer after keeps this op's output, so the op adds no full-size tensor of its own to the tape
 * (elsewhere x costs what x̂ did). Saving x̂ would add one activation per batch-norm, 150 MB, to
 * the 330 MB ResNet18 (batch 64, wasm) saves for its backward pass.
 *
 * The gradient runs in its own tidy: tfjs calls a customGrad's gradient function in the scope of
 * the whole backward pass, so its temporaries (seven full-size tensors here) would otherwise live
 * until the pass ends, one set per batch-norm: ResNet18's live bytes grew from 687 MB at the
 * start of the backward pass to 1353 MB at its end.
 *
 * On wasm the same op runs as two SIMD kernels of our own (backend/batchnorm-op.ts): the same f32
 * arithmetic in three passes forward and two backward, sums in f64, so the same numbers within
 * float tolerance, without the dozen tf ops and their full-size temporaries.
 */
export function batchNormTrain(
  x: tf.Tensor,
  gamma: tf.Tensor,
  beta: tf.Tensor,
  after: AfterBatchNorm<tf.Tensor> = {},
): { y: tf.Tensor; mean: tf.Tensor; variance: tf.Tensor } {
  const relu = after.relu ?? false;
  if (fusedBatchNormAvailable()) return fusedBatchNormTrain(x, gamma, beta, after.add, relu, BN_EPSILON);
  const c = x.shape[x.rank - 1]!;
  const m = x.size / c;
  let stats: { mean: tf.Tensor; variance: tf.Tensor } | undefined;
  const op = tf.customGrad((...args) => {
    const inputs = args.slice(0, after.add ? 4 : 3) as tf.Tensor[];
    const [input, g, b, residual] = inputs;
    const save = args[inputs.length] as tf.GradSaveFunc;
    const flat = tf.reshape(input!, [m, c]);
    const mean = tf.div(tf.sum(flat, 0, true), m);
    const centred = tf.sub(flat, mean);
    const variance = tf.div(tf.sum(tf.square(centred), 0, true), m);
    const inv = tf.rsqrt(tf.add(variance, BN_EPSILON));
    const xhat = tf.mul(centred, inv);
    let out = tf.reshape(tf.add(tf.mul(xhat, g!), b!), input!.shape);
    if (residual) out = tf.add(out, residual);
    if (relu) out = tf.relu(out);
    save(relu ? [input!, mean, inv, g!, out] : [input!, mean, inv, g!]);
    stats = { mean: tf.keep(tf.reshape(mean, [c])), variance: tf.keep(tf.reshape(variance, [c])) };
    return {
      value: out,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        tf.tidy(() => {
          const [xs, mu, invStd, gs, output] = saved as [
            tf.Tensor,
            tf.Tensor,
            tf.Tensor,
            tf.Tensor,
            tf.Tensor?,
          ];
          const xh = tf.mul(tf.sub(tf.reshape(xs, [m, c]), mu), invStd);
          const scale = tf.mul(gs, invStd);
          const dz = output ? tf.mul(dy, tf.step(output)) : dy;
          const dflat = tf.reshape(dz, [m, c]);
          const dbeta = tf.sum(dflat, 0, true);
          const dgamma = tf.sum(tf.mul(dflat, xh), 0, true);
          const shift = tf.add(tf.mul(xh, tf.div(dgamma, m)), tf.div(dbeta, m));
          const dx = tf.reshape(tf.mul(tf.sub(dflat, shift), scale), input!.shape);
          const grads = [dx, tf.reshape(dgamma, [c]), tf.reshape(dbeta, [c])];
          return residual ? [...grads, dz] : grads;
        }),
    };
  });
  const y = after.add ? op(x, gamma, beta, after.add) : op(x, gamma, beta);
  return { y, mean: stats!.mean, variance: stats!.variance };
}

/** Inference-mode batch-norm: normalise with the running statistics (then the residual, then ReLU). */
export function batchNormInfer(
  x: tf.Tensor,
  gamma: tf.Tensor,
  beta: tf.Tensor,
  runningMean: tf.Tensor,
  runningVar: tf.Tensor,
  after: AfterBatchNorm<tf.Tensor> = {},
): tf.Tensor {
  let out = tf.batchNorm(x, runningMean, runningVar, beta, gamma, BN_EPSILON);
  if (after.add) out = tf.add(out, after.add);
  return after.relu ? tf.relu(out) : out;
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

// Training-mode batch-norm as two kernels on wasm: the forward (statistics, normalisation, the
// residual and ReLU after it) and its whole gradient, our SIMD kernels (simd/batchnorm.ts),
// registered under names of our own. layers.batchNormTrain runs them through one customGrad on
// wasm; the other backends keep its tf ops (the same arithmetic).
import * as tf from '@tensorflow/tfjs-core';
import { getKernel, registerKernel } from '@tensorflow/tfjs-core';
import type { KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { batchNormForwardSimd, batchNormGradientSimd } from './simd/batchnorm';

export const BATCH_NORM_TRAIN = 'AnnealabBatchNormTrain';
export const BATCH_NORM_TRAIN_GRAD = 'AnnealabBatchNormTrainGrad';

interface Args {
  inputs: Record<string, TensorInfo | undefined>;
  backend: BackendWasm;
  attrs: Record<string, unknown>;
}

function forward({ inputs, backend, attrs }: Args): TensorInfo[] {
  const { x, gamma, beta, residual } = inputs;
  const r = batchNormForwardSimd(
    backend,
    x!,
    gamma!,
    beta!,
    residual ?? null,
    attrs.relu as boolean,
    attrs.epsilon as number,
  );
  return [r.y, r.mean, r.variance, r.invStd];
}

function gradient({ inputs, backend, attrs }: Args): TensorInfo[] {
  const { dy, x, mean, invStd, gamma, out } = inputs;
  const g = batchNormGradientSimd(
    backend,
    dy!,
    x!,
    mean!,
    invStd!,
    gamma!,
    out ?? null,
    attrs.storeDz as boolean,
  );
  return g.dz ? [g.dx, g.dgamma, g.dbeta, g.dz] : [g.dx, g.dgamma, g.dbeta];
}

function ensureRegistered(): void {
  if (getKernel(BATCH_NORM_TRAIN, 'wasm') != null) return;
  registerKernel({
    kernelName: BATCH_NORM_TRAIN,
    backendName: 'wasm',
    kernelFunc: forward as unknown as KernelFunc,
  });
  registerKernel({
    kernelName: BATCH_NORM_TRAIN_GRAD,
    backendName: 'wasm',
    kernelFunc: gradient as unknown as KernelFunc,
  });
}

/** Whether batch-norm runs as these kernels on the current backend. */
export function fusedBatchNormAvailable(): boolean {
  return tf.getBackend() === 'wasm';
}

export interface FusedBatchNorm {
  y: tf.Tensor;
  /** [c], kept: out of every tidy, for the running statistics; the caller disposes them. */
  mean: tf.Tensor;
  variance: tf.Tensor;
}

/**
 * relu?(γ·x̂ + β + residual?) with the batch's statistics, and its gradient, as one tape node
 * that saves x, the mean, 1/σ, γ and (with ReLU) the output; see layers.batchNormTrain.
 */
export function fusedBatchNormTrain(
  x: tf.Tensor,
  gamma: tf.Tensor,
  beta: tf.Tensor,
  residual: tf.Tensor | undefined,
  relu: boolean,
  epsilon: number,
): FusedBatchNorm {
  ensureRegistered();
  let stats: { mean: tf.Tensor; variance: tf.Tensor } | undefined;
  const engine = tf.engine();
  const op = tf.customGrad((...args) => {
    const inputs = args.slice(0, residual ? 4 : 3) as tf.Tensor[];
    const [input, g, b, res] = inputs;
    const save = args[inputs.length] as tf.GradSaveFunc;
    const [y, mean, variance, invStd] = engine.runKernel(
      BATCH_NORM_TRAIN,
      res ? { x: input!, gamma: g!, beta: b!, residual: res } : { x: input!, gamma: g!, beta: b! },
      { relu, epsilon } as unknown as NamedAttrMap,
    ) as tf.Tensor[];
    save(relu ? [input!, mean!, invStd!, g!, y!] : [input!, mean!, invStd!, g!]);
    stats = { mean: tf.keep(mean!), variance: tf.keep(variance!) };
    return {
      value: y!,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, mu, inv, gs, out] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor?];
        const storeDz = res != null && out != null;
        const grads = engine.runKernel(
          BATCH_NORM_TRAIN_GRAD,
          out
            ? { dy, x: xs, mean: mu, invStd: inv, gamma: gs, out }
            : { dy, x: xs, mean: mu, invStd: inv, gamma: gs },
          { storeDz } as unknown as NamedAttrMap,
        ) as tf.Tensor[];
        // Without ReLU the residual's gradient is dy itself.
        if (res) return storeDz ? grads : [...grads, dy];
        return grads;
      },
    };
  });
  const y = residual ? op(x, gamma, beta, residual) : op(x, gamma, beta);
  return { y, mean: stats!.mean, variance: stats!.variance };
}

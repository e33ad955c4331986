// A network is a pure function of its parameters: `apply(params, x, training)`. The parameters live
// outside it, so a method can evaluate candidate weights (w + Δ, w − ηg) without touching
// the model's own variables, and a rejected move needs no restore at all.
//
// Batch-norm adds state that is not trained: the running mean and variance ("buffers", as PyTorch
// calls them). They live outside the network too, beside the parameters (the loop keeps both), and
// flow in and out of `apply` explicitly: inference mode reads them, a training-mode pass hands back
// their updated values, and the caller decides whether to keep those (a method that rejects a move
// does not).
import type * as tf from '@tensorflow/tfjs-core';

/** A published definition's own initialisation of one tensor, where it departs from the layer default. */
export type InitOverride =
  { dist: 'uniform'; bound: number } | { dist: 'normal'; std: number } | { dist: 'constant'; value: number };

export interface ParamSpec {
  /** PyTorch's state_dict name, e.g. `layer1.0.conv1.weight`. */
  name: string;
  shape: number[];
  /** Inputs feeding one output unit: kh·kw·cin for a conv kernel, the input width for a dense one. */
  fanIn: number;
  /** Output units fed by one input, for Glorot's rule. */
  fanOut: number;
  /** `gamma` and `beta` are batch-norm's scale and shift (PyTorch's `bn.weight`, `bn.bias`). */
  kind: 'weight' | 'bias' | 'gamma' | 'beta';
  /** Used by the `pytorch` scheme instead of U(±1/√fan_in) (torchvision's SqueezeNet sets its own). */
  pytorchInit?: InitOverride;
}

/** Non-trainable state: batch-norm's running mean (starts at 0) and variance (starts at 1). */
export interface BufferSpec {
  /** PyTorch's state_dict name, e.g. `bn1.running_var`. */
  name: string;
  shape: number[];
  initial: number;
}

export interface InputShape {
  height: number;
  width: number;
  channels: number;
}

/** One row of a model summary: a layer, the shape of one example after it, its parameter count. */
export interface LayerSummary {
  /** The layer's parameter prefix (`features.0`), empty for layers without parameters. */
  name: string;
  /** What it computes, e.g. `Conv2d 3×3/1, pad 1` or `ReLU`. */
  op: string;
  /** Per example: [height, width, channels] or [features]. */
  output: number[];
  params: number;
}

export interface ApplyOptions {
  /**
   * The running statistics, in the order of `Network.buffers`. Inference mode normalises with
   * them (required when the network has batch-norm); a training-mode pass needs them only to
   * report updated values through `onRunningStats`.
   */
  buffers?: readonly tf.Tensor[];
  /**
   * Training mode: receives, once per pass, the running statistics updated with this minibatch's
   * statistics by PyTorch's rule (momentum 0.1, unbiased variance). The tensors are kept out of
   * every tf.tidy: the receiver disposes them (or assigns them and then disposes them).
   */
  onRunningStats?: (updated: tf.Tensor[]) => void;
  /**
   * Training mode: draws the seed of each dropout mask. Without it dropout stays off, which is what
   * candidate evaluations (SSA, SGD-SA) want.
   */
  dropoutSeed?: () => number;
}

export interface Network {
  id: string;
  input: InputShape;
  numClasses: number;
  params: ParamSpec[];
  /** Batch-norm running statistics, in order; empty for networks without batch-norm. */
  buffers: BufferSpec[];
  /** Layers in order, with output shapes and parameter counts (what `annealab models show` prints). */
  layers: LayerSummary[];
  /** True when training-mode passes can apply dropout (see `ApplyOptions.dropoutSeed`). */
  hasDropout: boolean;
  /**
   * Logits [batch, numClasses] for images [batch, height, width, channels]. `training` selects
   * batch-norm's minibatch statistics (true) or its running statistics (false).
   */
  apply(params: readonly tf.Tensor[], x: tf.Tensor4D, training: boolean, options?: ApplyOptions): tf.Tensor2D;
  /**
   * Set on the network a run hands to its method and its evaluation (see `bindBuffers`): the
   * variables that hold the run's running statistics. `apply` reads them when not given others.
   */
  readonly bufferValues?: readonly tf.Variable[];
}

export function parameterCount(net: Pick<Network, 'params'>): number {
  return net.params.reduce((n, p) => n + p.shape.reduce((a, b) => a * b, 1), 0);
}

/** Builders of parameter specs, so architectures read like their PyTorch definitions. */
export function convParams(name: string, kh: number, kw: number, cin: number, cout: number): ParamSpec[] {
  return [
    {
      name: `${name}.weight`,
      shape: [kh, kw, cin, cout],
      fanIn: kh * kw * cin,
      fanOut: kh * kw * cout,
      kind: 'weight',
    },
    { name: `${name}.bias`, shape: [cout], fanIn: kh * kw * cin, fanOut: kh * kw * cout, kind: 'bias' },
  ];
}

export function denseParams(name: string, inputs: number, outputs: number): ParamSpec[] {
  return [
    { name: `${name}.weight`, shape: [inputs, outputs], fanIn: inputs, fanOut: outputs, kind: 'weight' },
    { name: `${name}.bias`, shape: [outputs], fanIn: inputs, fanOut: outputs, kind: 'bias' },
  ];
}

/** Spatial size after a conv or pool, PyTorch's formula. */
export function outSize(size: number, kernel: number, stride: number, pad: number): number {
  return Math.floor((size + 2 * pad - kernel) / stride) + 1;
}

/**
 * Spatial size after a max-pool with PyTorch's `ceil_mode=True` (no padding): the last window may
 * hang over the edge, but must start inside the input. `extra` is the overhang to pad with −∞.
 */
export function ceilPoolSize(size: number, kernel: number, stride: number): { out: number; extra: number } {
  let out = Math.ceil((size - kernel) / stride) + 1;
  if ((out - 1) * stride >= size) out -= 1;
  return { out, extra: Math.max(0, (out - 1) * stride + kernel - size) };
}

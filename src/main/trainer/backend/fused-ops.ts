// A layer's affine part and its activation as one kernel: conv2d + bias (+ ReLU) as FusedConv2D,
// matmul + bias (+ ReLU) as _FusedMatMul. Every backend has both kernels (XNNPACK adds the bias
// and clamps in its output loop on wasm), so the forward pass skips a broadcast add and a ReLU
// kernel per layer, and the tape records one node per layer instead of three, each with tensors
// saved for the backward pass.
//
// tfjs's own tf.fused.conv2d and tf.fused.matMul do not serve training: under a gradient tape
// they fall back to separate ops for any activation but 'linear', and their custom gradient
// computes every input's gradient, including the input image's (a whole transposed convolution
// that nothing uses). The gradients registered here are per input and lazy, like tfjs's own
// Conv2D and BatchMatMul gradients.
import * as tf from '@tensorflow/tfjs-core';
import { _FusedMatMul, Conv2DBackpropFilter, FusedConv2D, registerGradient } from '@tensorflow/tfjs-core';
import type { GradConfig, NamedAttrMap, NamedTensorMap } from '@tensorflow/tfjs-core';

/** The activations fused here: the ones our networks use. */
export type FusedActivation = 'linear' | 'relu';

type Pad =
  'valid' | 'same' | number | [[number, number], [number, number], [number, number], [number, number]];

/**
 * The backends whose fused kernels this module has been checked on (tests compare them). Others
 * (tfjs-node-gpu's 'tensorflow') get the same arithmetic as separate ops.
 */
const FUSING_BACKENDS = new Set(['wasm', 'cpu']);

function activate(y: tf.Tensor, activation: FusedActivation): tf.Tensor {
  return activation === 'relu' ? tf.relu(y) : y;
}

/** x ∗ w (+ b), then the activation: NHWC, no dilation. */
export function fusedConv2d(
  x: tf.Tensor4D,
  w: tf.Tensor4D,
  b: tf.Tensor | null,
  stride: number,
  pad: Pad,
  activation: FusedActivation = 'linear',
): tf.Tensor4D {
  if (!FUSING_BACKENDS.has(tf.getBackend())) {
    const y = tf.conv2d(x, w, stride, pad);
    return activate(b ? tf.add(y, b) : y, activation) as tf.Tensor4D;
  }
  const inputs: NamedTensorMap = b ? { x, filter: w, bias: b } : { x, filter: w };
  const attrs = { strides: [stride, stride], pad, dataFormat: 'NHWC', dilations: [1, 1], activation };
  return tf.engine().runKernel(FusedConv2D, inputs, attrs as unknown as NamedAttrMap) as tf.Tensor4D;
}

/** x·w (+ b), then the activation: x [n, k], w [k, m]. */
export function fusedDense(
  x: tf.Tensor2D,
  w: tf.Tensor2D,
  b: tf.Tensor | null,
  activation: FusedActivation = 'linear',
): tf.Tensor2D {
  if (!FUSING_BACKENDS.has(tf.getBackend())) {
    const y = tf.matMul(x, w);
    return activate(b ? tf.add(y, b) : y, activation) as tf.Tensor2D;
  }
  const inputs: NamedTensorMap = b ? { a: x, b: w, bias: b } : { a: x, b: w };
  const attrs = { transposeA: false, transposeB: false, activation };
  return tf.engine().runKernel(_FusedMatMul, inputs, attrs as unknown as NamedAttrMap) as tf.Tensor2D;
}

/** dy through the activation, from the fused op's output y (ReLU: y > 0 exactly where z > 0). */
function throughActivation(dy: tf.Tensor, y: tf.Tensor, activation: unknown): tf.Tensor {
  if (activation === 'linear' || activation == null) return dy;
  if (activation === 'relu') return tf.mul(dy, tf.step(y));
  throw new Error(`no gradient for a fused '${String(activation)}' activation`);
}

const fusedConv2dGrad: GradConfig = {
  kernelName: FusedConv2D,
  inputsToSave: ['x', 'filter'],
  outputsToSave: [true],
  gradFunc: (dy, saved, attrs) => {
    const [x, filter, y] = saved as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D];
    const { strides, pad, dataFormat, dilations, dimRoundingMode, activation } = attrs as unknown as {
      strides: [number, number];
      pad: Pad;
      dataFormat: string;
      dilations: [number, number] | number;
      dimRoundingMode?: 'floor' | 'round' | 'ceil';
      activation: unknown;
    };
    if (dataFormat !== 'NHWC' || ![dilations].flat().every((d) => d === 1)) {
      throw new Error('the FusedConv2D gradient here supports NHWC without dilation only');
    }
    const d = throughActivation(dy as tf.Tensor4D, y, activation) as tf.Tensor4D;
    return {
      x: () => tf.conv2dTranspose(d, filter, x.shape, strides, pad, dimRoundingMode),
      filter: () =>
        tf.engine().runKernel(Conv2DBackpropFilter, { x, dy: d }, {
          strides,
          pad,
          dataFormat,
          dimRoundingMode,
          filterShape: filter.shape,
        } as unknown as NamedAttrMap) as tf.Tensor,
      bias: () => tf.sum(d, [0, 1, 2]),
    };
  },
};

const fusedMatMulGrad: GradConfig = {
  kernelName: _FusedMatMul,
  inputsToSave: ['a', 'b'],
  outputsToSave: [true],
  gradFunc: (dy, saved, attrs) => {
    const [a, b, y] = saved as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
    const { transposeA, transposeB, activation } = attrs as unknown as {
      transposeA: boolean;
      transposeB: boolean;
      activation: unknown;
    };
    if (transposeA || transposeB || a.rank !== 2 || b.rank !== 2) {
      throw new Error(`the ${_FusedMatMul} gradient here supports plain 2-D products only`);
    }
    const d = throughActivation(dy as tf.Tensor2D, y, activation) as tf.Tensor2D;
    return {
      a: () => tf.matMul(d, b, false, true),
      b: () => tf.matMul(a, d, true, false),
      bias: () => tf.sum(d, 0),
    };
  },
};

let registered = false;

/** Registers the two gradients (once; nothing else registers gradients for these kernels). */
export function registerFusedGradients(): void {
  if (registered) return;
  registered = true;
  registerGradient(fusedConv2dGrad);
  registerGradient(fusedMatMulGrad);
}

registerFusedGradients();

// The few layer functions our networks compose, on tfjs-core ops (no layers API: its
// bookkeeping costs more than the arithmetic at these sizes).
import * as tf from '@tensorflow/tfjs-core';

export function conv2d(
  x: tf.Tensor4D,
  w: tf.Tensor,
  b: tf.Tensor,
  stride: number,
  pad: number | 'same' | 'valid',
): tf.Tensor4D {
  const padding = typeof pad === 'number' ? (pad === 0 ? 'valid' : explicitPad(pad)) : pad;
  return tf.add(tf.conv2d(x, w as tf.Tensor4D, stride, padding), b);
}

function explicitPad(p: number): [[number, number], [number, number], [number, number], [number, number]] {
  return [
    [0, 0],
    [p, p],
    [p, p],
    [0, 0],
  ];
}

export function dense(x: tf.Tensor2D, w: tf.Tensor, b: tf.Tensor): tf.Tensor2D {
  return tf.add(tf.matMul(x, w as tf.Tensor2D), b);
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

// SGD's parameter update with PyTorch's semantics, one function for every backend:
//   g ← g + λw;  v ← βv + g;  d ← nesterov ? g + βv : v;  w ← w − ηd
// On wasm it is one SIMD pass per weight tensor over w, g and v (simd/kernels.ts) instead of up to
// six ops, with the same f32 operations in the same order, so both give the same bits. It lives
// with the backends so that the methods never ask which backend runs.
import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { sgdUpdateSimd } from './simd/kernels';

export interface SgdUpdateOptions {
  lr: number;
  momentum: number;
  nesterov: boolean;
  weightDecay: number;
}

/** Update `w` (and the momentum buffer `v`, when there is one) in place from the gradient `g`. */
export function sgdUpdate(w: tf.Variable, g: tf.Tensor, v: tf.Variable | null, o: SgdUpdateOptions): void {
  tf.tidy(() => {
    if (tf.getBackend() === 'wasm') {
      const next = sgdUpdateSimd(tf.backend() as BackendWasm, w, g, v, o);
      if (next.v) v!.assign(tf.engine().makeTensorFromTensorInfo(next.v));
      w.assign(tf.engine().makeTensorFromTensorInfo(next.w));
      return;
    }
    let d = g;
    if (o.weightDecay > 0) d = tf.add(d, tf.mul(w, o.weightDecay));
    if (v) {
      const vNext = tf.add(tf.mul(v, o.momentum), d);
      v.assign(vNext);
      d = o.nesterov ? tf.add(d, tf.mul(vNext, o.momentum)) : vNext;
    }
    w.assign(tf.sub(w, tf.mul(d, o.lr)));
  });
}

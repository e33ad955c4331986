// The adaptive optimizers' parameter updates, each the f32 arithmetic of PyTorch 1.13's
// single-tensor path (torch/optim/adam.py, adamw.py, rmsprop.py, adagrad.py: `_single_tensor_*`)
// in the same order, so that a run here and one in PyTorch agree to rounding. Plain tfjs ops, so
// they run on every backend; the bias corrections and the decayed rate are host doubles, as there.
// Each updates `w` and its buffers in place; the caller passes the buffers the options need.
import * as tf from '@tensorflow/tfjs-core';

export interface AdamUpdateOptions {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  amsgrad: boolean;
  /** AdamW: w ← w(1 − ηλ) before the step, instead of adding λw to the gradient. */
  decoupled: boolean;
}

/**
 * Adam / AdamW at step `step` (1-based, counted before this call as PyTorch's `step_t += 1`):
 *   g ← g + λw (Adam) | w ← w(1 − ηλ) (AdamW);  m ← β₁m + (1−β₁)g;  v ← β₂v + (1−β₂)g²;
 *   v̂ ← max(v̂, v) (AMSGrad);  w ← w − (η / (1−β₁ᵗ)) · m / (√v / √(1−β₂ᵗ) + ε)
 */
export function adamUpdate(
  w: tf.Variable,
  g: tf.Tensor,
  m: tf.Variable,
  v: tf.Variable,
  vMax: tf.Variable | null,
  step: number,
  o: AdamUpdateOptions,
): void {
  tf.tidy(() => {
    let grad = g;
    if (o.decoupled) {
      if (o.weightDecay !== 0) w.assign(tf.mul(w, 1 - o.lr * o.weightDecay));
    } else if (o.weightDecay !== 0) {
      grad = tf.add(grad, tf.mul(w, o.weightDecay));
    }
    m.assign(tf.add(tf.mul(m, o.beta1), tf.mul(grad, 1 - o.beta1)));
    // addcmul's order: (value · g) · g.
    v.assign(tf.add(tf.mul(v, o.beta2), tf.mul(tf.mul(grad, 1 - o.beta2), grad)));
    const stepSize = o.lr / (1 - o.beta1 ** step);
    const bias2Sqrt = Math.sqrt(1 - o.beta2 ** step);
    let second: tf.Tensor = v;
    if (vMax) {
      vMax.assign(tf.maximum(vMax, v));
      second = vMax;
    }
    const denom = tf.add(tf.div(tf.sqrt(second), bias2Sqrt), o.eps);
    w.assign(tf.sub(w, tf.div(tf.mul(m, stepSize), denom)));
  });
}

export interface RmspropUpdateOptions {
  lr: number;
  alpha: number;
  eps: number;
  weightDecay: number;
  momentum: number;
  centered: boolean;
}

/**
 * RMSprop: g ← g + λw;  s ← αs + (1−α)g²;  centered: ḡ ← αḡ + (1−α)g, a = √(s − ḡ²) + ε, else
 * a = √s + ε;  momentum: b ← μb + g/a, w ← w − ηb;  else w ← w − ηg/a.
 * `gradAvg` is given exactly when centered, `buf` exactly when momentum > 0.
 */
export function rmspropUpdate(
  w: tf.Variable,
  g: tf.Tensor,
  squareAvg: tf.Variable,
  gradAvg: tf.Variable | null,
  buf: tf.Variable | null,
  o: RmspropUpdateOptions,
): void {
  tf.tidy(() => {
    const grad = o.weightDecay !== 0 ? tf.add(g, tf.mul(w, o.weightDecay)) : g;
    squareAvg.assign(tf.add(tf.mul(squareAvg, o.alpha), tf.mul(tf.mul(grad, 1 - o.alpha), grad)));
    let avg: tf.Tensor;
    if (gradAvg) {
      gradAvg.assign(tf.add(tf.mul(gradAvg, o.alpha), tf.mul(grad, 1 - o.alpha)));
      avg = tf.sqrt(tf.sub(squareAvg, tf.mul(gradAvg, gradAvg)));
    } else {
      avg = tf.sqrt(squareAvg);
    }
    avg = tf.add(avg, o.eps);
    if (buf) {
      buf.assign(tf.add(tf.mul(buf, o.momentum), tf.div(grad, avg)));
      w.assign(tf.sub(w, tf.mul(buf, o.lr)));
    } else {
      w.assign(tf.sub(w, tf.div(tf.mul(grad, o.lr), avg)));
    }
  });
}

export interface AdagradUpdateOptions {
  lr: number;
  lrDecay: number;
  eps: number;
  weightDecay: number;
}

/**
 * Adagrad at step `step` (1-based): g ← g + λw;  η_t = η / (1 + (t−1)·decay);  S ← S + g²;
 * w ← w − η_t · g / (√S + ε). The accumulator starts at initial_accumulator_value (the caller's).
 */
export function adagradUpdate(
  w: tf.Variable,
  g: tf.Tensor,
  sum: tf.Variable,
  step: number,
  o: AdagradUpdateOptions,
): void {
  tf.tidy(() => {
    const grad = o.weightDecay !== 0 ? tf.add(g, tf.mul(w, o.weightDecay)) : g;
    const clr = o.lr / (1 + (step - 1) * o.lrDecay);
    sum.assign(tf.add(sum, tf.mul(grad, grad)));
    const std = tf.add(tf.sqrt(sum), o.eps);
    w.assign(tf.sub(w, tf.div(tf.mul(grad, clr), std)));
  });
}

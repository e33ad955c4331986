// Gradients of every layer kind the networks use, against central finite differences, on cpu and
// on wasm (with this project's wasm kernels). float64 is not available, so the inputs are tiny,
// h = 1e-2 in float32, and each layer sits alone in front of a linear head so that the only
// nonlinearity is the one under test; inputs to max-pool and ReLU are spaced so that no step of h
// crosses a kink. The tolerance (2% of the gradient's norm) is far above float32's noise here and
// far below what a wrong formula gives: the last test shows a batch-norm gradient that ignores the
// batch statistics' dependence on the input failing it by more than 20%. Observed errors stay
// below 0.2%, except where batch-norm's output feeds a ReLU (fused): a normalised value can sit
// within a step of the kink, and the input's gradient is then off by up to 0.9%.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../src/shared/rng';
import { registerWasmKernels } from '../../src/main/trainer/backend/wasm-kernels';
import { crossEntropy } from '../../src/main/trainer/objective';
import {
  defineNetwork,
  type ApplyOptions,
  type Body,
  type Network,
  type Ops,
} from '../../src/main/trainer/models';
import '../../src/main/trainer/gradients';

const H = 1e-2;
const TOLERANCE = 0.02;

interface Case {
  name: string;
  input: [number, number, number];
  batch: number;
  body: Body;
  /** Input values a fixed distance apart (for max-pool and ReLU), instead of N(0, 1). */
  spaced?: boolean;
  options?: (net: Network) => ApplyOptions;
  training?: boolean;
  /** Cross-entropy against labels instead of a fixed linear functional of the logits. */
  crossEntropy?: boolean;
}

/** The linear head every case ends in: flatten (if needed) and a dense layer to 3 outputs. */
function head<T>(o: Ops<T>, x: T): T {
  return o.dense(o.shape(x).length === 1 ? x : o.flatten(x), 'head', 3);
}

const CASES: Case[] = [
  { name: 'dense', input: [1, 1, 4], batch: 3, body: (o, x) => head(o, x) },
  {
    name: 'conv 3×3/1, pad 1, bias',
    input: [5, 5, 2],
    batch: 2,
    body: (o, x) => head(o, o.conv(x, 'c', { out: 3, k: 3, pad: 1 })),
  },
  {
    name: 'conv 3×3/2, pad 1, no bias (even side)',
    input: [6, 6, 2],
    batch: 2,
    body: (o, x) => head(o, o.conv(x, 'c', { out: 2, k: 3, stride: 2, pad: 1, bias: false })),
  },
  {
    name: 'conv 1×1/2, no bias (a shortcut)',
    input: [5, 5, 3],
    batch: 2,
    body: (o, x) => head(o, o.conv(x, 'c', { out: 2, k: 1, stride: 2, bias: false })),
  },
  {
    name: 'conv 11×11/4, pad 5 (AlexNet’s stem)',
    input: [9, 9, 1],
    batch: 2,
    body: (o, x) => head(o, o.conv(x, 'c', { out: 2, k: 11, stride: 4, pad: 5 })),
  },
  {
    name: 'conv 7×7/2, no padding (SqueezeNet’s stem)',
    input: [9, 9, 1],
    batch: 2,
    body: (o, x) => head(o, o.conv(x, 'c', { out: 2, k: 7, stride: 2 })),
  },
  {
    name: 'depthwise 3×3/1, pad 1',
    input: [4, 4, 3],
    batch: 2,
    body: (o, x) => head(o, o.depthwiseConv(x, 'd', { k: 3, pad: 1, bias: false })),
  },
  {
    name: 'depthwise 3×3/2, pad 1, bias (odd side)',
    input: [5, 5, 2],
    batch: 2,
    body: (o, x) => head(o, o.depthwiseConv(x, 'd', { k: 3, stride: 2, pad: 1 })),
  },
  {
    name: 'batch-norm 2d, training mode',
    input: [3, 3, 2],
    batch: 3,
    training: true,
    body: (o, x) => head(o, o.batchNorm(x, 'bn')),
  },
  {
    name: 'batch-norm 1d, training mode',
    input: [1, 1, 4],
    batch: 5,
    training: true,
    body: (o, x) => head(o, o.batchNorm(o.flatten(x), 'bn')),
  },
  {
    name: 'batch-norm 2d fused with ReLU, training mode',
    input: [3, 3, 2],
    batch: 3,
    training: true,
    body: (o, x) => head(o, o.batchNorm(x, 'bn', { relu: true })),
  },
  {
    name: 'batch-norm 2d fused with a residual and ReLU, training mode',
    input: [3, 3, 2],
    batch: 3,
    training: true,
    body: (o, x) =>
      head(o, o.batchNorm(o.conv(x, 'c', { out: 2, k: 1, bias: false }), 'bn', { add: x, relu: true })),
  },
  {
    name: 'batch-norm 2d fused with a residual, training mode',
    input: [3, 3, 2],
    batch: 3,
    training: true,
    body: (o, x) => head(o, o.batchNorm(o.conv(x, 'c', { out: 2, k: 1, bias: false }), 'bn', { add: x })),
  },
  {
    name: 'batch-norm 2d with a residual and ReLU, inference mode',
    input: [2, 2, 3],
    batch: 2,
    body: (o, x) => head(o, o.batchNorm(x, 'bn', { add: x, relu: true })),
    options: () => ({ buffers: [tf.tensor1d([0.1, -0.3, 0.2]), tf.tensor1d([0.5, 2, 1.5])] }),
  },
  {
    name: 'batch-norm 2d, inference mode',
    input: [2, 2, 3],
    batch: 2,
    body: (o, x) => head(o, o.batchNorm(x, 'bn')),
    options: () => ({ buffers: [tf.tensor1d([0.1, -0.3, 0.2]), tf.tensor1d([0.5, 2, 1.5])] }),
  },
  { name: 'ReLU', input: [3, 3, 2], batch: 2, spaced: true, body: (o, x) => head(o, o.relu(x)) },
  {
    name: 'max-pool 2×2',
    input: [4, 5, 2],
    batch: 2,
    spaced: true,
    body: (o, x) => head(o, o.maxPool(x, { k: 2 })),
  },
  {
    name: 'max-pool 3×3/2, ceil mode (padded edge)',
    input: [6, 6, 2],
    batch: 2,
    spaced: true,
    body: (o, x) => head(o, o.maxPool(x, { k: 3, stride: 2, ceil: true })),
  },
  { name: 'global average pool', input: [3, 4, 3], batch: 2, body: (o, x) => head(o, o.globalAvgPool(x)) },
  {
    name: 'residual add and channel concat',
    input: [3, 3, 2],
    batch: 2,
    body: (o, x) => {
      const a = o.conv(x, 'a', { out: 2, k: 1 });
      const b = o.conv(x, 'b', { out: 3, k: 3, pad: 1, bias: false });
      return head(o, o.concat([o.add(a, x), b]));
    },
  },
  {
    name: 'dropout (a fixed mask)',
    input: [2, 2, 3],
    batch: 2,
    training: true,
    body: (o, x) => head(o, o.dropout(x, 0.5)),
    options: () => ({ dropoutSeed: () => 11 }),
  },
  {
    name: 'cross-entropy of the logits',
    input: [1, 1, 4],
    batch: 4,
    crossEntropy: true,
    body: (o, x) => head(o, x),
  },
];

/** Gradient of `f` at `values` by tf.grads, and by central differences, per tensor. */
function gradients(f: (ts: tf.Tensor[]) => tf.Scalar, values: Float32Array[], shapes: number[][]) {
  const tensors = values.map((v, i) => tf.tensor(v, shapes[i]!));
  const analytic = tf
    .tidy(() => tf.grads((...ts: tf.Tensor[]) => f(ts))(tensors))
    .map((g) => {
      const d = g.dataSync().slice() as Float32Array;
      g.dispose();
      return d;
    });
  tf.dispose(tensors);
  const at = (i: number, j: number, delta: number) => {
    const moved = values[i]!.slice();
    moved[j] = moved[j]! + delta;
    return tf.tidy(() => f(values.map((v, k) => tf.tensor(k === i ? moved : v, shapes[k]!))).dataSync()[0]!);
  };
  const numeric = values.map((v, i) =>
    Float32Array.from(v, (_, j) => (at(i, j, H) - at(i, j, -H)) / (2 * H)),
  );
  return { analytic, numeric };
}

const norm = (v: ArrayLike<number>) => Math.sqrt(Array.from(v).reduce((s, x) => s + x * x, 0));
const relativeError = (a: Float32Array, n: Float32Array) =>
  norm(a.map((x, i) => x - n[i]!)) / Math.max(norm(n), 1e-6);

function caseFunction(c: Case) {
  const [height, width, channels] = c.input;
  const probe = defineNetwork(c.name, { height, width, channels }, 3, c.body);
  const rng = Rng.fromSeed(17, c.name);
  const count = c.batch * height * width * channels;
  // Spaced: a shuffled grid 0.05 apart around zero, so no window's maximum and no sign can change
  // under a step of h = 0.01.
  const x = c.spaced
    ? rng.shuffle(Float32Array.from({ length: count }, (_, i) => (i - count / 2 + 0.5) * 0.05))
    : rng.fillNormal(new Float32Array(count), 1);
  const params = probe.params.map((p) =>
    rng.fillNormal(new Float32Array(p.shape.reduce((a, b) => a * b, 1)), 0.5),
  );
  const weights = rng.fillNormal(new Float32Array(c.batch * 3), 1);
  const labels = Int32Array.from({ length: c.batch }, (_, i) => i % 3);
  const shapes = [[c.batch, height, width, channels], ...probe.params.map((p) => p.shape)];
  const f = (ts: tf.Tensor[]) => {
    const [input, ...ps] = ts;
    const options = c.options?.(probe) ?? {};
    const logits = probe.apply(ps, input as tf.Tensor4D, c.training ?? false, options);
    if (c.crossEntropy) {
      return crossEntropy(
        logits,
        tf.cast(tf.oneHot(tf.tensor1d(labels, 'int32'), 3), 'float32') as tf.Tensor2D,
      );
    }
    return tf.sum(tf.mul(logits, tf.tensor2d(weights, [c.batch, 3]))) as tf.Scalar;
  };
  return { f, values: [x, ...params], shapes, names: ['input', ...probe.params.map((p) => p.name)] };
}

for (const backend of ['cpu', 'wasm'] as const) {
  describe(`gradients on ${backend} match central differences`, () => {
    beforeAll(async () => {
      await tf.setBackend(backend);
      if (backend === 'wasm') registerWasmKernels();
    });

    for (const c of CASES) {
      it(c.name, () => {
        const { f, values, shapes, names } = caseFunction(c);
        const { analytic, numeric } = gradients(f, values, shapes);
        names.forEach((name, i) => {
          expect(norm(numeric[i]!), `${name}: the function depends on it`).toBeGreaterThan(1e-3);
          expect(relativeError(analytic[i]!, numeric[i]!), name).toBeLessThan(TOLERANCE);
        });
      });
    }
  });
}

describe('the check itself', () => {
  beforeAll(() => tf.setBackend('cpu'));
  afterAll(() => tf.setBackend('cpu'));

  it('fails a batch-norm gradient that treats the batch statistics as constants', () => {
    const shape = [3, 3, 3, 2];
    const x = Rng.fromSeed(3, 'x').fillNormal(new Float32Array(54), 1);
    const w = Rng.fromSeed(3, 'w').fillNormal(new Float32Array(54), 1);
    // Right values, wrong derivative: the statistics enter as constants read back from the device.
    const wrong = (ts: tf.Tensor[]) => {
      const t = ts[0]!;
      const { mean, variance } = tf.tidy(() => tf.moments(t, [0, 1, 2]));
      const m = tf.tensor(mean.dataSync());
      const v = tf.tensor(variance.dataSync());
      const y = tf.div(tf.sub(t, m), tf.sqrt(tf.add(v, 1e-5)));
      return tf.sum(tf.mul(y, tf.tensor(w, shape))) as tf.Scalar;
    };
    const { analytic, numeric } = gradients(wrong, [x], [shape]);
    expect(relativeError(analytic[0]!, numeric[0]!)).toBeGreaterThan(10 * TOLERANCE);
  });
});

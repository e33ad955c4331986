// Backpropagation that frees as it goes (src/main/trainer/backend/eager-backprop.ts): the same
// gradients and the same training as tfjs's free-at-the-end, fewer tensors alive at the peak, no
// leaks, and higher-order gradients untouched.
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelId } from '../../src/shared/ids';
import type { EpochRecord } from '../../src/shared/records';
import { Rng } from '../../src/shared/rng';
import { installEagerBackprop, setEagerBackprop } from '../../src/main/trainer/backend/eager-backprop';
import { initBackend } from '../../src/main/trainer/backend/select';
import { trainRun, type RunPlan } from '../../src/main/trainer/loop';
import {
  bindBuffers,
  buildNetwork,
  defineNetwork,
  initialBuffers,
  initialValues,
  type Body,
} from '../../src/main/trainer/models';
import { crossEntropy } from '../../src/main/trainer/objective';
import { syntheticData, tinySpec } from '../helpers/tiny-training';

beforeAll(async () => {
  await initBackend('wasm'); // installs the eager freeing, like every trainer process
  installEagerBackprop(); // idempotent
  await tf.setBackend('cpu');
});
afterAll(() => setEagerBackprop(true));

/** Loss and gradients of a network on a fixed batch; the peak count of live tensors on the way. */
function gradients(id: ModelId | Body, side: number, channels: number) {
  const input = { height: side, width: side, channels };
  const net0 = typeof id === 'string' ? buildNetwork(id, input, 10) : defineNetwork('mixed', input, 10, id);
  const rng = Rng.fromSeed(5, 'x');
  return tf.tidy(() => {
    const buffers = initialBuffers(net0).map((b) => tf.variable(b, false));
    const net = bindBuffers(net0, buffers);
    const params = initialValues(net.params, rng, 'pytorch').map((v, i) =>
      tf.tensor(v, net.params[i]!.shape),
    );
    const x = tf.tensor4d(rng.fillNormal(new Float32Array(2 * side * side * channels), 1), [
      2,
      side,
      side,
      channels,
    ]);
    const y = tf.oneHot(tf.tensor1d([1, 7], 'int32'), 10) as tf.Tensor2D;
    let peak = 0;
    const engine = tf.engine() as unknown as { runKernel: (...a: unknown[]) => unknown };
    const runKernel = engine.runKernel;
    engine.runKernel = (...a: unknown[]) => {
      const out = runKernel.apply(engine, a);
      peak = Math.max(peak, tf.memory().numBytes);
      return out;
    };
    try {
      const { value, grads } = tf.valueAndGrads((...ws: tf.Tensor[]) =>
        crossEntropy(net.apply(ws, x, true, { onRunningStats: tf.dispose }), y),
      )(params);
      tf.dispose(buffers);
      return { values: [value, ...grads].map((g) => Float32Array.from(g.dataSync())), peak };
    } finally {
      engine.runKernel = runKernel;
    }
  });
}

/** Every other layer kind, small: batch-norm fused with a residual add and ReLU, depthwise, concat. */
const mixed: Body = (o, x) => {
  const a = o.conv(x, 'a', { out: 8, k: 3, pad: 1, bias: false });
  const r = o.batchNorm(o.conv(a, 'b', { out: 8, k: 3, pad: 1, bias: false }), 'bn', { add: a, relu: true });
  const d = o.relu(o.depthwiseConv(r, 'dw', { k: 3, pad: 1 }));
  const c = o.concat([o.maxPool(d, { k: 2 }), o.maxPool(r, { k: 2 })]);
  return o.dense(o.globalAvgPool(c), 'fc', 10);
};

const NETWORKS: [ModelId | Body, number, number][] = [
  ['mlp', 28, 1],
  ['lenet5', 28, 1],
  ['convnet', 12, 1],
  [mixed, 8, 3],
];

describe('eager freeing in backpropagation', () => {
  for (const [id, side, channels] of NETWORKS) {
    for (const backend of ['cpu', 'wasm']) {
      it(`${typeof id === 'string' ? id : 'batch-norm, residual, depthwise, concat'} on ${backend}: the same loss and gradients, no leak, a lower peak`, async () => {
        await tf.setBackend(backend);
        setEagerBackprop(false);
        const lazy = gradients(id, side, channels);
        setEagerBackprop(true);
        const before = tf.memory().numTensors;
        const eager = gradients(id, side, channels);
        expect(tf.memory().numTensors).toBe(before);
        // Bit for bit (a loop: toEqual on millions of elements takes a minute).
        expect(eager.values.map((v) => v.length)).toEqual(lazy.values.map((v) => v.length));
        const differing = eager.values.flatMap((v, k) =>
          v.some((e, i) => !Object.is(e, lazy.values[k]![i])) ? [k] : [],
        );
        expect(differing).toEqual([]);
        if (id !== 'mlp') expect(eager.peak).toBeLessThan(lazy.peak);
      });
    }
  }

  it('keeps the caller’s dy and gets second derivatives right', async () => {
    await tf.setBackend('cpu');
    const x = tf.tensor1d([0.5, -1, 2]);
    const dy = tf.tensor1d([1, 2, 3]);
    const [g] = tf.grads((a: tf.Tensor) => tf.mul(tf.square(a), a))([x], dy);
    expect(Array.from(g!.dataSync())).toEqual([0.75, 6, 36]); // 3x²·dy
    expect(dy.isDisposed).toBe(false);
    // d²/dx² of x³ is 6x, through a gradient taken inside a gradient.
    const second = tf.grad((a: tf.Tensor) => tf.sum(tf.grad((b: tf.Tensor) => tf.sum(tf.pow(b, 3)))(a)))(x);
    expect(Array.from(second.dataSync())).toEqual([3, -6, 12]);
    tf.dispose([x, dy, g!, second]);
  });

  it('trains to the same records with and without it', async () => {
    await tf.setBackend('cpu');
    const run = async () => {
      const data = syntheticData();
      const records: EpochRecord[] = [];
      const spec = tinySpec([{ id: 'sgd', momentum: 0.9, lr: 0.05 }, { id: 'sgd-sa' }]);
      for (const methodIndex of [0, 1]) {
        const plan: RunPlan = { experimentId: 'e', runId: 'r', spec, methodIndex, model: 'mlp', seed: 3 };
        const outcome = await trainRun(plan, data, { onEpoch: (r) => void records.push(r) });
        tf.dispose(outcome.bestWeights!);
      }
      tf.dispose([data.train.x, data.train.y, data.train.labels, data.test.x, data.test.y, data.test.labels]);
      return records.map((r) => ({ ...r, counters: { ...r.counters, seconds: 0 } }));
    };
    setEagerBackprop(false);
    const lazy = await run();
    setEagerBackprop(true);
    expect(await run()).toEqual(lazy);
  });
});

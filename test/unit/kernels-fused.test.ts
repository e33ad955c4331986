// The fused layer ops of src/main/trainer/backend/fused-ops.ts (conv2d / matmul + bias + ReLU as
// one kernel, with gradients registered here): the same values and gradients as the separate
// ops, on cpu and on wasm, and only the gradients that are asked for.
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fusedConv2d, fusedDense, type FusedActivation } from '../../src/main/trainer/backend/fused-ops';
import { initBackend } from '../../src/main/trainer/backend/select';
import { defineNetwork, type Body } from '../../src/main/trainer/models/graph';
import { buildNetwork, initialValues } from '../../src/main/trainer/models';
import { Rng } from '../../src/shared/rng';
import { values } from '../helpers/values';

const t = (shape: number[], seed: number) =>
  tf.tensor(
    values(
      shape.reduce((a, b) => a * b, 1),
      seed,
    ),
    shape,
  );

type Pad = 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]];

/** The value and every gradient (with a weighted sum as the loss), as plain arrays. */
function valueAndGrads(f: (...xs: tf.Tensor[]) => tf.Tensor, inputs: () => tf.Tensor[]): Float32Array[] {
  return tf.tidy(() => {
    const xs = inputs();
    const y = f(...xs);
    const weights = t(y.shape, 99);
    const { value, grads } = tf.valueAndGrads((...v: tf.Tensor[]) => tf.sum(tf.mul(f(...v), weights)))(xs);
    return [y, value, ...grads].map((r) => Float32Array.from(r.dataSync()));
  });
}

function expectClose(got: Float32Array[], want: Float32Array[], tolerance = 1e-4): void {
  expect(got.length).toBe(want.length);
  got.forEach((g, k) => {
    const w = want[k]!;
    expect(g.length).toBe(w.length);
    const scale = Math.max(1e-6, ...Array.from(w, Math.abs));
    const err = Math.max(0, ...Array.from(g, (v, i) => Math.abs(v - w[i]!)));
    expect(err / scale, `output ${k}`).toBeLessThan(tolerance);
  });
}

const relu = (y: tf.Tensor, a: FusedActivation) => (a === 'relu' ? tf.relu(y) : y);

beforeAll(async () => {
  await initBackend('wasm');
  await tf.setBackend('cpu');
});
afterAll(() => tf.setBackend('cpu'));

describe('fusedConv2d: conv + bias + activation in one kernel', () => {
  const cases: [string, number[], number[], number, Pad, FusedActivation, boolean][] = [
    ['5×5 valid, relu (lenet5)', [3, 12, 12, 2], [5, 5, 2, 4], 1, 'valid', 'relu', true],
    [
      '5×5 pad 2, relu (convnet)',
      [2, 9, 9, 3],
      [5, 5, 3, 5],
      1,
      [
        [0, 0],
        [2, 2],
        [2, 2],
        [0, 0],
      ],
      'relu',
      true,
    ],
    ['3×3 stride 2 same, linear', [2, 9, 8, 3], [3, 3, 3, 6], 2, 'same', 'linear', true],
    ['1×1 stride 2, no bias', [2, 8, 8, 4], [1, 1, 4, 3], 2, 'valid', 'linear', false],
    ['3×3 same, relu, no bias', [1, 7, 7, 2], [3, 3, 2, 3], 1, 'same', 'relu', false],
  ];
  for (const [name, xs, ws, stride, pad, act, withBias] of cases) {
    const inputs = () => [t(xs, 1), t(ws, 2), ...(withBias ? [t([ws[3]!], 3)] : [])];
    const reference = (x: tf.Tensor, w: tf.Tensor, b?: tf.Tensor) => {
      const y = tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, stride, pad);
      return relu(b ? tf.add(y, b) : y, act);
    };
    const fused = (x: tf.Tensor, w: tf.Tensor, b?: tf.Tensor) =>
      fusedConv2d(x as tf.Tensor4D, w as tf.Tensor4D, b ?? null, stride, pad, act);
    for (const backend of ['cpu', 'wasm']) {
      it(`${name} on ${backend}`, async () => {
        await tf.setBackend('cpu');
        const want = valueAndGrads(reference, inputs);
        await tf.setBackend(backend);
        expectClose(valueAndGrads(fused, inputs), want);
      });
    }
  }
});

describe('fusedDense: matmul + bias + activation in one kernel', () => {
  for (const act of ['linear', 'relu'] as const) {
    for (const backend of ['cpu', 'wasm']) {
      it(`${act} on ${backend}`, async () => {
        const inputs = () => [t([7, 13], 4), t([13, 5], 5), t([5], 6)];
        await tf.setBackend('cpu');
        const want = valueAndGrads(
          (x, w, b) => relu(tf.add(tf.matMul(x as tf.Tensor2D, w as tf.Tensor2D), b!), act),
          inputs,
        );
        await tf.setBackend(backend);
        expectClose(
          valueAndGrads((x, w, b) => fusedDense(x as tf.Tensor2D, w as tf.Tensor2D, b!, act), inputs),
          want,
        );
      });
    }
  }
});

describe('fused gradients', () => {
  it('compute only what is asked: no input gradient for the first layer', async () => {
    await tf.setBackend('wasm');
    const x = t([2, 10, 10, 1], 7);
    const w = t([5, 5, 1, 3], 8);
    const b = t([3], 9);
    const info = await tf.profile(() => {
      tf.tidy(() => {
        tf.grads((wv: tf.Tensor, bv: tf.Tensor) =>
          tf.sum(fusedConv2d(x as tf.Tensor4D, wv as tf.Tensor4D, bv, 1, 'valid', 'relu')),
        )([w, b]);
      });
    });
    const names = info.kernels.map((k) => k.name);
    expect(names).toContain('Conv2DBackpropFilter');
    expect(names).not.toContain('Conv2DBackpropInput');
    tf.dispose([x, w, b]);
  });

  it('leave no tensors behind', async () => {
    await tf.setBackend('wasm');
    const run = () =>
      tf.tidy(() => {
        const x = t([2, 6, 6, 2], 10);
        const [gw, gb, gv] = tf.grads((w: tf.Tensor, b: tf.Tensor, v: tf.Tensor) => {
          const h = fusedConv2d(x as tf.Tensor4D, w as tf.Tensor4D, b, 1, 'same', 'relu');
          return tf.sum(fusedDense(tf.reshape(h, [2, 72]) as tf.Tensor2D, v as tf.Tensor2D, null, 'relu'));
        })([t([3, 3, 2, 2], 11), t([2], 12), t([72, 4], 13)]);
        return tf.add(tf.add(tf.sum(gw!), tf.sum(gb!)), tf.sum(gv!));
      });
    run().dispose();
    const before = tf.memory().numTensors;
    run().dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('networks run a ReLU inside the conv or dense kernel before it', () => {
  /** Kernel names of a forward pass, and its logits. */
  async function forward(net: ReturnType<typeof buildNetwork>, side: number, channels: number) {
    const params = tf.tidy(() =>
      initialValues(net.params, Rng.fromSeed(1, 'f'), 'pytorch').map((v, i) =>
        tf.tensor(v, net.params[i]!.shape),
      ),
    );
    const x = t([2, side, side, channels], 14) as tf.Tensor4D;
    let logits: Float32Array = new Float32Array();
    const info = await tf.profile(() => {
      logits = tf.tidy(() => Float32Array.from(net.apply(params, x, true).dataSync()));
    });
    tf.dispose([x, ...params]);
    return { kernels: info.kernels.map((k) => k.name), logits };
  }

  it('lenet5, convnet and mlp: every ReLU fused', async () => {
    await tf.setBackend('wasm');
    for (const id of ['lenet5', 'convnet', 'mlp'] as const) {
      const { kernels } = await forward(buildNetwork(id, { height: 28, width: 28, channels: 1 }, 10), 28, 1);
      expect(kernels, id).not.toContain('Relu');
      expect(kernels.filter((k) => k === 'FusedConv2D' || k === '_FusedMatMul').length, id).toBeGreaterThan(
        1,
      );
    }
  });

  it('not when something else reads the layer’s output, with the same logits as unfused ops', async () => {
    await tf.setBackend('cpu');
    // conv → ReLU, and the conv's output also added back: the ReLU must stay separate.
    const body: Body = (o, x) => {
      const c = o.conv(x, 'c1', { out: 3, k: 3, pad: 1 });
      const r = o.add(o.relu(c), c);
      const d = o.dense(o.flatten(r), 'fc1', 4);
      return o.dense(o.relu(d), 'fc2', 2);
    };
    const net = defineNetwork('probe', { height: 5, width: 5, channels: 2 }, 2, body);
    const { kernels, logits } = await forward(net, 5, 2);
    expect(kernels.filter((k) => k === 'Relu')).toHaveLength(1); // the conv's; fc1's is fused
    const want = tf.tidy(() => {
      const ps = initialValues(net.params, Rng.fromSeed(1, 'f'), 'pytorch').map((v, i) =>
        tf.tensor(v, net.params[i]!.shape),
      );
      const x = t([2, 5, 5, 2], 14) as tf.Tensor4D;
      const c = tf.add(tf.conv2d(x, ps[0] as tf.Tensor4D, 1, 'same'), ps[1]!);
      const r = tf.add(tf.relu(c), c);
      const d = tf.relu(tf.add(tf.matMul(tf.reshape(r, [2, 75]), ps[2] as tf.Tensor2D), ps[3]!));
      return Float32Array.from(tf.add(tf.matMul(d as tf.Tensor2D, ps[4] as tf.Tensor2D), ps[5]!).dataSync());
    });
    expectClose([logits], [want], 1e-5);
  });
});

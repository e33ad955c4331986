// A forward and a backward pass of every network on cpu and on wasm (with this project's wasm
// kernels: a kernel missing there fails the test with its name).
//
// wasm: CIFAR-sized images (32×32×3, or 28×28×1 for the MNIST-era nets), training mode, gradients
// of every parameter. cpu: tfjs's cpu backend computes a filter gradient at about a quarter of a
// microsecond per multiply-add, so the all-parameter backward pass of a VGG or a ResNet takes
// minutes even on tiny images; there the backward pass runs through every layer to the input
// image, with the gradients of the first and last layers' parameters, and is compared with
// wasm's. Every layer kind's full gradient is checked on both backends in gradcheck.test.ts.
//
// The comparison is tight in inference mode. In training mode, batch-norm over the few values per
// channel that tiny images leave (4 at 1×1) turns float32 rounding differences into percent-level
// gradient differences (MobileNetV2: 7% at 8×8, 0.6% at 32×32), so only the loss is compared.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { MODEL_IDS, type ModelId } from '../../src/shared/ids';
import { Rng } from '../../src/shared/rng';
import { registerWasmKernels } from '../../src/main/trainer/backend/wasm-kernels';
import { crossEntropy } from '../../src/main/trainer/objective';
import { buildNetwork, initialBuffers, initialValues, type InputShape } from '../../src/main/trainer/models';
import '../../src/main/trainer/gradients';

const CIFAR: InputShape = { height: 32, width: 32, channels: 3 };
const MNIST: InputShape = { height: 28, width: 28, channels: 1 };

/** The full-size input a network is used with, and a small one for the cpu comparison. */
function inputs(id: ModelId): { full: InputShape; small: InputShape } {
  if (id === 'mlp' || id === 'lenet5' || id === 'convnet') {
    return { full: MNIST, small: { height: 16, width: 16, channels: 1 } };
  }
  return {
    full: CIFAR,
    small: { height: id === 'squeezenet' ? 16 : 8, width: id === 'squeezenet' ? 16 : 8, channels: 3 },
  };
}

interface Pass {
  loss: number;
  logits: Float32Array;
  /** Gradient per requested parameter index (and 'input'). */
  grads: Map<number | 'input', Float32Array>;
  updatedStats: number;
}

/**
 * One training-mode pass of `id` with seeded weights and images, the gradients of the parameters
 * at `wrt` (all when omitted) and of the input image; everything read back to the host.
 */
function pass(id: ModelId, input: InputShape, batch: number, wrt?: number[], training = true): Pass {
  const net = buildNetwork(id, input, 10);
  const size = batch * input.height * input.width * input.channels;
  const values = initialValues(net.params, Rng.fromSeed(1, 'init'), 'pytorch');
  const pixels = Rng.fromSeed(2, 'x').fillNormal(new Float32Array(size), 1);
  const labels = Int32Array.from({ length: batch }, (_, i) => (3 * i) % 10);
  const indices = wrt ?? net.params.map((_, i) => i);
  const before = tf.memory().numTensors;
  const params = values.map((v, i) => tf.tensor(v, net.params[i]!.shape));
  const buffers = initialBuffers(net);
  const x = tf.tensor4d(pixels, [batch, input.height, input.width, input.channels]);
  const y = tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d(labels, 'int32'), 10), 'float32')) as tf.Tensor2D;
  let updated: tf.Tensor[] = [];
  let logits: Float32Array = new Float32Array();
  const { value, grads } = tf.valueAndGrads((...ts: tf.Tensor[]) => {
    const [image, ...chosen] = ts;
    const all = params.map((p, i) => {
      const k = indices.indexOf(i);
      return k >= 0 ? chosen[k]! : p;
    });
    const out = net.apply(all, image as tf.Tensor4D, training, {
      buffers,
      onRunningStats: (u) => (updated = u),
    });
    logits = out.dataSync().slice() as Float32Array;
    return crossEntropy(out, y);
  })([x, ...indices.map((i) => params[i]!)]);
  const result: Pass = {
    loss: value.dataSync()[0]!,
    logits,
    grads: new Map(
      grads.map((g, k) => [k === 0 ? 'input' : indices[k - 1]!, g.dataSync().slice() as Float32Array]),
    ),
    updatedStats: updated.length,
  };
  tf.dispose([value, ...grads, ...updated, ...params, ...buffers, x, y]);
  expect(tf.memory().numTensors, 'tensors left behind').toBe(before);
  return result;
}

const norm = (v: Float32Array) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));
const relativeDiff = (a: Float32Array, b: Float32Array) =>
  norm(a.map((x, i) => x - b[i]!)) / Math.max(norm(b), 1e-12);

function expectHealthy(id: ModelId, p: Pass, params: number) {
  expect(Number.isFinite(p.loss), `${id}: loss`).toBe(true);
  expect(p.logits.every(Number.isFinite), `${id}: logits`).toBe(true);
  expect(p.grads.size, `${id}: gradients`).toBe(params + 1);
  for (const [k, g] of p.grads) expect(g.every(Number.isFinite), `${id}: gradient of ${k}`).toBe(true);
  expect(norm(p.grads.get('input')!), `${id}: gradient reaches the input`).toBeGreaterThan(0);
}

/** cpu results at the small size, kept for the wasm comparison. */
const onCpu = new Map<ModelId, { training: Pass; inference: Pass }>();
const checked = (id: ModelId) => {
  const n = buildNetwork(id, inputs(id).small, 10).params.length;
  return [0, n - 2, n - 1];
};

describe('every network on cpu', () => {
  beforeAll(() => tf.setBackend('cpu'));

  for (const id of MODEL_IDS) {
    it(`${id}: forward, and backward to the input image`, () => {
      const training = pass(id, inputs(id).small, 4, checked(id));
      expectHealthy(id, training, 3);
      expect(training.updatedStats).toBe(buildNetwork(id, CIFAR, 10).buffers.length);
      const inference = pass(id, inputs(id).small, 4, checked(id), false);
      expectHealthy(id, inference, 3);
      expect(inference.updatedStats).toBe(0);
      onCpu.set(id, { training, inference });
    });
  }
});

describe('every network on wasm', () => {
  beforeAll(async () => {
    await tf.setBackend('wasm');
    registerWasmKernels();
  });

  for (const id of MODEL_IDS) {
    it(`${id}: forward and backward at ${inputs(id).full.height}×${inputs(id).full.width}, every parameter`, () => {
      const net = buildNetwork(id, inputs(id).full, 10);
      const p = pass(id, inputs(id).full, 2);
      expectHealthy(id, p, net.params.length);
      expect(p.updatedStats).toBe(net.buffers.length);
      // Every parameter gets a gradient of its own shape, and none is all zero.
      net.params.forEach((spec, i) => {
        expect(p.grads.get(i)!.length, spec.name).toBe(spec.shape.reduce((a, b) => a * b, 1));
      });
      const zero = net.params.filter((_, i) => norm(p.grads.get(i)!) === 0).map((s) => s.name);
      expect(zero.length, `${id}: parameters without gradient: ${zero.join(', ')}`).toBe(0);
    });
  }

  for (const id of MODEL_IDS) {
    it(`${id}: the same numbers as cpu`, () => {
      const cpu = onCpu.get(id);
      expect(cpu, 'the cpu passes ran').toBeDefined();
      const inference = pass(id, inputs(id).small, 4, checked(id), false);
      expect(relativeDiff(inference.logits, cpu!.inference.logits), 'logits').toBeLessThan(1e-5);
      for (const [k, g] of cpu!.inference.grads) {
        expect(relativeDiff(inference.grads.get(k)!, g), `gradient of ${k}`).toBeLessThan(1e-4);
      }
      const training = pass(id, inputs(id).small, 4, checked(id));
      expect(Math.abs(training.loss - cpu!.training.loss), 'training loss').toBeLessThan(
        1e-3 * cpu!.training.loss,
      );
    });
  }
});

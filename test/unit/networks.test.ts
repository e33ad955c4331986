// The thesis's networks: parameter counts of the published definitions, shapes for any input,
// the layer summary, initialisation, and no leaked tensors. Forward and backward passes on each
// backend are in networks-backends.test.ts; gradients against finite differences in gradcheck.test.ts.
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { MODEL_IDS } from '../../src/shared/ids';
import { Rng } from '../../src/shared/rng';
import {
  buildNetwork,
  initialBuffers,
  initialValues,
  MODELS,
  parameterCount,
} from '../../src/main/trainer/models';
import { useCpu } from '../helpers/tiny-training';

beforeAll(useCpu);

const CIFAR = { height: 32, width: 32, channels: 3 };
const maxAbs = (v: Float32Array) => v.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
const same = (a: Float32Array[], b: Float32Array[]) =>
  a.length === b.length && a.every((x, i) => x.length === b[i]!.length && x.every((v, j) => v === b[i]![j]));
const MNIST = { height: 28, width: 28, channels: 1 };

describe('networks', () => {
  it('have the parameter counts of the published definitions on 32×32×3 with 10 classes', () => {
    const counts = Object.fromEntries(
      MODEL_IDS.map((id) => [id, parameterCount(buildNetwork(id, CIFAR, 10))]),
    );
    expect(counts).toEqual({
      mlp: 3072 * 128 + 128 + 128 * 10 + 10,
      lenet5: 62_006,
      convnet: 4_160_706,
      // The thesis's (METHODS.md, "Networks the thesis uses").
      alexnet: 2_472_266,
      vgg11: 9_225_610,
      vgg16: 14_719_818,
      vgg19: 20_029_514,
      resnet18: 11_173_962,
      resnet34: 21_282_122,
      squeezenet: 740_554,
      // kuangliu/pytorch-cifar's, with batch-norm.
      'vgg11-bn': 9_231_114,
      'vgg16-bn': 14_728_266,
      'vgg19-bn': 20_040_522,
      mobilenetv2: 2_296_922,
    });
  });

  it('carry batch-norm running statistics exactly where they have batch-norm', () => {
    const buffers = Object.fromEntries(
      MODEL_IDS.map((id) => [id, buildNetwork(id, CIFAR, 10).buffers.length]),
    );
    // Two per BatchNorm2d: running mean and running variance.
    expect(buffers).toEqual({
      mlp: 0,
      lenet5: 0,
      convnet: 0,
      alexnet: 0,
      vgg11: 0,
      vgg16: 0,
      vgg19: 0,
      squeezenet: 0,
      'vgg11-bn': 2 * 8,
      'vgg16-bn': 2 * 13,
      'vgg19-bn': 2 * 16,
      resnet18: 2 * (1 + 2 * 8 + 3),
      resnet34: 2 * (1 + 2 * 16 + 3),
      mobilenetv2: 2 * (1 + 3 * 17 + 4 + 1),
    });
    const resnet = buildNetwork('resnet18', CIFAR, 10);
    expect(resnet.buffers.slice(0, 2)).toEqual([
      { name: 'bn1.running_mean', shape: [64], initial: 0 },
      { name: 'bn1.running_var', shape: [64], initial: 1 },
    ]);
  });

  it('name parameters as PyTorch state_dicts do', () => {
    const names = (id: (typeof MODEL_IDS)[number]) => buildNetwork(id, CIFAR, 10).params.map((p) => p.name);
    expect(names('alexnet')).toEqual([
      'features.0.weight',
      'features.0.bias',
      'features.3.weight',
      'features.3.bias',
      'features.6.weight',
      'features.6.bias',
      'features.8.weight',
      'features.8.bias',
      'features.10.weight',
      'features.10.bias',
      'classifier.weight',
      'classifier.bias',
    ]);
    expect(names('vgg16-bn').slice(0, 4)).toEqual([
      'features.0.weight',
      'features.0.bias',
      'features.1.weight',
      'features.1.bias',
    ]);
    expect(names('resnet18')).toContain('layer2.0.shortcut.0.weight');
    expect(names('resnet18')).not.toContain('layer1.0.shortcut.0.weight');
    expect(names('mobilenetv2')).toContain('layers.16.conv3.weight');
    expect(names('squeezenet').slice(-2)).toEqual(['classifier.1.weight', 'classifier.1.bias']);
    for (const id of MODEL_IDS) {
      const all = names(id);
      expect(new Set(all).size, id).toBe(all.length);
    }
  });

  it('build for MNIST-sized, CIFAR-sized and other inputs, with logits [batch, classes]', () => {
    const sizes = [
      MNIST,
      CIFAR,
      { height: 40, width: 36, channels: 3 },
      { height: 64, width: 64, channels: 1 },
    ];
    for (const id of MODEL_IDS) {
      for (const input of sizes) {
        const net = buildNetwork(id, input, 7);
        expect(net.layers.at(-1)!.output, `${id} on ${input.height}×${input.width}`).toEqual([7]);
      }
    }
    // Same classifier on 28×28 as on 32×32 (METHODS.md): VGG drops its last max-pool there.
    const pools = (id: 'vgg16' | 'alexnet', input: typeof MNIST) =>
      buildNetwork(id, input, 10).layers.filter((l) => l.op.startsWith('MaxPool')).length;
    expect(pools('vgg16', CIFAR)).toBe(5);
    expect(pools('vgg16', MNIST)).toBe(4);
    expect(buildNetwork('vgg16', MNIST, 10).params.at(-2)!.shape).toEqual([512, 10]);
    expect(pools('alexnet', CIFAR)).toBe(3);
    expect(pools('alexnet', MNIST)).toBe(2);
    expect(buildNetwork('alexnet', MNIST, 10).params.at(-2)!.shape).toEqual([256, 10]);
    // SqueezeNet's ceil-mode pools: 13→6→3→1 on 32×32 and 11→5→2→1 on 28×28, then the average pool.
    const squeeze = (input: typeof MNIST) =>
      buildNetwork('squeezenet', input, 10)
        .layers.filter((l) => l.op.startsWith('MaxPool'))
        .map((l) => l.output[0]);
    expect(squeeze(CIFAR)).toEqual([6, 3, 1]);
    expect(squeeze(MNIST)).toEqual([5, 2, 1]);
  });

  it('say when an input is too small for an architecture', () => {
    expect(() => buildNetwork('lenet5', { height: 8, width: 8, channels: 1 }, 10)).toThrow(/at least 16×16/);
    expect(() => buildNetwork('squeezenet', { height: 4, width: 4, channels: 3 }, 10)).toThrow(
      /squeezenet: Conv2d 7×7\/2 leaves no output .* too small/,
    );
  });

  it('summarise their layers: output shapes and parameters that add up', () => {
    for (const id of MODEL_IDS) {
      const net = buildNetwork(id, CIFAR, 10);
      expect(
        net.layers.reduce((n, l) => n + l.params, 0),
        id,
      ).toBe(parameterCount(net));
    }
    const resnet = buildNetwork('resnet18', CIFAR, 10);
    expect(resnet.layers[0]).toEqual({
      name: 'conv1',
      op: 'Conv2d 3×3/1, pad 1, no bias',
      output: [32, 32, 64],
      params: 1728,
    });
    expect(resnet.layers.at(-2)).toEqual({ name: '', op: 'GlobalAvgPool', output: [512], params: 0 });
    const mobile = buildNetwork('mobilenetv2', CIFAR, 10);
    expect(mobile.layers.find((l) => l.name === 'layers.3.conv2')).toEqual({
      name: 'layers.3.conv2',
      op: 'DepthwiseConv2d 3×3/2, pad 1, no bias',
      output: [16, 16, 144],
      params: 9 * 144,
    });
    expect(buildNetwork('squeezenet', CIFAR, 10).hasDropout).toBe(true);
    expect(MODEL_IDS.filter((id) => buildNetwork(id, CIFAR, 10).hasDropout)).toEqual(['squeezenet']);
  });

  it('initialise batch-norm to scale 1 and shift 0 under both schemes, drawing nothing for it', () => {
    const net = buildNetwork('resnet18', { height: 8, width: 8, channels: 3 }, 10);
    for (const scheme of ['pytorch', 'glorot'] as const) {
      const values = initialValues(net.params, Rng.fromSeed(1), scheme);
      net.params.forEach((p, i) => {
        if (p.kind === 'gamma') expect(values[i]!.every((v) => v === 1)).toBe(true);
        if (p.kind === 'beta') expect(values[i]!.every((v) => v === 0)).toBe(true);
      });
    }
    // VGG16 and VGG16-bn draw the same convolution weights from the same seed.
    const plain = buildNetwork('vgg16', CIFAR, 10);
    const bn = buildNetwork('vgg16-bn', CIFAR, 10);
    const a = initialValues(plain.params, Rng.fromSeed(4), 'pytorch');
    const b = initialValues(bn.params, Rng.fromSeed(4), 'pytorch');
    const convs = (specs: typeof plain.params, v: Float32Array[]) =>
      v.filter((_, i) => specs[i]!.kind !== 'gamma' && specs[i]!.kind !== 'beta');
    expect(same(convs(bn.params, b), convs(plain.params, a))).toBe(true);
  });

  it('initialise SqueezeNet as torchvision does: Kaiming-uniform convs, N(0, 0.01²) last conv, zero biases', () => {
    const net = buildNetwork('squeezenet', CIFAR, 10);
    const values = initialValues(net.params, Rng.fromSeed(3), 'pytorch');
    net.params.forEach((p, i) => {
      const v = values[i]!;
      if (p.kind === 'bias') {
        expect(
          v.every((x) => x === 0),
          p.name,
        ).toBe(true);
      } else if (p.name === 'classifier.1.weight') {
        const std = Math.sqrt(v.reduce((s, x) => s + x * x, 0) / v.length);
        expect(std).toBeGreaterThan(0.009);
        expect(std).toBeLessThan(0.011);
      } else {
        const bound = Math.sqrt(6 / p.fanIn);
        expect(maxAbs(v), p.name).toBeLessThanOrEqual(bound);
        expect(maxAbs(v), p.name).toBeGreaterThan(0.9 * bound);
      }
    });
    // Glorot ignores torchvision's choices: zero biases, Glorot-uniform weights.
    const glorot = initialValues(net.params, Rng.fromSeed(3), 'glorot');
    const last = net.params.findIndex((p) => p.name === 'classifier.1.weight');
    const limit = Math.sqrt(6 / (net.params[last]!.fanIn + net.params[last]!.fanOut));
    expect(maxAbs(glorot[last]!)).toBeGreaterThan(0.9 * limit);
  });

  it('leak no tensors in training or inference mode', () => {
    const input = { height: 8, width: 8, channels: 3 };
    for (const id of ['resnet18', 'mobilenetv2', 'vgg11-bn', 'alexnet'] as const) {
      const net = buildNetwork(id, input, 10);
      const params = initialValues(net.params, Rng.fromSeed(1), 'pytorch').map((v, i) =>
        tf.tensor(v, net.params[i]!.shape),
      );
      const buffers = initialBuffers(net);
      const x = tf.randomNormal([4, 8, 8, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
      const before = tf.memory().numTensors;
      let updated: tf.Tensor[] = [];
      tf.tidy(() => {
        net.apply(params, x, true, { buffers, onRunningStats: (u) => (updated = u) });
        net.apply(params, x, false, { buffers });
      });
      expect(updated.length, id).toBe(net.buffers.length);
      tf.dispose(updated);
      expect(tf.memory().numTensors, id).toBe(before);
      tf.dispose([...params, ...buffers, x]);
    }
  });

  it('lists a description for every model id', () => {
    expect(Object.keys(MODELS).sort()).toEqual([...MODEL_IDS].sort());
    for (const id of MODEL_IDS) expect(MODELS[id].description.length, id).toBeGreaterThan(10);
  });
});

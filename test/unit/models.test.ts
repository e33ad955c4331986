import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../src/shared/rng';
import { buildNetwork, initialValues, parameterCount } from '../../src/main/trainer/models';
import { useCpu } from '../helpers/tiny-training';

beforeAll(useCpu);

describe('networks', () => {
  it('have the parameter counts of the published definitions', () => {
    const mnist = { height: 28, width: 28, channels: 1 };
    expect(parameterCount(buildNetwork('mlp', mnist, 10))).toBe(784 * 128 + 128 + 128 * 10 + 10);
    expect(parameterCount(buildNetwork('lenet5', mnist, 10))).toBe(44_426);
    expect(parameterCount(buildNetwork('lenet5', { height: 32, width: 32, channels: 1 }, 10))).toBe(61_706);
    expect(parameterCount(buildNetwork('convnet', mnist, 10))).toBe(3_199_106);
  });

  it('produce logits of shape [batch, classes]', () => {
    for (const id of ['mlp', 'lenet5', 'convnet'] as const) {
      const net = buildNetwork(id, { height: 28, width: 28, channels: 1 }, 10);
      const params = initialValues(net.params, Rng.fromSeed(1), 'pytorch').map((v, i) =>
        tf.tensor(v, net.params[i]!.shape),
      );
      const out = net.apply(params, tf.zeros([3, 28, 28, 1]) as tf.Tensor4D, false);
      expect(out.shape).toEqual([3, 10]);
      tf.dispose([out, ...params]);
    }
  });

  it('refuse inputs too small for their pooling', () => {
    expect(() => buildNetwork('lenet5', { height: 8, width: 8, channels: 1 }, 10)).toThrow(/at least 16×16/);
  });

  it('initialise like PyTorch: U(±1/√fan_in) for weights and biases', () => {
    const net = buildNetwork('lenet5', { height: 28, width: 28, channels: 1 }, 10);
    const values = initialValues(net.params, Rng.fromSeed(2), 'pytorch');
    net.params.forEach((p, i) => {
      const bound = 1 / Math.sqrt(p.fanIn);
      const v = values[i]!;
      expect(Math.max(...v)).toBeLessThanOrEqual(bound);
      expect(Math.min(...v)).toBeGreaterThanOrEqual(-bound);
      if (v.length > 100) expect(Math.max(...v)).toBeGreaterThan(0.9 * bound);
    });
    const glorot = initialValues(net.params, Rng.fromSeed(2), 'glorot');
    expect(glorot[1]!.every((b) => b === 0)).toBe(true); // conv1 bias
  });
});

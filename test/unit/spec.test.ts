import { describe, expect, it } from 'vitest';
import { formatPath, methodLabel, validateSpec } from '../../src/shared/spec';

const base = { name: 'x', dataset: { id: 'mnist' }, models: ['lenet5'], methods: [{ id: 'sgd' }] };
const ctx = { datasets: ['mnist', 'fashion-mnist'] };

describe('experiment spec', () => {
  it('fills every parameter with the thesis defaults', () => {
    const r = validateSpec(
      { ...base, methods: [{ id: 'ssa' }, { id: 'sgd-sa' }, { id: 'restart' }, { id: 'scheduled-sgd' }] },
      ctx,
    );
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    expect(r.spec.methods[0]).toMatchObject({
      epsilon: 0.01,
      temperature: 1,
      cooling: 0.97,
      acceptedBound: 0.6,
      objective: 'loss',
      lossScale: 'thesis',
    });
    expect(r.spec.methods[1]).toMatchObject({
      lrSet: 'H2',
      temperature: 1,
      cooling: 0.93,
      lossScale: 'thesis',
    });
    expect(r.spec.methods[2]).toMatchObject({
      lr: 0.001,
      momentum: 0.9,
      checkEvery: 'epoch',
      lossScale: 'thesis',
    });
    expect(r.spec.methods[3]).not.toHaveProperty('lossScale');
    expect(r.spec.methods[3]).toMatchObject({ lr: 0.1, milestones: [30, 70], gamma: 0.1 });
    expect(r.spec).toMatchObject({
      batchSize: 512,
      estimateBatches: 10,
      seeds: [1],
      init: 'pytorch',
      backend: 'auto',
    });
  });

  it('lists every problem by its path in the file', () => {
    const r = validateSpec(
      {
        ...base,
        dataset: { id: 'cifar10' },
        models: ['lenet5', 'resnet1000'],
        methods: [{ id: 'sgd', lr: -0.1 }, { id: 'adam' }, { id: 'ssa', epsilonn: 1 }],
        epochs: 0,
      },
      ctx,
    );
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const byPath = Object.fromEntries(r.problems.map((p) => [p.path, p.message]));
    expect(byPath).toEqual({
      'dataset.id': 'unknown dataset "cifar10"; available: mnist, fashion-mnist',
      epochs: 'must be >= 1',
      'methods[0].lr': 'must be > 0',
      'methods[1].id': 'unknown method "adam"; expected one of sgd, scheduled-sgd, restart, ssa, sgd-sa',
      'methods[2]': 'unknown field "epsilonn"',
      'models[1]':
        'unknown model "resnet1000"; expected one of mlp, lenet5, convnet, alexnet, vgg11, vgg11-bn, ' +
        'vgg16, vgg16-bn, vgg19, vgg19-bn, resnet18, resnet34, mobilenetv2, squeezenet',
    });
  });

  it('rejects milestones out of order and bad learning-rate sets', () => {
    const r = validateSpec(
      {
        ...base,
        methods: [
          { id: 'scheduled-sgd', milestones: [70, 30] },
          { id: 'sgd-sa', lrSet: [] },
        ],
      },
      ctx,
    );
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems.map((p) => p.path)).toEqual(['methods[1].lrSet']);
    const r2 = validateSpec({ ...base, methods: [{ id: 'scheduled-sgd', milestones: [70, 30] }] }, ctx);
    expect(!r2.ok && r2.problems).toEqual([
      { path: 'methods[0].milestones', message: 'must be strictly increasing' },
    ]);
  });

  it('takes lossScale "thesis" or "mean" for SSA, SGD-SA and restart only, and names "mean" in labels', () => {
    const bad = validateSpec(
      {
        ...base,
        methods: [
          { id: 'ssa', lossScale: 'median' },
          { id: 'sgd', lossScale: 'mean' },
        ],
      },
      ctx,
    );
    expect(!bad.ok && bad.problems).toEqual([
      {
        path: 'methods[0].lossScale',
        message: 'must be "thesis" (mean CE / minibatch size, as the published code) or "mean"',
      },
      { path: 'methods[1]', message: 'unknown field "lossScale"' },
    ]);
    const r = validateSpec(
      {
        ...base,
        methods: [
          { id: 'ssa', lossScale: 'mean' },
          { id: 'ssa', lossScale: 'thesis' },
          { id: 'sgd-sa', lossScale: 'mean' },
          { id: 'restart', restartEpsilon: 1e-4, lossScale: 'mean' },
        ],
      },
      ctx,
    );
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    expect(r.spec.methods.map(methodLabel)).toEqual([
      'SSA (ε = 0.01, T = 1, α = 0.97, mean-CE scale)',
      'SSA (ε = 0.01, T = 1, α = 0.97)',
      'SGD-SA (H2, mean-CE scale)',
      'SGD with restarts (η = 0.001, β = 0.9, ε = 0.0001, mean-CE scale)',
    ]);
  });

  it('formats paths and labels', () => {
    expect(formatPath(['methods', 2, 'lr'])).toBe('methods[2].lr');
    expect(formatPath([])).toBe('(spec)');
    const r = validateSpec(
      {
        ...base,
        methods: [
          { id: 'sgd', lr: 0.001, momentum: 0.9 },
          { id: 'sgd-sa', lrSet: 'H1' },
          { id: 'sgd', label: 'Mine' },
        ],
      },
      ctx,
    );
    if (!r.ok) throw new Error('invalid');
    expect(r.spec.methods.map(methodLabel)).toEqual([
      'SGD with momentum (η = 0.001, β = 0.9)',
      'SGD-SA (H1)',
      'Mine',
    ]);
  });
});

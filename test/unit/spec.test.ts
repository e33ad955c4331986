import { describe, expect, it } from 'vitest';
import {
  formatPath,
  MAX_EPOCHS,
  MAX_RUNS_PER_SPEC,
  MAX_TEXT_LENGTH,
  methodLabel,
  parseSpecText,
  validateSpec,
  type SpecContext,
} from '../../src/shared/spec';

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
        methods: [{ id: 'sgd', lr: -0.1 }, { id: 'lion' }, { id: 'ssa', epsilonn: 1 }],
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
      'methods[1].id':
        'unknown method "lion"; expected one of sgd, scheduled-sgd, restart, ssa, sgd-sa, adam, adamw, rmsprop, adagrad',
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

describe('sweeps', () => {
  const sweepSpec = (methods: unknown[]) => validateSpec({ ...base, methods }, ctx);

  it('a 2 × 2 sweep makes 4 methods in place, the last parameter varying fastest, labelled by their values', () => {
    const r = sweepSpec([
      { id: 'ssa' },
      { id: 'sgd', sweep: { lr: [0.1, 0.05], momentum: [0, 0.9] } },
      { id: 'sgd', label: 'Mine', nesterov: true, sweep: { lr: [0.1, 0.05], momentum: [0.5, 0.9] } },
    ]);
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    expect(r.spec.methods).toHaveLength(9);
    expect(
      r.spec.methods.slice(1, 5).map((m) => [m.id, 'lr' in m && m.lr, 'momentum' in m && m.momentum]),
    ).toEqual([
      ['sgd', 0.1, 0],
      ['sgd', 0.1, 0.9],
      ['sgd', 0.05, 0],
      ['sgd', 0.05, 0.9],
    ]);
    expect(r.spec.methods.map(methodLabel)).toEqual([
      'SSA (ε = 0.01, T = 1, α = 0.97)',
      'SGD (η = 0.1)',
      'SGD with momentum (η = 0.1, β = 0.9)',
      'SGD (η = 0.05)',
      'SGD with momentum (η = 0.05, β = 0.9)',
      'Mine (lr = 0.1, momentum = 0.5)',
      'Mine (lr = 0.1, momentum = 0.9)',
      'Mine (lr = 0.05, momentum = 0.5)',
      'Mine (lr = 0.05, momentum = 0.9)',
    ]);
    // The stored spec is plain methods: validating it again changes nothing.
    const again = validateSpec(r.spec, ctx);
    expect(again.ok && again.spec).toEqual(r.spec);
    expect(r.spec.methods.every((m) => !('sweep' in m))).toBe(true);
    expect(r.spec.methods[5]).toMatchObject({ nesterov: true, label: 'Mine (lr = 0.1, momentum = 0.5)' });
  });

  it('adds the swept values to the label where the default labels would not tell the methods apart', () => {
    const r = sweepSpec([
      { id: 'adam', sweep: { eps: [1e-8, 1e-6], weightDecay: [0] } },
      { id: 'sgd', sweep: { weightDecay: [0, 0.001] } },
    ]);
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    expect(r.spec.methods.map(methodLabel)).toEqual([
      'Adam (η = 0.001)',
      'Adam (η = 0.001, ε = 0.000001)',
      'SGD (η = 0.1; weightDecay = 0)',
      'SGD (η = 0.1; weightDecay = 0.001)',
    ]);
  });

  it('validates every value by its path, and names unknown, empty, duplicated and oversized sweeps', () => {
    const r = sweepSpec([
      { id: 'sgd', momentum: 2, sweep: { lr: [0.1, 0.05, -1], nesterov: ['yes'] } },
      {
        id: 'adam',
        sweep: { lr: [], momentun: [0.9], betas: [[0.9, 1.5]], schedule: [{ kind: 'cosine', etaMin: -1 }] },
      },
      { id: 'sgd', lr: 0.1, sweep: { lr: [0.2], label: ['x'] } },
      { id: 'rmsprop', sweep: 'lr' },
      { id: 'sgd-sa', sweep: {} },
      {
        id: 'sgd',
        sweep: {
          lr: Array.from({ length: 20 }, (_, i) => i + 1),
          momentum: Array.from({ length: 20 }, (_, i) => i / 20),
        },
      },
      {
        id: 'scheduled-sgd',
        sweep: {
          milestones: [
            [30, 70],
            [70, 30],
          ],
        },
      },
    ]);
    expect(r.ok).toBe(false);
    const byPath = Object.fromEntries((r.ok ? [] : r.problems).map((p) => [p.path, p.message]));
    expect(byPath).toEqual({
      'methods[0].momentum': 'must be in [0, 1)',
      'methods[0].sweep.lr[2]': 'must be > 0',
      'methods[0].sweep.nesterov[0]': 'must be true or false',
      'methods[1].sweep.lr': 'must list at least one value',
      'methods[1].sweep.momentun':
        'unknown parameter "momentun" of adam; expected one of earlyStopping, lr, betas, eps, weightDecay, amsgrad, schedule, snapshotEnsemble',
      'methods[1].sweep.betas[0][1]': 'must be in [0, 1)',
      'methods[1].sweep.schedule[0].etaMin': 'must be >= 0',
      'methods[2].sweep.lr': 'is also given as "lr"; give it in one place',
      'methods[2].sweep.label': '"label" cannot be swept',
      'methods[3].sweep': 'must be an object of parameter → list of values',
      'methods[4].sweep': 'must name at least one parameter',
      'methods[5].sweep': 'makes 400 methods; at most 256',
    });
    // A value valid alone but not with the rest of the method: by the value's path, once the rest is valid.
    const r2 = sweepSpec([
      {
        id: 'scheduled-sgd',
        sweep: {
          milestones: [
            [30, 70],
            [70, 30],
          ],
        },
      },
    ]);
    expect(!r2.ok && r2.problems).toEqual([
      { path: 'methods[0].sweep.milestones[1]', message: 'must be strictly increasing' },
    ]);
    const r3 = sweepSpec([
      { id: 'sgd', schedule: { kind: 'cosine', etaMin: 0.01 }, sweep: { lr: [0.1, 0.01] } },
    ]);
    expect(!r3.ok && r3.problems).toEqual([
      { path: 'methods[0].schedule.etaMin', message: 'must be below lr (η_max = 0.01) (with lr = 0.01)' },
    ]);
  });
});

describe('bounds on what a spec may ask for', () => {
  const problems = (input: unknown, context: SpecContext = ctx) => {
    const r = validateSpec(input, context);
    return r.ok ? {} : Object.fromEntries(r.problems.map((p) => [p.path, p.message]));
  };
  const seeds = (n: number) => Array.from({ length: n }, (_, i) => i);

  it('refuses a repeated seed, which would inflate n and the tests', () => {
    expect(problems({ ...base, seeds: [1, 2, 1, 2, 3] })).toEqual({
      'seeds[2]': 'duplicates seeds[0] (1): a repeated seed repeats the same run; list each seed once',
      'seeds[3]': 'duplicates seeds[1] (2): a repeated seed repeats the same run; list each seed once',
    });
    expect(validateSpec({ ...base, seeds: [1, 2, 3] }, ctx).ok).toBe(true);
  });

  it('says what a seed must be', () => {
    expect(problems({ ...base, seeds: [-1, 0.5, 2], dataset: { id: 'mnist', seed: -3 } })).toEqual({
      'dataset.seed': 'must be a whole number ≥ 0',
      'seeds[0]': 'must be a whole number ≥ 0',
      'seeds[1]': 'must be a whole number ≥ 0',
    });
  });

  it('counts runs after the sweeps expand and refuses more than 1,000 unless allowed', () => {
    expect(validateSpec({ ...base, seeds: seeds(MAX_RUNS_PER_SPEC) }, ctx).ok).toBe(true);
    // 2 models × 4 swept methods × 126 seeds = 1,008: each factor alone is small.
    const big = {
      ...base,
      models: ['mlp', 'lenet5'],
      methods: [{ id: 'sgd', sweep: { lr: [0.1, 0.05], momentum: [0, 0.9] } }],
      seeds: seeds(126),
    };
    expect(problems(big)).toEqual({
      '(spec)':
        '1,008 runs (2 models × 4 methods after sweeps × 126 seeds) exceed the limit of 1,000 per spec; ' +
        'split the spec, or pass --allow-large to `annealab run` if you mean it',
    });
    expect(validateSpec(big, { ...ctx, allowLarge: true }).ok).toBe(true);
    expect(Object.keys(problems({ ...base, seeds: seeds(100_000) }))).toEqual(['(spec)']);
  });

  it('refuses more than 100,000 epochs and names or labels longer than 200 characters', () => {
    expect(
      problems({
        ...base,
        name: 'n'.repeat(MAX_TEXT_LENGTH + 1),
        methods: [{ id: 'sgd', label: 'l'.repeat(10_000_000) }],
        epochs: 1e12,
      }),
    ).toEqual({
      epochs: 'must be at most 100,000',
      name: 'must be at most 200 characters; shorten the name',
      'methods[0].label': 'must be at most 200 characters; shorten the label',
    });
    expect(
      validateSpec(
        {
          ...base,
          name: 'n'.repeat(MAX_TEXT_LENGTH),
          methods: [{ id: 'sgd', label: 'l'.repeat(MAX_TEXT_LENGTH) }],
          epochs: MAX_EPOCHS,
        },
        ctx,
      ).ok,
    ).toBe(true);
  });

  it('refuses a batch larger than the training set: the subset, else the whole split when known', () => {
    const counts = { ...ctx, trainCounts: { mnist: 8000 } };
    expect(problems({ ...base, dataset: { id: 'mnist', trainSize: 100 }, batchSize: 101 })).toEqual({
      batchSize: "must be at most the training set's 100 examples (dataset.trainSize)",
    });
    expect(validateSpec({ ...base, dataset: { id: 'mnist', trainSize: 100 }, batchSize: 100 }, ctx).ok).toBe(
      true,
    );
    expect(problems({ ...base, batchSize: 1e9 }, counts)).toEqual({
      batchSize: 'must be at most the training set\'s 8,000 examples (the training split of "mnist")',
    });
    expect(problems({ ...base, dataset: { id: 'mnist', trainSize: 9000 } }, counts)).toEqual({
      'dataset.trainSize': 'must be at most 8,000, the training examples of "mnist"',
    });
    // Without the counts (the UI's builder) only a given trainSize can be checked.
    expect(validateSpec({ ...base, batchSize: 1e9 }, ctx).ok).toBe(true);
    expect(validateSpec({ ...base, batchSize: 8000 }, counts).ok).toBe(true);
  });

  it('says "required" of a field that is missing', () => {
    const { name: _name, ...noName } = base;
    expect(problems(noName)).toEqual({ name: 'required' });
    expect(problems({ ...base, name: 3 })).toEqual({ name: 'must be a string' });
  });
});

describe('parseSpecText', () => {
  it('accepts a byte-order mark', () => {
    expect(parseSpecText('\uFEFF{"name": "x"}')).toEqual({ ok: true, value: { name: 'x' } });
  });

  it('gives the line and column of a syntax error', () => {
    expect(parseSpecText('{\n  "name": "x",\n  "epochs": 3\n  "seeds": [1]\n}')).toEqual({
      ok: false,
      line: 4,
      column: 3,
      message: "line 4, column 3: Expected ',' or '}' after property value",
    });
    // Counted in the text as the user sees it, after the BOM.
    expect(parseSpecText('\uFEFF{\r\n  "a": 1,\r\n}')).toMatchObject({ ok: false, line: 3, column: 1 });
    expect(parseSpecText('{\n  "a": ')).toEqual({
      ok: false,
      line: 2,
      column: 8,
      message: 'line 2, column 8: the text ends before the JSON does',
    });
  });
});

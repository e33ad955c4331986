// The experiment builder: the draft made from the thesis's defaults, the spec it stands for,
// validation messages by path as the user types, presets, JSON round trips, and submitting.
import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it } from 'vitest';
import { ContractError, type Bridge } from '../../src/shared/contract';
import { validateSpec } from '../../src/shared/spec';
import { setBridge } from '../../src/renderer/api';
import {
  draftToSpec,
  emptyDraft,
  methodDraft,
  methodFieldPath,
  parseList,
  parseNumber,
  pathMatches,
  PRESETS,
  specToDraft,
} from '../../src/renderer/builder/draft';
import { useBuilderStore } from '../../src/renderer/stores/builder';

function fakeBridge(
  handlers: Record<string, (input: any) => unknown>,
): Bridge & { calls: [string, unknown][] } {
  const calls: [string, unknown][] = [];
  return {
    calls,
    invoke: (async (name: string, input: unknown) => {
      calls.push([name, input]);
      const h = handlers[name];
      if (!h) throw new Error(`no fake for ${name}`);
      return h(input);
    }) as Bridge['invoke'],
    on: () => () => {},
  };
}

describe('the builder draft', () => {
  it('prefills every method with the thesis defaults', () => {
    expect(methodDraft('sgd').values).toEqual({
      lr: '0.1',
      momentum: '0',
      nesterov: false,
      weightDecay: '0',
      schedule: '',
      earlyStopping: '',
      sweep: '',
    });
    expect(methodDraft('restart').values).toMatchObject({
      lr: '0.001',
      momentum: '0.9',
      restartEpsilon: '0.0001',
    });
    expect(methodDraft('ssa').values).toMatchObject({
      epsilon: '0.01',
      temperature: '1',
      cooling: '0.97',
      acceptedBound: '0.6',
      objective: 'loss',
    });
    expect(methodDraft('sgd-sa').values).toMatchObject({ lrSet: 'H2', temperature: '1', cooling: '0.93' });
    expect(methodDraft('scheduled-sgd').values).toMatchObject({ milestones: '30, 70', gamma: '0.1' });
  });

  it('makes a valid spec from the default draft, with numbers parsed', () => {
    const spec = draftToSpec(emptyDraft());
    const result = validateSpec(spec, { datasets: ['mnist', 'fashion-mnist'] });
    expect(result.ok).toBe(true);
    expect(spec).toMatchObject({
      dataset: { id: 'mnist', trainSize: 2000, testSize: 500, seed: 0 },
      seeds: [1, 2],
      epochs: 5,
      batchSize: 64,
      methods: [
        { id: 'sgd', lr: 0.1, momentum: 0, nesterov: false, weightDecay: 0 },
        { id: 'ssa', epsilon: 0.01 },
      ],
    });
  });

  it('keeps what is not a number as typed so the validator names it', () => {
    expect(parseNumber('')).toBeUndefined();
    expect(parseNumber(' 1e-4 ')).toBe(1e-4);
    expect(parseNumber('.5')).toBe(0.5);
    expect(parseNumber('0.1.2')).toBe('0.1.2');
    expect(parseList('1, 2 3;4')).toEqual([1, 2, 3, 4]);
    expect(parseList('1, x')).toEqual([1, 'x']);
    const d = emptyDraft();
    d.methods[0]!.values.lr = 'fast';
    d.seeds = '1, two';
    d.dataset.trainSize = '';
    const spec = draftToSpec(d);
    expect(spec.dataset).not.toHaveProperty('trainSize');
    const result = validateSpec(spec, { datasets: ['mnist'] });
    expect(result.ok).toBe(false);
    const problems = result.ok ? [] : result.problems;
    expect(problems).toContainEqual({ path: 'methods[0].lr', message: 'must be a number' });
    expect(problems.some((p) => p.path === 'seeds[1]')).toBe(true);
  });

  it('maps problems to fields by path', () => {
    expect(pathMatches('methods[0].lr', 'methods[0].lr')).toBe(true);
    expect(pathMatches('seeds[1]', 'seeds')).toBe(true);
    expect(pathMatches('dataset.id', 'dataset')).toBe(true);
    expect(pathMatches('methods[10].lr', 'methods[1]')).toBe(false);
    expect(methodFieldPath(2, 'lrCustom')).toBe('methods[2].lrSet');
  });

  it('writes a custom SGD-SA rate set and the checkEvery choice', () => {
    const m = methodDraft('sgd-sa');
    m.values.lrSet = 'custom';
    m.values.lrCustom = '0.5, 0.05';
    const r = methodDraft('restart');
    r.values.checkEvery = '100';
    const d = emptyDraft();
    d.methods = [m, r];
    const spec = draftToSpec(d);
    expect(spec.methods).toEqual([
      expect.objectContaining({ id: 'sgd-sa', lrSet: [0.5, 0.05] }),
      expect.objectContaining({ id: 'restart', checkEvery: 100 }),
    ]);
    expect(validateSpec(spec, { datasets: ['mnist'] }).ok).toBe(true);
  });

  it("prefills the adaptive methods with PyTorch's defaults and writes schedules and sweeps as JSON", () => {
    expect(methodDraft('adam').values).toEqual({
      lr: '0.001',
      betas: '0.9, 0.999',
      eps: '1e-8',
      weightDecay: '0',
      amsgrad: false,
      schedule: '',
      earlyStopping: '',
      sweep: '',
    });
    expect(methodDraft('adamw').values).toMatchObject({ weightDecay: '0.01' });
    expect(methodDraft('rmsprop').values).toMatchObject({ lr: '0.01', alpha: '0.99', centered: false });
    expect(methodDraft('adagrad').values).toMatchObject({ eps: '1e-10', initialAccumulatorValue: '0' });
    const sgd = methodDraft('sgd');
    sgd.values.schedule = '{"kind": "sgdr", "t0": 5}';
    sgd.values.sweep = '{"lr": [0.1, 0.05], "momentum": [0, 0.9]}';
    const adam = methodDraft('adam');
    adam.values.betas = '0.8, 0.99';
    adam.values.earlyStopping = '{"patience": 2}';
    const d = emptyDraft();
    d.methods = [sgd, adam];
    const spec = draftToSpec(d);
    expect(spec.methods).toEqual([
      expect.objectContaining({
        id: 'sgd',
        schedule: { kind: 'sgdr', t0: 5 },
        sweep: { lr: [0.1, 0.05], momentum: [0, 0.9] },
      }),
      expect.not.objectContaining({ schedule: expect.anything() }),
    ]);
    expect((spec.methods as Record<string, unknown>[])[1]).toMatchObject({
      id: 'adam',
      betas: [0.8, 0.99],
      earlyStopping: { patience: 2 },
    });
    const r = validateSpec(spec, { datasets: ['mnist'] });
    expect(r.ok && r.spec.methods.map((m) => m.id)).toEqual(['sgd', 'sgd', 'sgd', 'sgd', 'adam']);
    // A file's nested options come back into the form as JSON.
    expect(specToDraft({ ...spec }).methods[0]!.values).toMatchObject({
      schedule: '{"kind":"sgdr","t0":5}',
      sweep: '{"lr":[0.1,0.05],"momentum":[0,0.9]}',
    });
    // Text that is not JSON reaches the validator as text, which names the field.
    sgd.values.sweep = '{lr: [0.1]}';
    const bad = validateSpec(draftToSpec(d), { datasets: ['mnist'] });
    expect(!bad.ok && bad.problems).toEqual([
      { path: 'methods[0].sweep', message: 'must be an object of parameter → list of values' },
    ]);
    expect(methodFieldPath(0, 'sweep')).toBe('methods[0].sweep');
  });

  it('round-trips a spec file through the draft', () => {
    const file = {
      name: 'lenet-mnist',
      dataset: { id: 'fashion-mnist', trainSize: 2000, testSize: 500 },
      models: ['lenet5', 'mlp'],
      methods: [
        { id: 'sgd', label: 'SGD momentum', lr: 0.001, momentum: 0.9 },
        { id: 'sgd-sa', lrSet: [0.3, 0.1], temperature: 2, cooling: 0.9 },
      ],
      seeds: [1, 2, 3],
      epochs: 7,
      batchSize: 128,
      backend: 'wasm',
    };
    const spec = draftToSpec(specToDraft(file));
    expect(spec).toMatchObject(file);
    expect(validateSpec(spec, { datasets: ['mnist', 'fashion-mnist'] }).ok).toBe(true);
    expect(() => specToDraft([1, 2])).toThrow(/JSON object/);
  });

  it('has presets for the thesis chapters 2, 3 and 4, each valid', () => {
    expect(PRESETS.map((p) => p.id)).toEqual(['chapter-2', 'chapter-3', 'chapter-4']);
    for (const p of PRESETS) {
      const d = emptyDraft();
      d.methods = p.methods();
      Object.assign(d, p.settings ?? {});
      expect(validateSpec(draftToSpec(d), { datasets: ['mnist'] }).ok, p.id).toBe(true);
    }
    const ch4 = PRESETS[2]!.methods().map((m) => m.id);
    expect(ch4).toEqual(['sgd', 'scheduled-sgd', 'sgd', 'sgd-sa']);
  });
});

describe('the builder store', () => {
  beforeEach(() => setActivePinia(createPinia()));

  it('counts the runs of a sweep as the methods it makes', () => {
    const b = useBuilderStore();
    expect(b.runCount).toBe(2 * 1 * 2);
    b.draft.methods[0]!.values.sweep = '{"lr": [0.1, 0.05, 0.01]}';
    expect(b.runCount).toBe((3 + 1) * 1 * 2);
  });

  it('validates as the draft changes and counts the runs', () => {
    const b = useBuilderStore();
    expect(b.valid).toBe(true);
    expect(b.runCount).toBe(2 * 1 * 2);
    b.draft.methods[0]!.values.lr = '-1';
    expect(b.valid).toBe(false);
    expect(b.problemsAt('methods[0].lr')).toEqual([{ path: 'methods[0].lr', message: 'must be > 0' }]);
    b.draft.methods[0]!.values.lr = '0.05';
    expect(b.valid).toBe(true);
    b.draft.dataset.id = 'cifar10';
    expect(b.problemsAt('dataset.id')[0]!.message).toContain('unknown dataset "cifar10"');
    b.datasets = ['mnist', 'fashion-mnist', 'cifar10'];
    expect(b.valid).toBe(true);
    b.toggleModel('mlp', true);
    expect(b.runCount).toBe(2 * 2 * 2);
    b.toggleModel('lenet5', false);
    b.toggleModel('mlp', false);
    expect(b.problemsAt('models')[0]!.message).toBe('must name at least one model');
  });

  it('adds, moves, removes and resets methods, and applies presets', () => {
    const b = useBuilderStore();
    b.addMethod('restart');
    expect(b.draft.methods.map((m) => m.id)).toEqual(['sgd', 'ssa', 'restart']);
    const restart = b.draft.methods[2]!;
    b.moveMethod(restart.key, -1);
    expect(b.draft.methods.map((m) => m.id)).toEqual(['sgd', 'restart', 'ssa']);
    restart.values.lr = '5';
    b.resetMethod(restart.key);
    expect(b.draft.methods[1]!.values.lr).toBe('0.001');
    b.removeMethod(b.draft.methods[0]!.key);
    expect(b.draft.methods.map((m) => m.id)).toEqual(['restart', 'ssa']);
    b.applyPreset('chapter-4');
    expect(b.draft.methods.map((m) => m.id)).toEqual(['sgd', 'scheduled-sgd', 'sgd', 'sgd-sa']);
    expect(b.draft.batchSize).toBe('512');
    expect(() => b.applyPreset('chapter-9')).toThrow();
  });

  it('loads JSON and refuses what is not JSON', () => {
    const b = useBuilderStore();
    b.loadJson(
      JSON.stringify({ name: 'x', dataset: { id: 'mnist' }, models: ['mlp'], methods: [{ id: 'ssa' }] }),
    );
    expect(b.draft.name).toBe('x');
    expect(b.draft.methods.map((m) => m.id)).toEqual(['ssa']);
    expect(JSON.parse(b.specJson)).toMatchObject({ name: 'x', models: ['mlp'], methods: [{ id: 'ssa' }] });
    expect(() => b.loadJson('{ nope')).toThrow(/not valid JSON/);
    // Windows editors write a BOM; a syntax error says where it is.
    b.loadJson(
      `\uFEFF${JSON.stringify({ name: 'bom', dataset: { id: 'mnist' }, models: ['mlp'], methods: [] })}`,
    );
    expect(b.draft.name).toBe('bom');
    expect(() => b.loadJson('{\n  "name": "x",\n}')).toThrow(/not valid JSON: line 3, column 1: /);
  });

  it('submits through the experiments client and shows the problems the host finds', async () => {
    const b = useBuilderStore();
    const bridge = fakeBridge({
      'experiments.submit': () => ({ experimentId: 'e1', runIds: ['r1', 'r2', 'r3', 'r4'] }),
    });
    setBridge(bridge);
    await expect(b.submit()).resolves.toEqual({ experimentId: 'e1', runIds: ['r1', 'r2', 'r3', 'r4'] });
    expect(bridge.calls[0]![0]).toBe('experiments.submit');
    expect((bridge.calls[0]![1] as { spec: unknown }).spec).toEqual(b.spec);

    setBridge(
      fakeBridge({
        'experiments.submit': () => {
          throw new ContractError('invalid', 'bad-input', [
            { path: 'dataset.id', message: 'unknown dataset "mnist"' },
          ]);
        },
      }),
    );
    await expect(b.submit()).resolves.toBeNull();
    expect(b.problemsAt('dataset.id')).toEqual([{ path: 'dataset.id', message: 'unknown dataset "mnist"' }]);
    expect(b.valid).toBe(false);
    // An invalid draft is never sent.
    const spy = fakeBridge({});
    setBridge(spy);
    await expect(b.submit()).resolves.toBeNull();
    expect(spy.calls).toEqual([]);
    setBridge(null);
  });
});

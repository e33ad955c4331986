// Every spec in examples/ is valid as shipped: the CLI would refuse it before anything ran.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUILTIN_TRAIN_COUNTS } from '../../src/main/datasets';
import { BUILTIN_DATASET_IDS } from '../../src/shared/ids';
import { methodLabel, validateSpec } from '../../src/shared/spec';

const dir = join(__dirname, '../../examples');
const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
const load = (file: string) =>
  validateSpec(JSON.parse(readFileSync(join(dir, file), 'utf8')), {
    datasets: BUILTIN_DATASET_IDS,
    trainCounts: BUILTIN_TRAIN_COUNTS,
  });

describe('examples/*.json', () => {
  it('holds the specs', () => {
    expect(files).toContain('ch2-sgdr-adam-fashion-mnist-lenet5.json');
  });

  for (const file of files) {
    it(`${file} is a valid spec`, () => {
      const r = load(file);
      expect(r.ok ? [] : r.problems).toEqual([]);
    });
  }

  it('ch2-sgdr-adam: SGD-SA (H2), Adam and SGDR on SGD, LeNet-5 on 10,000 / 2,000 Fashion-MNIST images', () => {
    const r = load('ch2-sgdr-adam-fashion-mnist-lenet5.json');
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    expect(r.spec).toMatchObject({
      dataset: { id: 'fashion-mnist', trainSize: 10000, testSize: 2000 },
      models: ['lenet5'],
      seeds: [1, 2, 3],
      epochs: 30,
      batchSize: 64,
    });
    expect(r.spec.methods.map(methodLabel)).toEqual([
      'SGD-SA (H2)',
      'Adam (η = 0.001)',
      'SGD with momentum (η = 0.05, β = 0.9, SGDR T₀ = 10, T_mult = 2)',
    ]);
    // Two whole SGDR cycles in 30 epochs: 1–10 and 11–30.
    expect(r.spec.methods[2]).toMatchObject({ schedule: { kind: 'sgdr', t0: 10, tMult: 2 } });
  });
});

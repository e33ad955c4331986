// The training-loss estimate's error against the number of minibatches (thesis Table 2.1), on a
// real network and real data tensors, with a seeded sampler.
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseBatchList } from '../../src/main/services/analysis';
import { estimateErrorTable } from '../../src/main/trainer/analysis/estimate-error';
import { buildNetwork, initialValues } from '../../src/main/trainer/models';
import { Rng } from '../../src/shared/rng';
import { syntheticData, useCpu } from '../helpers/tiny-training';

beforeAll(useCpu);

function table(batches: number[], seed = 1) {
  const data = syntheticData(256, 32);
  const net = buildNetwork('mlp', data.input, data.numClasses);
  const params = initialValues(net.params, Rng.fromSeed(4, 'init'), 'pytorch').map((v, i) =>
    tf.tensor(v, net.params[i]!.shape),
  );
  const t = estimateErrorTable(net, params, data.train, {
    batchSize: 32,
    batches,
    trials: 40,
    rng: Rng.fromSeed(seed, 'estimate-error'),
  });
  tf.dispose(params);
  return t;
}

describe('estimateErrorTable', () => {
  it('shrinks the error as the sample grows, to float noise once it covers the whole split', () => {
    const t = table([1, 2, 4, 8]);
    expect(t.trainCount).toBe(256);
    expect(t.rows.map((r) => r.examples)).toEqual([32, 64, 128, 256]);
    const [one, two, four, all] = t.rows.map((r) => r.rmse) as [number, number, number, number];
    expect(one).toBeGreaterThan(two);
    expect(two).toBeGreaterThan(four);
    // Eight minibatches of 32 are the whole 256: the same examples, summed in another order.
    expect(all).toBeLessThan(1e-5);
    for (const r of t.rows) {
      // Thesis scale ≈ mean CE / batch size for full minibatches.
      expect(r.rmseThesis).toBeCloseTo(r.rmse / 32, 6);
      // Sampling without replacement is unbiased: the mean error is well inside the spread.
      expect(Math.abs(r.bias)).toBeLessThan(r.rmse + 1e-6);
    }
  });

  it('gives the same table for the same seed and another for another', () => {
    expect(table([1, 3])).toEqual(table([1, 3]));
    expect(table([1, 3], 2).rows[0]!.rmse).not.toBe(table([1, 3]).rows[0]!.rmse);
  });
});

describe('--batches', () => {
  it('takes ranges and lists, sorted and without repeats', () => {
    expect(parseBatchList('1..10')).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(parseBatchList('5, 1..3,2')).toEqual([1, 2, 3, 5]);
  });

  it('refuses what is not a whole number from 1 to 1000, saying what to give', () => {
    for (const bad of ['0', '1..0', 'x', '1..2000', '', '1.5']) {
      expect(() => parseBatchList(bad), bad).toThrow(
        /give whole numbers from 1 to 1000 as a range or a list/,
      );
    }
  });
});

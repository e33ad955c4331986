// Early stopping: the patience rule itself, and real runs of the loop that stop at the right
// epoch, say so in their last record, and keep the count across a resume from a checkpoint.
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { EpochRecord } from '../../src/shared/records';
import { methodLabel, validateSpec } from '../../src/shared/spec';
import { EarlyStopping } from '../../src/main/trainer/early-stopping';
import { trainRun, type RunPlan } from '../../src/main/trainer/loop';
import type { Checkpoint } from '../../src/main/trainer/checkpoint';
import { syntheticData, tinySpec, useCpu } from '../helpers/tiny-training';

beforeAll(useCpu);

describe('the patience rule', () => {
  it('counts epochs without an improvement of more than minDelta, and only an improvement moves the best', () => {
    const s = new EarlyStopping({ patience: 2, minDelta: 0.01 });
    const seen = [0.5, 0.505, 0.52, 0.525, 0.529, 0.54].map((a) => s.observe(a));
    expect(seen.map((x) => [x.bestAccuracy, x.epochsWithoutImprovement, x.stopped])).toEqual([
      [0.5, 0, false],
      [0.5, 1, false], // +0.005: not more than minDelta
      [0.52, 0, false], // +0.02 over the best
      [0.52, 1, false], // +0.005 over the best, though above the last
      [0.52, 2, true], // +0.009: still not more than 0.01; patience 2 runs out
      [0.54, 0, false],
    ]);
    // With minDelta 0 an equal accuracy is no improvement.
    const strict = new EarlyStopping({ patience: 1, minDelta: 0 });
    strict.observe(0.5);
    expect(strict.observe(0.5).stopped).toBe(true);
  });

  it("is an option of every method, with Lightning's defaults, named in the default label", () => {
    const r = validateSpec({
      name: 'x',
      dataset: { id: 'mnist' },
      models: ['mlp'],
      methods: [
        { id: 'ssa', earlyStopping: {} },
        { id: 'adam', earlyStopping: { patience: 5, minDelta: 0.001 } },
        { id: 'sgd', earlyStopping: { patience: 0 } },
        { id: 'sgd-sa', earlyStopping: 3 },
      ],
    });
    expect(!r.ok && r.problems).toEqual([
      { path: 'methods[2].earlyStopping.patience', message: 'must be >= 1' },
      {
        path: 'methods[3].earlyStopping',
        message: 'must be an object such as {"patience": 3, "minDelta": 0}',
      },
    ]);
    const ok = validateSpec({
      name: 'x',
      dataset: { id: 'mnist' },
      models: ['mlp'],
      methods: [
        { id: 'ssa', earlyStopping: {} },
        { id: 'adam', earlyStopping: { patience: 5 } },
      ],
    });
    if (!ok.ok) throw new Error(JSON.stringify(ok.problems));
    expect(ok.spec.methods[0]!.earlyStopping).toEqual({ patience: 3, minDelta: 0 });
    expect(ok.spec.methods.map(methodLabel)).toEqual([
      'SSA (ε = 0.01, T = 1, α = 0.97) with early stopping (patience 3)',
      'Adam (η = 0.001) with early stopping (patience 5)',
    ]);
  });
});

describe('early stopping in the loop', () => {
  async function run(method: Record<string, unknown>, epochs: number, resume?: Checkpoint) {
    const spec = tinySpec([method], { epochs });
    const data = syntheticData();
    const records: EpochRecord[] = [];
    const checkpoints: Checkpoint[] = [];
    const plan: RunPlan = { experimentId: 'e', runId: 'r', spec, methodIndex: 0, model: 'mlp', seed: 7 };
    const outcome = await trainRun(
      plan,
      data,
      {
        onEpoch: async (r, checkpoint) => {
          records.push(r);
          checkpoints.push(await checkpoint());
        },
      },
      resume,
    );
    tf.dispose([data.train.x, data.train.y, data.train.labels, data.test.x, data.test.y, data.test.labels]);
    tf.dispose(outcome.bestWeights ?? []);
    return { outcome, records, checkpoints };
  }
  /** What the option must not change: the numbers of each epoch. */
  const numbers = ({ val, train, counters, lr, best, epoch }: EpochRecord) => ({
    epoch,
    val,
    train,
    counters: { ...counters, seconds: 0 },
    lr,
    best,
  });
  const sgd = { id: 'sgd', lr: 0.1 };

  it('stops at the first epoch that runs out of patience, ends finished, and its last record says so', async () => {
    const whole = await run(sgd, 12);
    // The accuracies of this seeded run on 64 validation images: a plateau at epoch 5, then
    // 8–9 level, 10–11 lower, 12 level with 8.
    expect(whole.records.map((r) => r.val.accuracy * 64)).toEqual([
      20, 25, 26, 28, 28, 31, 32, 33, 33, 31, 31, 33,
    ]);
    expect(whole.records.every((r) => !('earlyStopping' in r))).toBe(true);
    for (const [patience, stopsAfter] of [
      [1, 5],
      [2, 10],
      [3, 11],
      [4, 12],
    ] as const) {
      const r = await run({ ...sgd, earlyStopping: { patience } }, 12);
      expect(r.outcome.status, `patience ${patience}`).toBe('finished');
      expect(r.outcome.epochs, `patience ${patience}`).toBe(stopsAfter);
      expect(r.records.map(numbers)).toEqual(whole.records.slice(0, stopsAfter).map(numbers));
      expect(r.records.at(-1)!.earlyStopping!.stopped).toBe(stopsAfter < 12 || patience === 4);
      expect(r.records.slice(0, -1).every((x) => x.earlyStopping!.stopped === false)).toBe(true);
      expect(r.records[0]!.label).toBe(`SGD (η = 0.1) with early stopping (patience ${patience})`);
    }
    const p1 = await run({ ...sgd, earlyStopping: { patience: 1 } }, 12);
    expect(p1.records.at(-1)!.earlyStopping).toEqual({
      bestAccuracy: 28 / 64,
      epochsWithoutImprovement: 1,
      patience: 1,
      stopped: true,
    });
    // The output is still the best-on-validation weights: epoch 5 (28/64 again, at a lower loss),
    // though it did not improve the accuracy by more than minDelta.
    expect(p1.outcome.bestEpoch).toBe(5);
    expect(p1.records.at(-1)!.best).toBe(true);
  });

  it('resumed from a checkpoint, keeps the patience counter and stops where the whole run did', async () => {
    const method = { ...sgd, earlyStopping: { patience: 3 } };
    const whole = await run(method, 12);
    expect(whole.outcome.epochs).toBe(11);
    // After epoch 9 the count stands at 1 (33/64 equalled): resumed, two more epochs without
    // improvement end the run after epoch 11; a fresh count would run on to epoch 12.
    const at9 = whole.checkpoints[8]!;
    expect(at9.state.record.earlyStopping).toMatchObject({ epochsWithoutImprovement: 1, stopped: false });
    const resumed = await run(method, 12, at9);
    expect(resumed.records.map((r) => r.epoch)).toEqual([10, 11]);
    expect(resumed.records.map(numbers)).toEqual(whole.records.slice(9).map(numbers));
    expect(resumed.records.map((r) => r.earlyStopping)).toEqual(
      whole.records.slice(9).map((r) => r.earlyStopping),
    );
    expect(resumed.outcome).toMatchObject({ status: 'finished', epochs: 11 });
    // Resumed from the checkpoint of the epoch it stopped at, it runs no further epoch.
    const after = await run(method, 12, whole.checkpoints[10]!);
    expect(after.records).toEqual([]);
    expect(after.outcome).toMatchObject({
      status: 'finished',
      epochs: 11,
      bestEpoch: whole.outcome.bestEpoch,
    });
  });
});

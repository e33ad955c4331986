// The shared loop: reproducibility, the record it emits, best-on-validation weights, divergence.
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { EpochRecord } from '../../src/shared/records';
import { DivergedError, trainRun, type RunPlan } from '../../src/main/trainer/loop';
import { validate } from '../../src/main/trainer/evaluate';
import { SUITE_BACKENDS, syntheticData, tinySpec, useBackend } from '../helpers/tiny-training';

async function run(methods: unknown[], seed = 7, extra: Record<string, unknown> = {}) {
  const spec = tinySpec(methods, extra);
  const data = syntheticData();
  const records: EpochRecord[] = [];
  const plan: RunPlan = { experimentId: 'e1', runId: 'r1', spec, methodIndex: 0, model: 'mlp', seed };
  try {
    const outcome = await trainRun(plan, data, { onEpoch: (r) => void records.push(r) });
    return { outcome, records, data };
  } catch (err) {
    tf.dispose([data.train.x, data.train.y, data.train.labels, data.test.x, data.test.y, data.test.labels]);
    throw err;
  }
}

const withoutTime = (r: EpochRecord) => ({ ...r, counters: { ...r.counters, seconds: 0 } });

describe.each(SUITE_BACKENDS)('on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  describe('training loop', () => {
    it('gives the same per-epoch numbers for the same seed, and different ones for another seed', async () => {
      for (const method of [{ id: 'sgd' }, { id: 'ssa' }, { id: 'sgd-sa' }]) {
        const a = await run([method], 7);
        const b = await run([method], 7);
        const c = await run([method], 8);
        expect(a.records.map(withoutTime)).toEqual(b.records.map(withoutTime));
        expect(c.records.map((r) => r.val.loss)).not.toEqual(a.records.map((r) => r.val.loss));
        for (const x of [a, b, c]) tf.dispose(x.outcome.bestWeights!);
      }
    });

    it('decides SSA and SGD-SA on the device when ANNEALAB_METROPOLIS=device, with the same records', async () => {
      for (const method of [
        { id: 'ssa', epsilon: 0.3, temperature: 0.003 },
        { id: 'sgd-sa', lrSet: [0.05, 3], temperature: 5 },
      ]) {
        const host = await run([method], 7, { batchSize: 16, epochs: 4 });
        process.env.ANNEALAB_METROPOLIS = 'device';
        try {
          const device = await run([method], 7, { batchSize: 16, epochs: 4 });
          expect(device.records.map(withoutTime)).toEqual(host.records.map(withoutTime));
          tf.dispose(device.outcome.bestWeights!);
        } finally {
          delete process.env.ANNEALAB_METROPOLIS;
        }
        // Not a vacuous comparison: worsening moves were decided, some taken and some not.
        const moves = host.records.map((r) => r.moves!);
        expect(moves.some((m) => m.acceptedWorse > 0)).toBe(true);
        expect(moves.some((m) => m.rejectedWorse > 0)).toBe(true);
        tf.dispose(host.outcome.bestWeights!);
      }
    });

    it('emits one full record per epoch, in the DESIGN.md shape', async () => {
      const { records, outcome } = await run([{ id: 'ssa' }]);
      expect(records.map((r) => r.epoch)).toEqual([1, 2, 3]);
      const r = records[2]!;
      expect(r).toMatchObject({
        type: 'epoch',
        experimentId: 'e1',
        runId: 'r1',
        method: 'ssa',
        model: 'mlp',
        seed: 7,
      });
      expect(r.label).toBe('SSA (ε = 0.01, T = 1, α = 0.97)');
      expect(r.val.accuracy).toBeGreaterThanOrEqual(0);
      expect(r.val.accuracy).toBeLessThanOrEqual(1);
      // 128 training examples in batches of 32: 4 minibatches an epoch, 3 forward passes each.
      expect(r.counters).toMatchObject({ forward: 36, backward: 0 });
      expect(r.moves!.better + r.moves!.acceptedWorse + r.moves!.rejectedWorse).toBe(4);
      expect(r.temperature).toBeCloseTo(0.97 ** 2, 12);
      expect(r.lr).toBeNull();
      expect(r.restarts).toBeNull();
      expect(r.counters.seconds).toBeGreaterThan(0);
      tf.dispose(outcome.bestWeights!);
    });

    it('keeps the weights of the best validation epoch', async () => {
      const { records, outcome, data } = await run([{ id: 'sgd', lr: 0.5 }], 7, { epochs: 6 });
      const bestRecord = records.find((r) => r.epoch === outcome.bestEpoch)!;
      expect(bestRecord.best).toBe(true);
      expect(Math.max(...records.map((r) => r.val.accuracy))).toBe(bestRecord.val.accuracy);
      // Re-validating the kept weights reproduces that epoch's numbers.
      const again = validate(outcome.net, outcome.bestWeights!, data.test, 32);
      expect(again.accuracy).toBe(bestRecord.val.accuracy);
      expect(again.loss).toBeCloseTo(bestRecord.val.loss, 6);
      expect(outcome.minValLoss).toBe(Math.min(...records.map((r) => r.val.loss)));
      tf.dispose(outcome.bestWeights!);
    });

    it('stops with a clear reason when the weights diverge', async () => {
      await expect(run([{ id: 'sgd', lr: 1e6 }])).rejects.toThrow(DivergedError);
      await expect(run([{ id: 'sgd', lr: 1e6 }])).rejects.toThrow(
        /diverged in epoch 1.*smaller learning rate/,
      );
    });

    it('stops between minibatches when asked', async () => {
      const spec = tinySpec([{ id: 'sgd' }]);
      const data = syntheticData();
      let steps = 0;
      const outcome = await trainRun(
        { experimentId: 'e', runId: 'r', spec, methodIndex: 0, model: 'mlp', seed: 1 },
        data,
        { onEpoch: () => {}, onProgress: () => steps++, shouldStop: () => steps >= 2 },
      );
      expect(outcome.status).toBe('cancelled');
      expect(steps).toBe(2);
      expect(outcome.epochs).toBe(0);
    });
  });
});

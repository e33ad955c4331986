// Snapshot ensembles (Huang et al.; the thesis's Fig. 2.3): the averaged softmax of snapshots
// taken before restarts, scored on validation, on real networks and real training runs.
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { EpochRecord } from '../../src/shared/records';
import { validateSpec } from '../../src/shared/spec';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCheckpoint, writeCheckpoint, type Checkpoint } from '../../src/main/trainer/checkpoint';
import { validate } from '../../src/main/trainer/evaluate';
import { trainRun, type RunPlan } from '../../src/main/trainer/loop';
import { buildNetwork, initialValues } from '../../src/main/trainer/models';
import { endsSgdrCycle, evaluateEnsemble } from '../../src/main/trainer/snapshot-ensemble';
import { Rng } from '../../src/shared/rng';
import type { RunResult } from '../../src/shared/results';
import { buildComparisonTable, runValue } from '../../src/shared/table';
import { makeRun } from '../fixtures/runs';
import { syntheticData, tinySpec, useCpu } from '../helpers/tiny-training';

beforeAll(useCpu);

const drawn = (seed: number) => {
  const data = syntheticData();
  const net = buildNetwork('mlp', data.input, data.numClasses);
  const values = initialValues(net.params, Rng.fromSeed(seed, 'init'), 'pytorch');
  return { data, net, params: values.map((v, i) => tf.tensor(v, net.params[i]!.shape)) };
};

async function run(
  method: Record<string, unknown>,
  options: { stopAfter?: number; resume?: Checkpoint } = {},
) {
  const spec = tinySpec([method], { epochs: 4 });
  const data = syntheticData();
  const records: EpochRecord[] = [];
  let checkpoint: Checkpoint | undefined;
  const plan: RunPlan = { experimentId: 'e', runId: 'r', spec, methodIndex: 0, model: 'mlp', seed: 5 };
  const outcome = await trainRun(
    plan,
    data,
    {
      onEpoch: async (r, take) => {
        records.push(r);
        if (r.epoch === options.stopAfter) checkpoint = await take();
      },
      shouldStop: () => options.stopAfter !== undefined && records.length >= options.stopAfter,
    },
    options.resume,
  );
  tf.dispose(outcome.bestWeights ?? []);
  return { records, checkpoint };
}

describe('evaluateEnsemble', () => {
  it('of two identical snapshots equals the single model', async () => {
    const { data, net, params } = drawn(1);
    const single = validate(net, params, data.test, 32);
    const twice = await evaluateEnsemble(
      net,
      [
        { params, buffers: [] },
        { params, buffers: [] },
      ],
      data.test,
      32,
    );
    expect(twice.accuracy).toBe(single.accuracy);
    expect(twice.loss).toBeCloseTo(single.loss, 5);
    expect(twice.lossThesis).toBeCloseTo(single.lossThesis, 6);
    const once = await evaluateEnsemble(net, [{ params, buffers: [] }], data.test, 32);
    expect(once.loss).toBeCloseTo(single.loss, 5);
    tf.dispose(params);
  });

  it('scores no worse than its members on average: the loss of averaged probabilities is convex', async () => {
    const a = drawn(1);
    const b = drawn(2);
    const la = validate(a.net, a.params, a.data.test, 32).loss;
    const lb = validate(a.net, b.params, a.data.test, 32).loss;
    const both = await evaluateEnsemble(
      a.net,
      [
        { params: a.params, buffers: [] },
        { params: b.params, buffers: [] },
      ],
      a.data.test,
      32,
    );
    expect(la).not.toBeCloseTo(lb, 3);
    expect(both.loss).toBeLessThanOrEqual((la + lb) / 2 + 1e-6);
    expect(both.accuracy).toBeGreaterThanOrEqual(0);
    expect(both.accuracy).toBeLessThanOrEqual(1);
    tf.dispose([...a.params, ...b.params]);
  });

  it('leaks no tensors', async () => {
    const { data, net, params } = drawn(3);
    const before = tf.memory().numTensors;
    await evaluateEnsemble(
      net,
      [
        { params, buffers: [] },
        { params, buffers: [] },
      ],
      data.test,
      32,
    );
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose(params);
  });
});

describe('the ensemble series of a run', () => {
  it('a restart run records the ensemble of its last M pre-restart snapshots each epoch', async () => {
    // ε far above any loss: the run restarts at the end of every epoch.
    const { records } = await run({ id: 'restart', restartEpsilon: 1e6, snapshotEnsemble: 2 });
    expect(records.map((r) => r.restarts)).toEqual([1, 2, 3, 4]);
    expect(records.map((r) => r.ensemble?.snapshotEpochs)).toEqual([[1], [1, 2], [2, 3], [3, 4]]);
    // One snapshot: the ensemble is the epoch's own validated model, which the restart threw away.
    expect(records[0]!.ensemble!.accuracy).toBe(records[0]!.val.accuracy);
    expect(records[0]!.ensemble!.loss).toBeCloseTo(records[0]!.val.loss, 5);
    for (const r of records) expect(r.ensemble!.snapshots).toBe(r.ensemble!.snapshotEpochs.length);
  });

  it('an SGDR run snapshots at the end of each cycle, and is null before the first', async () => {
    const schedule = { kind: 'sgdr', t0: 2, tMult: 1, etaMin: 0 };
    const { records } = await run({ id: 'sgd', schedule });
    expect(records.map((r) => r.ensemble?.snapshotEpochs ?? null)).toEqual([null, [2], [2], [2, 4]]);
    expect(records[1]!.ensemble!.accuracy).toBe(records[1]!.val.accuracy);
  });

  it('keeps no series for runs without restarts', async () => {
    const { records } = await run({ id: 'sgd' });
    expect(records.every((r) => !('ensemble' in r))).toBe(true);
  });

  it('continues from a checkpoint file with the same snapshots as an uninterrupted run', async () => {
    const method = { id: 'restart', restartEpsilon: 1e6 };
    const whole = await run(method);
    const first = await run(method, { stopAfter: 2 });
    // Through the checkpoint file, as a resumed trainer process reads it.
    const file = join(mkdtempSync(join(tmpdir(), 'annealab-ckpt-')), 'last.ckpt');
    writeCheckpoint(file, first.checkpoint!);
    expect(readCheckpoint(file).snapshots).toHaveLength(2 * 4); // two snapshots of the MLP's 4 tensors
    const rest = await run(method, { resume: readCheckpoint(file) });
    const ensembles = (rs: EpochRecord[]) => rs.map((r) => r.ensemble);
    expect(ensembles([...first.records, ...rest.records])).toEqual(ensembles(whole.records));
  });
});

describe('the snapshotEnsemble option', () => {
  it('is refused where nothing restarts, by its path', () => {
    const r = validateSpec({
      name: 'e',
      dataset: { id: 'mnist' },
      models: ['mlp'],
      methods: [
        { id: 'sgd', snapshotEnsemble: 3 },
        { id: 'adam', schedule: { kind: 'sgdr' }, snapshotEnsemble: 3 },
      ],
    });
    expect(!r.ok && r.problems).toEqual([
      {
        path: 'methods[0].snapshotEnsemble',
        message: 'applies only where there are restarts: the restart method, or a schedule of kind "sgdr"',
      },
    ]);
  });

  it('knows where SGDR cycles end (T_0 = 10, T_mult = 2: after epochs 10, 30, 70)', () => {
    const m = tinySpec([{ id: 'sgd', schedule: { kind: 'sgdr' } }]).methods[0]!;
    const ends = Array.from({ length: 80 }, (_, i) => i + 1).filter((e) => endsSgdrCycle(m, e));
    expect(ends).toEqual([10, 30, 70]);
  });
});

describe('the ensemble statistic of the comparison table', () => {
  const withEnsemble = (run: RunResult, ensemble: EpochRecord['ensemble'][]): RunResult => ({
    ...run,
    epochs: run.epochs.map((e, i) => ({ ...e, ensemble: ensemble[i] ?? null })),
  });
  const scored = (accuracy: number, loss: number) => ({
    loss,
    accuracy,
    lossThesis: loss / 512,
    snapshots: 1,
    snapshotEpochs: [1],
  });

  it('takes the ensemble after the last epoch, and leaves out runs without one, saying why', () => {
    const restart = (seed: number, acc: number) =>
      withEnsemble(
        makeRun({
          methodIndex: 0,
          method: { id: 'restart' },
          model: 'mlp',
          seed,
          epochs: [
            { valAcc: 0.5, valLoss: 1 },
            { valAcc: 0.6, valLoss: 0.9 },
          ],
        }),
        [null, scored(acc, 1 - acc)],
      );
    const sgd = makeRun({
      methodIndex: 1,
      method: { id: 'sgd' },
      model: 'mlp',
      seed: 1,
      epochs: [{ valAcc: 0.7 }],
    });
    const table = buildComparisonTable([restart(1, 0.8), restart(2, 0.9), sgd], {
      stat: 'ensemble',
      norm: 'mean',
    });
    const row = table.rows.find((r) => r.method === 'restart')!;
    expect(row.cells[0]!.accuracy!.perSeed).toEqual([0.8, 0.9]);
    expect(row.cells[0]!.loss!.mean).toBeCloseTo(0.15, 12);
    expect(table.rows.find((r) => r.method === 'sgd')!.cells[0]!.accuracy).toBeNull();
    expect(table.notes.map((n) => n.text).join('\n')).toContain('no snapshot ensemble');
    expect(table.caption).toContain('snapshot ensemble');
    expect(runValue(sgd.epochs, 'accuracy', 'ensemble', 'mean')).toBeNaN();
  });
});

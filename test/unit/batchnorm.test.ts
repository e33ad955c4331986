// Batch-norm: minibatch statistics in training mode, running statistics in inference mode, and
// PyTorch's update of the running statistics; which statistics each method keeps (METHODS.md:
// SGD steps keep their own, SSA and SGD-SA those of the weights they end with); what the loop
// validates with, records and checkpoints.
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../src/shared/rng';
import type { EpochRecord } from '../../src/shared/records';
import { gatherBatch, disposeBatch, uploadSplit, type Batch } from '../../src/main/trainer/data/batches';
import { estimateTraining, validate } from '../../src/main/trainer/evaluate';
import { trainRun, type RunPlan } from '../../src/main/trainer/loop';
import type { Checkpoint } from '../../src/main/trainer/checkpoint';
import { createMethod, type MethodContext } from '../../src/main/trainer/methods';
import {
  bindBuffers,
  defineNetwork,
  initialBuffers,
  initialValues,
  RunningStats,
  type Network,
} from '../../src/main/trainer/models';
import { methodSpec, syntheticData, tinySpec, useCpu } from '../helpers/tiny-training';

beforeAll(useCpu);

const EPS = 1e-5;

/** Logits = the batch-norm of the input itself: images [n, 1, 1, c], BN, average over 1×1. */
const probe = (channels: number): Network =>
  defineNetwork('bn-probe', { height: 1, width: 1, channels }, channels, (o, x) =>
    o.globalAvgPool(o.batchNorm(x, 'bn')),
  );

/** A tiny net with both kinds: BatchNorm2d after a conv, BatchNorm1d after a dense layer. */
const tinyBn = (): Network =>
  defineNetwork('tiny-bn', { height: 4, width: 4, channels: 2 }, 3, (o, x) => {
    let t = o.relu(o.batchNorm(o.conv(x, 'conv', { out: 4, k: 3, pad: 1, bias: false }), 'bn1'));
    t = o.relu(o.batchNorm(o.dense(o.globalAvgPool(t), 'fc1', 5), 'bn2'));
    return o.dense(t, 'fc2', 3);
  });

const columns = (m: number[][]) => m[0]!.map((_, j) => m.map((row) => row[j]!));
const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
const biasedVar = (v: number[]) => mean(v.map((x) => (x - mean(v)) ** 2));

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-5) {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < actual.length; i++) {
    expect(Math.abs(actual[i]! - expected[i]!), `element ${i}`).toBeLessThanOrEqual(
      tol * Math.max(1, Math.abs(expected[i]!)),
    );
  }
}

describe('batch-norm layer', () => {
  const rows = [
    [1, -2, 0.5],
    [3, 0, 0.25],
    [-1, 4, 1],
    [2, 2, -0.75],
  ];
  const x = () => tf.tensor4d(rows.flat(), [4, 1, 1, 3]);
  // gamma, beta
  const params = () => [tf.tensor1d([2, 1, 0.5]), tf.tensor1d([0.1, -0.2, 0.3])];

  it('normalises with the minibatch statistics in training mode, whatever the running ones', () => {
    const net = probe(3);
    const [gamma, beta] = [
      [2, 1, 0.5],
      [0.1, -0.2, 0.3],
    ];
    const ps = params();
    const input = x();
    const a = net.apply(ps, input, true).arraySync();
    const b = net.apply(ps, input, true, { buffers: [tf.fill([3], 5), tf.fill([3], 9)] }).arraySync();
    expect(b).toEqual(a);
    const cols = columns(rows);
    const expected = rows.map((r) =>
      r.map((v, c) => ((v - mean(cols[c]!)) / Math.sqrt(biasedVar(cols[c]!) + EPS)) * gamma![c]! + beta![c]!),
    );
    expectClose(a.flat(), expected.flat());
  });

  it('normalises with the running statistics in inference mode, and needs them', () => {
    const net = probe(3);
    const ps = params();
    const runningMean = [0.5, -1, 2];
    const runningVar = [4, 0.25, 1];
    const out = net
      .apply(ps, x(), false, { buffers: [tf.tensor1d(runningMean), tf.tensor1d(runningVar)] })
      .arraySync();
    const expected = rows.map((r) =>
      r.map(
        (v, c) =>
          ((v - runningMean[c]!) / Math.sqrt(runningVar[c]! + EPS)) * [2, 1, 0.5][c]! + [0.1, -0.2, 0.3][c]!,
      ),
    );
    expectClose(out.flat(), expected.flat());
    expect(() => net.apply(ps, x(), false)).toThrow(/inference mode needs its running statistics/);
  });

  it('updates the running statistics as PyTorch does: momentum 0.1, unbiased variance', () => {
    const net = probe(3);
    let updated: tf.Tensor[] = [];
    const oldMean = [0.5, -1, 2];
    const oldVar = [4, 0.25, 1];
    net.apply(params(), x(), true, {
      buffers: [tf.tensor1d(oldMean), tf.tensor1d(oldVar)],
      onRunningStats: (u) => (updated = u),
    });
    const cols = columns(rows);
    expectClose(
      updated[0]!.dataSync(),
      oldMean.map((m, c) => 0.9 * m + 0.1 * mean(cols[c]!)),
    );
    expectClose(
      updated[1]!.dataSync(),
      oldVar.map((v, c) => 0.9 * v + 0.1 * biasedVar(cols[c]!) * (4 / 3)),
    );
    tf.dispose(updated);
    expect(() => net.apply(params(), x(), true, { onRunningStats: () => {} })).toThrow(
      /reporting running statistics needs its running statistics/,
    );
  });

  it('refuses training mode on one value per channel, as PyTorch does', () => {
    const net = probe(3);
    const one = tf.tensor4d([1, 2, 3], [1, 1, 1, 3]);
    expect(() =>
      net.apply(params(), one, true, { buffers: initialBuffers(net), onRunningStats: () => {} }),
    ).toThrow(/more than one value per channel/);
  });

  it('starts from running mean 0 and running variance 1', () => {
    const net = tinyBn();
    expect(initialBuffers(net).map((t) => Array.from(t.dataSync()))).toEqual([
      [0, 0, 0, 0],
      [1, 1, 1, 1],
      [0, 0, 0, 0, 0],
      [1, 1, 1, 1, 1],
    ]);
  });
});

describe('running statistics in a run', () => {
  interface Setup {
    ctx: MethodContext;
    buffers: tf.Variable[];
    batch: Batch;
    dispose(): void;
  }

  let setup: Setup | undefined;
  afterEach(() => setup?.dispose());

  function tinyRun(seed = 1): Setup {
    const net = tinyBn();
    const rng = Rng.fromSeed(seed, 'data');
    const n = 16;
    const labels = Uint8Array.from({ length: n }, (_, i) => i % 3);
    const pixels = rng.fillNormal(new Float32Array(n * 32), 1);
    const split = uploadSplit(pixels, labels, net.input, 3);
    const params = tf.tidy(() =>
      initialValues(net.params, Rng.fromSeed(seed, 'init'), 'pytorch').map((v, i) =>
        tf.variable(tf.tensor(v, net.params[i]!.shape)),
      ),
    );
    // Running statistics away from their start, so that a missing update shows.
    const buffers = tf.tidy(() =>
      net.buffers.map((b, i) => tf.variable(tf.fill(b.shape, b.initial + 0.3 * (i + 1)), false)),
    );
    const streams = new Map<string, Rng>();
    const bound = bindBuffers(net, buffers);
    const ctx: MethodContext = {
      net: bound,
      params,
      counters: { forward: 0, backward: 0, updates: 0 },
      rng: (name) => {
        if (!streams.has(name)) streams.set(name, Rng.fromSeed(seed, name));
        return streams.get(name)!;
      },
      reinitialize: () => {},
      estimateTrain: () => estimateTraining(bound, params, split, 8, 1, Rng.fromSeed(seed, 'estimate')),
    };
    const batch = gatherBatch(
      split,
      Int32Array.from({ length: 8 }, (_, i) => i),
    );
    return {
      ctx,
      buffers,
      batch,
      dispose: () => {
        disposeBatch(batch);
        tf.dispose([...params, ...buffers, split.x, split.y, split.labels]);
      },
    };
  }

  /** What the running statistics become from `weights`' minibatch statistics on `batch`. */
  function statsFrom(s: Setup, weights: readonly tf.Tensor[], old: Float32Array[]): Float32Array[] {
    let updated: tf.Tensor[] = [];
    tf.tidy(() => {
      s.ctx.net.apply(weights, s.batch.x, true, {
        buffers: old.map((v, i) => tf.tensor(v, s.buffers[i]!.shape)),
        onRunningStats: (u) => (updated = u),
      });
    });
    const out = updated.map((t) => t.dataSync().slice() as Float32Array);
    tf.dispose(updated);
    return out;
  }

  const snapshot = (ts: readonly tf.Tensor[]) => ts.map((t) => t.dataSync().slice() as Float32Array);

  it('an SGD step keeps the statistics of the weights it started from (PyTorch train mode)', () => {
    setup = tinyRun();
    const s = setup;
    const method = createMethod(s.ctx, methodSpec({ id: 'sgd', lr: 0.5 }));
    for (let step = 0; step < 3; step++) {
      const before = snapshot(s.buffers);
      const weights = s.ctx.params.map((p) => p.clone());
      const expected = statsFrom(s, weights, before);
      method.step(s.batch, step + 1);
      snapshot(s.buffers).forEach((v, i) => expectClose(v, expected[i]!, 1e-6));
      expect(snapshot(s.buffers)[1]).not.toEqual(before[1]);
      tf.dispose(weights);
    }
    method.dispose();
  });

  for (const [id, decisions] of [
    ['ssa', 'host'],
    ['sgd-sa', 'host'],
    ['ssa', 'device'],
    ['sgd-sa', 'device'],
  ] as const) {
    it(`${id} keeps only the statistics of the weights a step ends with, accepted or kept (decided on the ${decisions})`, () => {
      setup = tinyRun(2);
      const s = setup;
      s.ctx.decisions = decisions;
      // A cold temperature rejects worsening moves; big moves make some (a rate of 30 overshoots).
      const spec =
        id === 'ssa' ? { id, epsilon: 0.2, temperature: 1e-9 } : { id, temperature: 1e-9, lrSet: [0.05, 30] };
      const method = createMethod(s.ctx, methodSpec(spec));
      method.beginEpoch(1);
      let kept = 0;
      let moved = 0;
      for (let step = 0; step < 12; step++) {
        const before = snapshot(s.buffers);
        const weightsBefore = snapshot(s.ctx.params);
        method.step(s.batch, step + 1);
        const after = snapshot(s.ctx.params);
        if (after.every((w, i) => w.every((v, j) => v === weightsBefore[i]![j]))) kept++;
        else moved++;
        const expected = statsFrom(s, s.ctx.params, before);
        snapshot(s.buffers).forEach((v, i) => expectClose(v, expected[i]!, 1e-6));
      }
      expect(kept, 'rejected moves').toBeGreaterThan(0);
      expect(moved, 'accepted moves').toBeGreaterThan(0);
      method.dispose();
    });
  }

  it('RunningStats costs nothing and keeps nothing for a network without batch-norm', () => {
    const net = defineNetwork('plain', { height: 2, width: 2, channels: 1 }, 2, (o, x) =>
      o.dense(o.flatten(x), 'fc', 2),
    );
    expect(bindBuffers(net, [])).toBe(net);
    const stats = new RunningStats(net);
    expect(stats.active).toBe(false);
    expect(stats.capture(0, { dropoutSeed: () => 1 })).toEqual({ dropoutSeed: expect.any(Function) });
    stats.commit(0);
  });
});

describe('batch-norm in the training loop', () => {
  // A real batch-norm network from the model list, on wasm for speed: the cpu backend's filter
  // gradient is far too slow for MobileNetV2 even on 8×8 images.
  beforeAll(async () => {
    await import('@tensorflow/tfjs-backend-wasm');
    await tf.setBackend('wasm');
    const { registerWasmKernels } = await import('../../src/main/trainer/backend/wasm-kernels');
    registerWasmKernels();
  });

  async function run(methods: unknown[], epochs: number, resume?: Checkpoint) {
    const spec = tinySpec(methods, { epochs, batchSize: 32 });
    const data = syntheticData(64, 32);
    const records: EpochRecord[] = [];
    const checkpoints: Checkpoint[] = [];
    const plan: RunPlan = {
      experimentId: 'e',
      runId: 'r',
      spec,
      methodIndex: 0,
      model: 'mobilenetv2',
      seed: 3,
    };
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
    return { outcome, records, checkpoints, data };
  }

  const dispose = (r: Awaited<ReturnType<typeof run>>) => {
    const { data, outcome } = r;
    tf.dispose([data.train.x, data.train.y, data.train.labels, data.test.x, data.test.y, data.test.labels]);
    tf.dispose([...(outcome.bestWeights ?? []), ...(outcome.bestBuffers ?? [])]);
  };

  it('says in the record how each method kept the running statistics', async () => {
    for (const [method, rule] of [
      ['sgd', 'training-steps'],
      ['ssa', 'accepted-weights'],
      ['sgd-sa', 'accepted-weights'],
    ] as const) {
      const r = await run([{ id: method }], 1);
      expect(r.records[0]!.batchNorm, method).toBe(rule);
      dispose(r);
    }
  });

  it('validates in inference mode, with the running statistics of the best weights', async () => {
    const r = await run([{ id: 'sgd', lr: 0.05 }], 2);
    const bestRecord = r.records.find((x) => x.best && x.epoch === r.outcome.bestEpoch)!;
    // The outcome's network is bound to the best weights' running statistics.
    const again = validate(r.outcome.net, r.outcome.bestWeights!, r.data.test, 32);
    expect(again.accuracy).toBe(bestRecord.val.accuracy);
    expect(again.loss).toBeCloseTo(bestRecord.val.loss, 5);
    // Not the starting statistics, and not minibatch statistics.
    const fresh = tf.tidy(() => initialBuffers(r.outcome.net).map((t) => tf.variable(t, false)));
    const withFresh = validate(bindBuffers(r.outcome.net, fresh), r.outcome.bestWeights!, r.data.test, 32);
    // The net is barely trained (4 steps: loss ≈ ln 4), so the statistics move the loss little
    // (~5e-4 on wasm's kernels today); the same statistics would give the same loss to ~1e-7.
    expect(Math.abs(withFresh.loss - again.loss)).toBeGreaterThan(1e-5);
    tf.dispose(fresh);
    dispose(r);
  });

  it('starts the running statistics afresh on a cold restart, with the weights', async () => {
    const r = await run([{ id: 'restart', restartEpsilon: 1e9 }], 1);
    expect(r.records[0]!.restarts).toBe(1);
    // The checkpoint is taken after the epoch's end, where the restart happened.
    const saved = r.checkpoints[0]!.params;
    const stats = saved.filter((t) => t.name.includes('.running_'));
    expect(stats.length).toBe(114);
    for (const t of stats) {
      const start = t.name.endsWith('running_mean') ? 0 : 1;
      expect(
        t.values.every((v) => v === start),
        t.name,
      ).toBe(true);
    }
    dispose(r);
  });

  it('checkpoints the running statistics: a resumed run equals an uninterrupted one', async () => {
    const whole = await run([{ id: 'sgd', lr: 0.05, momentum: 0.9 }], 2);
    const first = await run([{ id: 'sgd', lr: 0.05, momentum: 0.9 }], 1);
    const ckpt = first.checkpoints[0]!;
    expect(ckpt.params.at(-1)!.name).toBe('bn2.running_var');
    const resumed = await run([{ id: 'sgd', lr: 0.05, momentum: 0.9 }], 2, ckpt);
    const strip = (x: EpochRecord) => ({ ...x, counters: { ...x.counters, seconds: 0 } });
    expect(resumed.records.map(strip)).toEqual(whole.records.slice(1).map(strip));
    for (const r of [whole, first, resumed]) dispose(r);
  });
});

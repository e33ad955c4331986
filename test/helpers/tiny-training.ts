// A small real training setup for method tests: a real network, real variables, real
// synthetic data on the cpu backend. Nothing of ours is mocked.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '../../src/main/trainer/gradients';
import { initBackend } from '../../src/main/trainer/backend/select';
import { Rng } from '../../src/shared/rng';
import { validateSpec, type ExperimentSpec, type MethodSpec } from '../../src/shared/spec';
import { gatherBatch, uploadSplit, type Batch, type DeviceSplit } from '../../src/main/trainer/data/batches';
import { estimateTraining } from '../../src/main/trainer/evaluate';
import type { MethodContext } from '../../src/main/trainer/methods';
import type { TrainEstimate } from '../../src/main/trainer/methods/method';
import { buildNetwork, initialValues } from '../../src/main/trainer/models';
import type { PreparedData } from '../../src/main/trainer/loop';

export async function useCpu(): Promise<void> {
  await tf.setBackend('cpu');
  await tf.ready();
}

/** The backends the method and loop suites run on: a method must behave the same on each. */
export const SUITE_BACKENDS = ['cpu', 'wasm'] as const;
export type SuiteBackend = (typeof SUITE_BACKENDS)[number];

/** Makes `backend` the current one; wasm as trainers set it up (our SIMD kernels included). */
export async function useBackend(backend: SuiteBackend): Promise<void> {
  if (backend === 'cpu') return useCpu();
  await initBackend('wasm');
}

/**
 * Synthetic 8×8 images: class k has a brighter k-th row, under seeded noise, and every fifth
 * label is wrong, so no step can drive the loss of every batch to zero.
 */
export function syntheticSplit(count: number, seed: number, classes = 4): DeviceSplit {
  const rng = Rng.fromSeed(seed, 'synthetic');
  const pixels = new Float32Array(count * 64);
  const labels = new Uint8Array(count);
  for (let n = 0; n < count; n++) {
    const k = n % classes;
    labels[n] = n % 5 === 4 ? (k + 1) % classes : k;
    for (let i = 0; i < 64; i++) pixels[n * 64 + i] = rng.normal() + (Math.floor(i / 8) === k ? 0.8 : 0);
  }
  return uploadSplit(pixels, labels, { height: 8, width: 8, channels: 1 }, classes);
}

export function syntheticData(trainCount = 128, testCount = 64): PreparedData {
  return {
    train: syntheticSplit(trainCount, 1),
    test: syntheticSplit(testCount, 2),
    input: { height: 8, width: 8, channels: 1 },
    numClasses: 4,
  };
}

export function tinySpec(methods: unknown[], extra: Record<string, unknown> = {}): ExperimentSpec {
  const r = validateSpec({
    name: 'tiny',
    dataset: { id: 'synthetic' },
    models: ['mlp'],
    methods,
    seeds: [7],
    epochs: 3,
    batchSize: 32,
    estimateBatches: 2,
    ...extra,
  });
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.spec;
}

export interface TinyContext {
  ctx: MethodContext;
  data: PreparedData;
  batch(indices?: number[]): Batch;
  weights(): Float32Array[];
  dispose(): void;
}

/** A MethodContext over an MLP (hidden 128) on the synthetic data, seeded. */
export function tinyContext(seed = 3): TinyContext {
  const data = syntheticData();
  const net = buildNetwork('mlp', data.input, data.numClasses);
  const initRng = Rng.fromSeed(seed, 'init');
  const params = tf.tidy(() =>
    initialValues(net.params, initRng, 'pytorch').map((v, i) =>
      tf.variable(tf.tensor(v, net.params[i]!.shape)),
    ),
  );
  const streams = new Map<string, Rng>();
  const estimateRng = Rng.fromSeed(seed, 'estimate');
  const ctx: MethodContext = {
    net,
    params,
    counters: { forward: 0, backward: 0, updates: 0 },
    rng: (name) => {
      if (!streams.has(name)) streams.set(name, Rng.fromSeed(seed, name));
      return streams.get(name)!;
    },
    reinitialize: () =>
      tf.tidy(() =>
        initialValues(net.params, initRng, 'pytorch').forEach((v, i) =>
          params[i]!.assign(tf.tensor(v, net.params[i]!.shape)),
        ),
      ),
    estimateTrain: () => estimateTraining(net, params, data.train, 32, 2, estimateRng),
  };
  return {
    ctx,
    data,
    batch: (indices = Array.from({ length: 32 }, (_, i) => i)) =>
      gatherBatch(data.train, Int32Array.from(indices)),
    weights: () => params.map((p) => p.dataSync().slice() as Float32Array),
    dispose: () => {
      tf.dispose(params);
      tf.dispose([data.train.x, data.train.y, data.train.labels, data.test.x, data.test.y, data.test.labels]);
    },
  };
}

/**
 * A training estimate as the loop hands it to endEpoch: mean CE, accuracy, and the thesis-scale
 * loss (Σ minibatch-mean CE / examples), by default that of full minibatches of 32.
 */
export function estimate(loss: number, accuracy = 0, lossThesis = loss / 32): TrainEstimate {
  return { loss, accuracy, lossThesis };
}

export function methodSpec(spec: unknown): MethodSpec {
  return tinySpec([spec]).methods[0]!;
}

export function sameWeights(a: Float32Array[], b: Float32Array[]): boolean {
  return (
    a.length === b.length &&
    a.every((x, i) => x.length === b[i]!.length && x.every((v, j) => Object.is(v, b[i]![j])))
  );
}

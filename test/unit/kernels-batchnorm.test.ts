// Batch-norm's SIMD kernels on wasm (backend/batchnorm-op.ts, simd/batchnorm.ts) against
// layers.batchNormTrain's tf ops on the cpu backend: the output, the batch statistics (what the
// running statistics are updated from) and the gradients of x, γ, β and the residual, with and
// without ReLU and a residual; channel counts with every lane tail, row counts across the sum
// blocks, rank 2 (BatchNorm1d) and 4, and a heap that grows during the call.
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../src/shared/rng';
import { initBackend } from '../../src/main/trainer/backend/select';
import { BATCH_NORM_TRAIN, BATCH_NORM_TRAIN_GRAD } from '../../src/main/trainer/backend/batchnorm-op';
import { BLOCK_ROWS } from '../../src/main/trainer/backend/simd/batchnorm';
import { batchNormInfer, batchNormTrain } from '../../src/main/trainer/models/layers';

beforeAll(async () => {
  await initBackend('wasm');
});
afterAll(() => tf.setBackend('cpu'));

interface Case {
  shape: number[];
  relu: boolean;
  add: boolean;
  /** A mean far from 0 relative to the spread: the centred sums must not cancel. */
  offset?: number;
  /** The spread of x (default 1.5): below √ε, ε dominates the variance. */
  spread?: number;
}

interface Result {
  y: Float32Array;
  mean: Float32Array;
  variance: Float32Array;
  grads: Float32Array[];
}

function inputs(c: Case) {
  const rng = Rng.fromSeed(11, `bn ${c.shape.join('x')}`);
  const size = c.shape.reduce((a, b) => a * b, 1);
  const ch = c.shape[c.shape.length - 1]!;
  const x = rng.fillNormal(new Float32Array(size), c.spread ?? 1.5).map((v) => v + (c.offset ?? 0.3));
  return {
    x,
    gamma: rng.fillNormal(new Float32Array(ch), 0.5).map((v) => v + 1),
    beta: rng.fillNormal(new Float32Array(ch), 0.5),
    residual: rng.fillNormal(new Float32Array(size), 1),
    // The upstream gradient: loss = Σ y·w.
    w: rng.fillNormal(new Float32Array(size), 1),
  };
}

async function run(backend: 'cpu' | 'wasm', c: Case): Promise<Result> {
  await tf.setBackend(backend);
  const d = inputs(c);
  return tf.tidy(() => {
    const ch = c.shape[c.shape.length - 1]!;
    const x = tf.tensor(d.x, c.shape);
    const gamma = tf.tensor1d(d.gamma);
    const beta = tf.tensor1d(d.beta);
    const residual = tf.tensor(d.residual, c.shape);
    const w = tf.tensor(d.w, c.shape);
    let stats: { mean: tf.Tensor; variance: tf.Tensor } | undefined;
    let y: tf.Tensor | undefined;
    const xs = c.add ? [x, gamma, beta, residual] : [x, gamma, beta];
    const { grads } = tf.valueAndGrads((...args: tf.Tensor[]) => {
      const r = batchNormTrain(args[0]!, args[1]!, args[2]!, {
        relu: c.relu,
        add: c.add ? args[3] : undefined,
      });
      stats = { mean: r.mean, variance: r.variance };
      y = tf.keep(r.y);
      return tf.sum(tf.mul(r.y, w));
    })(xs);
    const result = {
      y: y!.dataSync() as Float32Array,
      mean: stats!.mean.dataSync() as Float32Array,
      variance: stats!.variance.dataSync() as Float32Array,
      grads: grads.map((g) => g.dataSync() as Float32Array),
    };
    expect(stats!.mean.shape).toEqual([ch]);
    tf.dispose([stats!.mean, stats!.variance, y!]);
    return result;
  });
}

/** |a − b| within `tol` of the largest magnitude in b (sums over many rows: relative to scale). */
function expectClose(actual: Float32Array, expected: Float32Array, what: string, tol = 2e-5): void {
  expect(actual.length, what).toBe(expected.length);
  let scale = 1;
  for (const v of expected) scale = Math.max(scale, Math.abs(v));
  let worst = 0;
  let at = -1;
  for (let i = 0; i < actual.length; i++) {
    const e = Math.abs(actual[i]! - expected[i]!);
    if (!(e <= worst)) {
      worst = e;
      at = i;
    }
  }
  expect(worst / scale, `${what}: worst at ${at}, ${actual[at]} vs ${expected[at]}`).toBeLessThanOrEqual(tol);
}

async function compare(c: Case): Promise<void> {
  const cpu = await run('cpu', c);
  const wasm = await run('wasm', c);
  expectClose(wasm.y, cpu.y, 'y');
  expectClose(wasm.mean, cpu.mean, 'mean');
  expectClose(wasm.variance, cpu.variance, 'variance');
  const names = ['dx', 'dγ', 'dβ', 'dresidual'];
  // dγ and dβ sum over every row: their f32 sums on cpu carry the larger rounding.
  cpu.grads.forEach((g, i) => expectClose(wasm.grads[i]!, g, names[i]!, i === 1 || i === 2 ? 1e-4 : 2e-5));
}

const MODES = [
  { relu: false, add: false },
  { relu: true, add: false },
  { relu: true, add: true },
  { relu: false, add: true },
];

describe('batch-norm SIMD kernels on wasm against the cpu backend', () => {
  for (const { relu, add } of MODES) {
    const mode = `${relu ? 'ReLU' : 'no ReLU'}, ${add ? 'residual' : 'no residual'}`;
    // Channels: below a vector, every tail, whole vectors, 64 (ResNet) and an odd 67.
    for (const shape of [
      [3, 2, 2, 1],
      [2, 3, 3, 3],
      [4, 2, 3, 4],
      [2, 5, 3, 5],
      [3, 2, 2, 7],
      [8, 4, 4, 64],
      [2, 3, 5, 67],
    ]) {
      it(`[${shape.join(', ')}], ${mode}`, () => compare({ shape, relu, add }));
    }
  }
  it('rank 2 (BatchNorm1d), with and without ReLU', async () => {
    await compare({ shape: [16, 10], relu: true, add: false });
    await compare({ shape: [5, 3], relu: false, add: false });
  });
  it('rows across several sum blocks, the last one partial', async () => {
    expect(BLOCK_ROWS).toBeLessThan(2 * 3 * 777);
    await compare({ shape: [3, 2, 777, 5], relu: true, add: true });
  });
  it('a mean 200 σ from 0: the centred second pass does not cancel', async () => {
    await compare({ shape: [8, 6, 6, 6], relu: false, add: false, offset: 300 });
  });
  it('near-constant channels (variance far below ε), as deep layers on small images have', async () => {
    await compare({ shape: [32, 1, 1, 8], relu: true, add: false, spread: 1e-4 });
    await compare({ shape: [32, 1, 1, 8], relu: false, add: true, spread: 0 });
  });
  it('a heap that grows while the kernels allocate their outputs: the same numbers as without growth', async () => {
    await tf.setBackend('wasm');
    const heap = () => (tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm.HEAPU8.length;
    const before = heap();
    // x, the residual and w are allocated first; y, dx and dz alone are more than the heap had.
    const c: Case = { shape: [Math.ceil(before / (4 * 8) / 3), 8], relu: true, add: true };
    const grown = await run('wasm', c);
    expect(heap()).toBeGreaterThan(before);
    const after = heap();
    const again = await run('wasm', c);
    expect(heap()).toBe(after);
    const same = (a: Float32Array, b: Float32Array) =>
      a.length === b.length && a.every((v, i) => Object.is(v, b[i]));
    expect(
      [grown.y, grown.mean, grown.variance, ...grown.grads].every((v, i) =>
        same(v, [again.y, again.mean, again.variance, ...again.grads][i]!),
      ),
    ).toBe(true);
  });
});

describe('batch-norm on wasm runs as our two kernels', () => {
  it('a training step records the forward kernel and the gradient kernel, and leaks nothing', async () => {
    await tf.setBackend('wasm');
    const x = tf.randomNormal([4, 3, 3, 6]);
    const gamma = tf.ones([6]);
    const beta = tf.zeros([6]);
    const before = tf.memory().numTensors;
    const profile = await tf.profile(() => {
      const [dx] = tf.grads((a: tf.Tensor) => {
        const r = batchNormTrain(a, gamma, beta, { relu: true });
        tf.dispose([r.mean, r.variance]);
        return tf.sum(r.y);
      })([x]);
      dx!.dispose();
    });
    const names = profile.kernels.map((k) => k.name);
    expect(names).toContain(BATCH_NORM_TRAIN);
    expect(names).toContain(BATCH_NORM_TRAIN_GRAD);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, gamma, beta]);
  });

  it('inference mode (running statistics) is unchanged: the same as on cpu', async () => {
    const run = async (backend: string) => {
      await tf.setBackend(backend);
      return tf.tidy(() => {
        const x = tf.tensor4d(
          Array.from({ length: 2 * 2 * 2 * 5 }, (_, i) => Math.sin(i)),
          [2, 2, 2, 5],
        );
        const y = batchNormInfer(
          x,
          tf.tensor1d([1, 2, 0.5, 1, 3]),
          tf.tensor1d([0, 0.1, -0.2, 0.3, 1]),
          tf.tensor1d([0.1, -0.1, 0.2, 0, 0.5]),
          tf.tensor1d([1, 0.5, 2, 1.5, 0.25]),
          { relu: true, add: x },
        );
        return y.dataSync() as Float32Array;
      });
    };
    expectClose(await run('wasm'), await run('cpu'), 'inference');
  });
});

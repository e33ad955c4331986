// Batch-norm's memory during training (layers.batchNormTrain, backend/wasm-identity.ts): the
// gradient's temporaries are freed as each batch-norm's gradient finishes, not when the whole
// backward pass ends, and on wasm the tensors the tape saves share their buffers instead of
// being copies.
import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/main/trainer/backend/select';
import { heapAddress } from '../../src/main/trainer/backend/wasm-heap';
import { batchNormTrain } from '../../src/main/trainer/models/layers';

beforeAll(async () => {
  await initBackend('wasm'); // our wasm kernels and the eager freeing, as in a trainer process
});
afterAll(() => tf.setBackend('cpu'));

const ROWS = 64;
const CHANNELS = 16;
/** Bytes of one full-size tensor of the chains below. */
const FULL = ROWS * CHANNELS * 4;

/** The highest tfjs tensor-byte count during the gradient of `depth` batch-norms in a row. */
function peakOfChain(depth: number, relu: boolean): number {
  const x = tf.randomNormal([ROWS, CHANNELS], 0, 1, 'float32', 7);
  const gammas = Array.from({ length: depth }, (_, i) => tf.fill([CHANNELS], 1 + i / 10));
  const betas = Array.from({ length: depth }, () => tf.zeros([CHANNELS]));
  let peak = 0;
  const engine = tf.engine() as unknown as { runKernel: (...a: unknown[]) => unknown };
  const runKernel = engine.runKernel;
  engine.runKernel = (...a: unknown[]) => {
    const out = runKernel.apply(engine, a);
    peak = Math.max(peak, tf.memory().numBytes);
    return out;
  };
  try {
    const before = tf.memory().numBytes;
    tf.tidy(() => {
      const { grads } = tf.valueAndGrads((input: tf.Tensor, ...ps: tf.Tensor[]) => {
        let t = input;
        for (let i = 0; i < depth; i++) {
          const { y, mean, variance } = batchNormTrain(t, ps[i]!, ps[depth + i]!, { relu });
          tf.dispose([mean, variance]);
          t = y;
        }
        return tf.sum(tf.mul(t, t));
      })([x, ...gammas, ...betas]);
      grads.forEach((g) => g.dataSync());
    });
    return peak - before;
  } finally {
    engine.runKernel = runKernel;
    tf.dispose([x, ...gammas, ...betas]);
  }
}

describe('batch-norm in training', () => {
  for (const backend of ['cpu', 'wasm']) {
    for (const relu of [false, true]) {
      it(`frees each gradient's temporaries when that gradient is done (${backend}${relu ? ', with ReLU' : ''})`, async () => {
        await tf.setBackend(backend);
        const shallow = peakOfChain(2, relu);
        const deep = peakOfChain(8, relu);
        // Six more layers add their outputs and what they save (x, and the output with ReLU;
        // tfjs counts a shared buffer once per tensor), 2–3 full-size tensors each at the end of
        // the forward pass; a gradient's ten full-size temporaries (views counted) kept until the
        // pass ends would add ~50 (measured: 7 and 12 here, 55 and 67 with them kept).
        expect(deep - shallow).toBeLessThan(6 * (relu ? 4 : 3) * FULL);
      });
    }
  }
});

describe('Identity on wasm', () => {
  it('shares the buffer: a clone has the same heap address and outlives the original', async () => {
    await tf.setBackend('wasm');
    const backend = tf.backend() as BackendWasm;
    const x = tf.tensor1d([1, 2, 3]);
    const copy = tf.clone(x);
    expect(heapAddress(backend, copy)).toBe(heapAddress(backend, x));
    x.dispose();
    expect(Array.from(copy.dataSync())).toEqual([1, 2, 3]);
    copy.dispose();
  });

  it('keeps a variable’s saved value when the variable is assigned', async () => {
    await tf.setBackend('wasm');
    const v = tf.variable(tf.tensor1d([1, 2]));
    const saved = tf.clone(v);
    v.assign(tf.tensor1d([5, 6]));
    expect(Array.from(saved.dataSync())).toEqual([1, 2]);
    expect(Array.from(v.dataSync())).toEqual([5, 6]);
    tf.dispose([v, saved]);
  });
});

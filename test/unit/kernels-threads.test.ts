// Our SIMD kernels on several threads (kernel-threads.ts, simd/kernel-pool.ts,
// simd/shared-memory.ts): the wasm heap made shared, workers on it, and the same numbers, bit for
// bit, as on one thread.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/main/trainer/backend/select';
import {
  kernelThreadBatches,
  kernelThreads,
  setKernelThreads,
} from '../../src/main/trainer/backend/kernel-threads';
import { forceConvMethods } from '../../src/main/trainer/backend/wasm-kernels';
import type { ConvMethods } from '../../src/main/trainer/backend/wasm-kernels';
import { isSharedMemory, withSharedMemory } from '../../src/main/trainer/backend/simd/shared-memory';
import { KernelPool } from '../../src/main/trainer/backend/simd/kernel-pool';
import { KERNELS_WASM_BASE64 } from '../../src/main/trainer/backend/simd/kernels.generated';
import { sgdUpdateName } from '../../src/main/trainer/backend/simd/wat';
import { batchNormTrain } from '../../src/main/trainer/models/layers';
import { values } from '../helpers/values';

const require = createRequire(import.meta.url);
const TFJS_WASM = join(
  dirname(require.resolve('@tensorflow/tfjs-backend-wasm')),
  'tfjs-backend-wasm-simd.wasm',
);
const OURS = new Uint8Array(Buffer.from(KERNELS_WASM_BASE64, 'base64'));
const W = (globalThis as unknown as { WebAssembly: unknown }).WebAssembly as {
  Module: { new (b: Uint8Array): object; imports(m: object): { kind: string }[] };
  Memory: new (d: { initial: number; maximum?: number; shared?: boolean }) => { buffer: ArrayBuffer };
  Instance: new (m: object, i: object) => { exports: Record<string, (...a: number[]) => number> };
};

describe('withSharedMemory', () => {
  it("shares tfjs's own memory (defined in its binary) by one flag byte, nothing else", () => {
    const binary = new Uint8Array(readFileSync(TFJS_WASM));
    const shared = withSharedMemory(binary)!;
    expect(shared).not.toBeNull();
    const differing = [...shared.keys()].filter((i) => shared[i] !== binary[i]);
    expect(differing).toHaveLength(1);
    expect([binary[differing[0]!], shared[differing[0]!]]).toEqual([1, 3]);
    expect(() => new W.Module(shared)).not.toThrow();
  });

  it('shares the memory our kernel module imports, and only a shared memory then fits it', () => {
    const shared = withSharedMemory(OURS)!;
    const module = new W.Module(shared);
    const imports = (memory: object) => ({ env: { memory }, math: { exp: Math.exp, log: Math.log } });
    const sharedMemory = new W.Memory({ initial: 1, maximum: 65536, shared: true });
    expect(isSharedMemory(sharedMemory)).toBe(true);
    expect(() => new W.Instance(module, imports(sharedMemory))).not.toThrow();
    expect(() => new W.Instance(module, imports(new W.Memory({ initial: 1, maximum: 65536 })))).toThrow();
    expect(() => new W.Instance(new W.Module(OURS), imports(sharedMemory))).toThrow();
  });

  it('leaves alone what it cannot share: no maximum, no memory, not wasm', () => {
    // (module (memory 1)): a memory without a maximum cannot be shared.
    const noMax = Uint8Array.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 5, 3, 1, 0, 1]);
    expect(withSharedMemory(noMax)).toBeNull();
    expect(withSharedMemory(Uint8Array.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]))).toBeNull();
    expect(withSharedMemory(Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]))).toBeNull();
    expect(withSharedMemory(Uint8Array.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 5, 0x85]))).toBeNull();
  });
});

describe('KernelPool', () => {
  const memory = new W.Memory({ initial: 16, maximum: 65536, shared: true });
  const bytes = withSharedMemory(OURS)!;
  const local = new W.Instance(new W.Module(bytes), {
    env: { memory },
    math: { exp: Math.exp, log: Math.log },
  }).exports;
  let pool: KernelPool;
  beforeAll(async () => {
    pool = await KernelPool.start(3, memory, bytes, local);
  });
  afterAll(async () => {
    await pool.close();
  });

  // w ← w − lr·g over 7 units of 1,001 floats each: units 0–2 on this thread, 3–4 and 5–6 on the
  // two workers (⌊u·3/7⌋), every one written exactly once.
  it('runs every unit once, on the thread its number gives it', () => {
    const n = 1001;
    const f32 = new Float32Array(memory.buffer);
    const w = 0;
    const g = 7 * n * 4;
    const out = 2 * 7 * n * 4;
    f32.set(values(7 * n, 3), w / 4);
    f32.set(values(7 * n, 4), g / 4);
    f32.fill(NaN, out / 4, out / 4 + 7 * n);
    const calls = pool.record();
    for (let u = 0; u < 7; u++) {
      const at = u * n * 4;
      calls.call(u, sgdUpdateName(false, false, false), w + at, g + at, 0, out + at, 0, n, 0.5, 0, 0);
    }
    calls.finish();
    const expected = new Float32Array(7 * n);
    for (let i = 0; i < 7 * n; i++)
      expected[i] = Math.fround(f32[w / 4 + i]! - Math.fround(0.5 * f32[g / 4 + i]!));
    expect(Array.from(f32.subarray(out / 4, out / 4 + 7 * n))).toEqual(Array.from(expected));
  });

  it("reports a worker's trap as an error and stays usable", () => {
    const calls = pool.record();
    // Unit 6 runs on the last worker; its output address is past the end of the memory.
    calls.call(6, sgdUpdateName(false, false, false), 0, 0, 0, 0x7ffffff0, 0, 64, 1, 0, 0);
    expect(() => calls.finish()).toThrow(/kernel worker failed: .*(out of bounds|memory access)/i);
    const again = pool.record();
    again.call(6, sgdUpdateName(false, false, false), 0, 0, 0, 64, 0, 4, 1, 0, 0);
    expect(() => again.finish()).not.toThrow();
  });

  it('grows its call buffer past its first size', () => {
    const f32 = new Float32Array(memory.buffer);
    f32.fill(2, 0, 4);
    f32.fill(1, 4, 8);
    f32.fill(0, 8, 16);
    const calls = pool.record();
    // 10,000 calls (the buffer starts with room for 4,096): w − g = 2 − 1 into floats 8–11 (units
    // 0–7) and 12–15 (unit 8).
    for (let i = 0; i < 10000; i++)
      calls.call(
        i % 9,
        sgdUpdateName(false, false, false),
        0,
        16,
        0,
        32 + 16 * (i % 9 === 8 ? 1 : 0),
        0,
        4,
        1,
        0,
        0,
      );
    calls.finish();
    expect(Array.from(f32.subarray(8, 16))).toEqual([1, 1, 1, 1, 1, 1, 1, 1]);
  });
});

describe('convolutions on 2 threads give the numbers of 1 thread', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });
  afterEach(async () => {
    forceConvMethods({});
    await setKernelThreads(1);
  });

  function tensor(shape: number[], seed: number): tf.Tensor {
    return tf.tensor(
      values(
        shape.reduce((a, b) => a * b, 1),
        seed,
      ),
      shape,
    );
  }

  /** y, dx and dW of a conv of this shape, with bias and ReLU (forward) and a loss that weights every output. */
  function convAndGradients(
    x: tf.Tensor4D,
    w: tf.Tensor4D,
    bias: tf.Tensor1D,
    stride: number,
    pad: 'same' | 'valid',
  ): Float32Array[] {
    return tf.tidy(() => {
      const forward = (a: tf.Tensor4D, b: tf.Tensor4D) =>
        tf.fused.conv2d({ x: a, filter: b, strides: stride, pad, bias, activation: 'relu' });
      const y = forward(x, w);
      const weights = tensor(y.shape, 9);
      const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
        tf
          .conv2d(a as tf.Tensor4D, b as tf.Tensor4D, stride, pad)
          .mul(weights)
          .sum(),
      )([x, w]);
      return [y, dx!, dw!].map((t) => Float32Array.from(t.dataSync()));
    });
  }

  // Above the pool's threshold of work, odd batch (slices 1 + 2 images), channel tails (13
  // outputs: 3 vectors + 1 lane), stride 2, every formulation of ours forced in turn.
  const cases: [string, number[], number[], number, 'same' | 'valid', Partial<ConvMethods>][] = [
    [
      '3×3/1 same, odd batch, 13 outputs',
      [3, 24, 24, 32],
      [3, 3, 32, 13],
      1,
      'same',
      { forward: 'simd', filter: 'simd', input: 'simd' },
    ],
    [
      '3×3/2 valid, 37 inputs',
      [5, 33, 33, 37],
      [3, 3, 37, 24],
      2,
      'valid',
      { forward: 'simd', filter: 'simd', input: 'simd' },
    ],
    ['5×5/1 same, by the shape rules', [4, 16, 16, 32], [5, 5, 32, 32], 1, 'same', {}],
    // 128 inputs on 8×8 maps: the packed forward and the packed input gradient by the rules,
    // 5 images (blocks of positions that span images, split unevenly).
    ['3×3/1 same, 128 → 36, packed by the shape rules', [5, 8, 8, 128], [3, 3, 128, 36], 1, 'same', {}],
  ];
  it.each(cases)('%s', async (_name, xShape, wShape, stride, pad, methods) => {
    forceConvMethods(methods);
    const x = tensor(xShape, 1) as tf.Tensor4D;
    const w = tensor(wShape, 2).mul(0.1) as tf.Tensor4D;
    const bias = tensor([wShape[3]!], 3).mul(0.1) as tf.Tensor1D;
    await setKernelThreads(1);
    const one = convAndGradients(x, w, bias, stride, pad);
    await setKernelThreads(2);
    expect(kernelThreads()).toBe(2);
    const before = kernelThreadBatches();
    const two = convAndGradients(x, w, bias, stride, pad);
    // Our kernels ran split: at least both forwards and the filter gradient (its packing and
    // its product are a batch each), whichever formulations the rules pick for the rest.
    expect(kernelThreadBatches() - before).toBeGreaterThanOrEqual(methods.forward ? 5 : 3);
    tf.dispose([x, w, bias]);
    for (let i = 0; i < 3; i++) {
      expect(two[i]!.length).toBe(one[i]!.length);
      // Bit for bit (toEqual on typed arrays compares every element; NaN equals NaN).
      expect(Buffer.from(two[i]!.buffer).equals(Buffer.from(one[i]!.buffer))).toBe(true);
    }
  });

  // VGG's first pool; a NaN in image 50 (the worker's slice) makes the kernel answer "no finite
  // maximum", and the exact loop must redo the gradient just as on one thread.
  it.each([false, true])('max-pool gradient 2×2/2 (a NaN in the last slice: %s)', async (nan) => {
    const data = values(64 * 32 * 32 * 64, 5);
    if (nan) data[50 * 32 * 32 * 64 + 7] = NaN;
    const x = tf.tensor4d(data, [64, 32, 32, 64]);
    const weights = tensor([64, 16, 16, 64], 6);
    const gradient = () =>
      tf.tidy(() =>
        Float32Array.from(
          tf
            .grad((a: tf.Tensor) =>
              tf
                .maxPool(a as tf.Tensor4D, 2, 2, 'valid')
                .mul(weights)
                .sum(),
            )(x)
            .dataSync(),
        ),
      );
    await setKernelThreads(1);
    const one = gradient();
    await setKernelThreads(2);
    const before = kernelThreadBatches();
    const two = gradient();
    expect(kernelThreadBatches() - before).toBe(1);
    tf.dispose([x, weights]);
    expect(Buffer.from(two.buffer).equals(Buffer.from(one.buffer))).toBe(true);
    expect(one.some((v) => v !== 0)).toBe(true);
  });

  // 64 × 32 × 32 rows of 18 channels (a vector tail of 2), 32 row blocks: the forward's three
  // passes and the gradient's two split across the threads, with a residual and a ReLU.
  it('batch-norm forward and gradient', async () => {
    const x = tensor([64, 32, 32, 18], 7);
    const residual = tensor([64, 32, 32, 18], 8);
    const gamma = tensor([18], 9);
    const beta = tensor([18], 10);
    const weights = tensor([64, 32, 32, 18], 11);
    const pass = () =>
      tf.tidy(() => {
        const f = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor, r: tf.Tensor) =>
          batchNormTrain(a, g, b, { relu: true, add: r }).y.mul(weights).sum();
        const { value, grads } = tf.valueAndGrads(f)([x, gamma, beta, residual]);
        const out = batchNormTrain(x, gamma, beta, { relu: true, add: residual });
        return [value, ...grads, out.y, out.mean, out.variance].map((t) => Float32Array.from(t.dataSync()));
      });
    await setKernelThreads(1);
    const one = pass();
    await setKernelThreads(2);
    const before = kernelThreadBatches();
    const two = pass();
    expect(kernelThreadBatches() - before).toBeGreaterThanOrEqual(5);
    tf.dispose([x, residual, gamma, beta, weights]);
    expect(two).toHaveLength(one.length);
    for (let i = 0; i < one.length; i++) {
      expect(Buffer.from(two[i]!.buffer).equals(Buffer.from(one[i]!.buffer)), `output ${i}`).toBe(true);
    }
  });

  it('refuses a thread count that is not an integer ≥ 1, and keeps the one in use', async () => {
    await setKernelThreads(2);
    await expect(setKernelThreads(0)).rejects.toThrow('threads must be an integer ≥ 1, got 0');
    await expect(setKernelThreads(1.5)).rejects.toThrow('got 1.5');
    expect(kernelThreads()).toBe(2);
  });

  it('has no threads on a backend other than wasm', async () => {
    tf.setBackend('cpu');
    try {
      await setKernelThreads(2);
      expect(kernelThreads()).toBe(1);
    } finally {
      tf.setBackend('wasm');
    }
  });
});

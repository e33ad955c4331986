// The depthwise convolution's SIMD kernels, forward and both gradients
// (src/main/trainer/backend/simd/depthwise.ts), against the cpu backend (tfjs's reference implementation) on the same inputs: lane tails (channel
// counts that are not a multiple of 4, and fewer than 4), odd sizes, strides 1 and 2, 'same',
// 'valid' and explicit padding, a batch of 1 and of several, images chunked several to a call
// and images split into bands of rows, filters up to 3×3, and a grown heap.

import * as tf from '@tensorflow/tfjs-core';
import {
  DepthwiseConv2dNative,
  DepthwiseConv2dNativeBackpropFilter,
  DepthwiseConv2dNativeBackpropInput,
} from '@tensorflow/tfjs-core';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/main/trainer/backend/select';
import { forceDepthwiseForward, forceDepthwiseLoop } from '../../src/main/trainer/backend/wasm-kernels';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { depthwiseSimdCovers } from '../../src/main/trainer/backend/simd/depthwise';
import {
  depthwiseFilterGradName,
  depthwiseGatherName,
} from '../../src/main/trainer/backend/simd/depthwise-wat';
import { kernels } from '../../src/main/trainer/backend/simd/kernels';
import { heapAddress, heapF32 } from '../../src/main/trainer/backend/wasm-heap';
import { values } from '../helpers/values';

type Shape4 = [number, number, number, number];
type Pad = 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]];

const explicit = (top: number, bottom: number, left: number, right: number): Pad => [
  [0, 0],
  [top, bottom],
  [left, right],
  [0, 0],
];

interface Case {
  n: number;
  h: number;
  w: number;
  c: number;
  k: [number, number];
  stride: [number, number];
  pad: Pad;
  why: string;
}

const CASES: Case[] = [
  { n: 1, h: 7, w: 9, c: 1, k: [3, 3], stride: [1, 1], pad: 'same', why: 'one lane, batch of 1' },
  { n: 3, h: 9, w: 8, c: 2, k: [3, 3], stride: [2, 2], pad: 'same', why: 'two lanes, stride 2' },
  { n: 2, h: 10, w: 11, c: 3, k: [3, 3], stride: [2, 2], pad: 'valid', why: 'three lanes, valid' },
  { n: 2, h: 8, w: 8, c: 4, k: [3, 3], stride: [1, 1], pad: 'valid', why: 'one whole vector' },
  { n: 2, h: 11, w: 11, c: 5, k: [3, 3], stride: [2, 2], pad: explicit(1, 1, 1, 1), why: 'vector + 1' },
  { n: 4, h: 8, w: 8, c: 6, k: [3, 3], stride: [2, 2], pad: explicit(1, 1, 1, 1), why: "MobileNetV2's s2" },
  { n: 3, h: 7, w: 7, c: 7, k: [3, 3], stride: [1, 1], pad: explicit(1, 1, 1, 1), why: "MobileNetV2's s1" },
  { n: 2, h: 9, w: 7, c: 13, k: [3, 3], stride: [1, 2], pad: 'same', why: 'mixed strides, 3 vectors + 1' },
  { n: 2, h: 6, w: 9, c: 16, k: [3, 3], stride: [2, 1], pad: 'same', why: 'mixed strides, whole vectors' },
  { n: 2, h: 8, w: 7, c: 9, k: [2, 2], stride: [2, 2], pad: 'same', why: '2×2 stride 2 (one tap a class)' },
  { n: 2, h: 5, w: 6, c: 10, k: [2, 3], stride: [1, 1], pad: 'same', why: '2×3, uneven padding' },
  { n: 2, h: 6, w: 5, c: 3, k: [1, 1], stride: [1, 1], pad: 'valid', why: '1×1' },
  { n: 1, h: 9, w: 9, c: 5, k: [3, 3], stride: [2, 2], pad: explicit(2, 0, 0, 2), why: 'lopsided padding' },
  { n: 2, h: 4, w: 4, c: 3, k: [3, 3], stride: [1, 1], pad: explicit(2, 2, 2, 2), why: 'padding of 2' },
  { n: 1, h: 1, w: 1, c: 6, k: [3, 3], stride: [1, 1], pad: 'same', why: 'one pixel' },
  { n: 7, h: 5, w: 5, c: 11, k: [3, 3], stride: [1, 1], pad: 'same', why: 'many images to a chunk' },
  // 40×40×48 floats (~300 KB bordered) is more than a chunk's 256 KB: bands of rows.
  { n: 1, h: 40, w: 40, c: 48, k: [3, 3], stride: [1, 1], pad: 'same', why: 'bands of rows, stride 1' },
  { n: 2, h: 41, w: 39, c: 50, k: [3, 3], stride: [2, 2], pad: explicit(1, 1, 1, 1), why: 'bands, stride 2' },
];

function tensor(shape: number[], seed: number): tf.Tensor {
  return tf.tensor(
    values(
      shape.reduce((a, b) => a * b, 1),
      seed,
    ),
    shape,
  );
}

function info(c: Case): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computeConv2DInfo(
    [c.n, c.h, c.w, c.c],
    [c.k[0], c.k[1], c.c, 1],
    c.stride,
    1,
    c.pad,
    undefined,
    true,
  );
}

interface Result {
  shape: number[];
  data: Float32Array;
}

function runOn(backend: string, f: () => tf.Tensor): Result {
  tf.setBackend(backend);
  return tf.tidy(() => {
    const t = f();
    return { shape: t.shape, data: Float32Array.from(t.dataSync()) };
  });
}

/** max |got − want| / max |want|, after checking shapes and that every value is finite. */
function relativeError(got: Result, want: Result): number {
  expect(got.shape).toEqual(want.shape);
  let err = 0;
  let scale = 0;
  for (let i = 0; i < want.data.length; i++) {
    expect(Number.isFinite(got.data[i]!)).toBe(true);
    err = Math.max(err, Math.abs(got.data[i]! - want.data[i]!));
    scale = Math.max(scale, Math.abs(want.data[i]!));
  }
  return scale === 0 ? err : err / scale;
}

const TOLERANCE = 1e-5;

function forward(c: Case): tf.Tensor {
  const x = tensor([c.n, c.h, c.w, c.c], 11);
  const filter = tensor([c.k[0], c.k[1], c.c, 1], 12);
  return tf
    .engine()
    .runKernel(
      DepthwiseConv2dNative,
      { x, filter },
      { strides: c.stride, pad: c.pad, dilations: 1, dataFormat: 'NHWC' },
    ) as tf.Tensor;
}

function filterGrad(c: Case): tf.Tensor {
  const x = tensor([c.n, c.h, c.w, c.c], 7);
  const dy = tensor(info(c).outShape, 8);
  return tf
    .engine()
    .runKernel(
      DepthwiseConv2dNativeBackpropFilter,
      { x, dy },
      { strides: c.stride, pad: c.pad, dilations: 1, filterShape: [c.k[0], c.k[1], c.c, 1] },
    ) as tf.Tensor;
}

function inputGrad(c: Case): tf.Tensor {
  const dy = tensor(info(c).outShape, 9);
  const filter = tensor([c.k[0], c.k[1], c.c, 1], 10);
  return tf
    .engine()
    .runKernel(
      DepthwiseConv2dNativeBackpropInput,
      { dy, filter },
      { strides: c.stride, pad: c.pad, dilations: 1, inputShape: [c.n, c.h, c.w, c.c] },
    ) as tf.Tensor;
}

beforeAll(async () => {
  await initBackend('wasm'); // registers our kernels
  await tf.setBackend('cpu');
});

afterEach(() => {
  forceDepthwiseLoop(false);
  forceDepthwiseForward(null);
});

describe('SIMD depthwise gradients on wasm, against cpu', () => {
  for (const c of CASES) {
    const name = `${c.why}: x ${[c.n, c.h, c.w, c.c].join('×')}, ${c.k.join('×')}/${c.stride.join('×')}, ${typeof c.pad === 'string' ? c.pad : JSON.stringify(c.pad.slice(1, 3))}`;
    it(`take the SIMD kernels (${name})`, () => {
      expect(depthwiseSimdCovers(info(c))).toBe(true);
    });
    it(`forward (${name})`, () => {
      expect(
        relativeError(
          runOn('wasm', () => forward(c)),
          runOn('cpu', () => forward(c)),
        ),
      ).toBeLessThan(TOLERANCE);
    });
    it(`filter gradient (${name})`, () => {
      expect(
        relativeError(
          runOn('wasm', () => filterGrad(c)),
          runOn('cpu', () => filterGrad(c)),
        ),
      ).toBeLessThan(TOLERANCE);
    });
    it(`input gradient (${name})`, () => {
      expect(
        relativeError(
          runOn('wasm', () => inputGrad(c)),
          runOn('cpu', () => inputGrad(c)),
        ),
      ).toBeLessThan(TOLERANCE);
    });
  }

  it('agree with the JS loop and XNNPACK they replace on a MobileNetV2 layer (16×16×24, stride 2, pad 1)', () => {
    const c: Case = {
      n: 3,
      h: 16,
      w: 16,
      c: 24,
      k: [3, 3],
      stride: [2, 2],
      pad: explicit(1, 1, 1, 1),
      why: '',
    };
    const simd = [
      runOn('wasm', () => forward(c)),
      runOn('wasm', () => filterGrad(c)),
      runOn('wasm', () => inputGrad(c)),
    ];
    forceDepthwiseLoop(true);
    forceDepthwiseForward('xnnpack');
    const loop = [
      runOn('wasm', () => forward(c)),
      runOn('wasm', () => filterGrad(c)),
      runOn('wasm', () => inputGrad(c)),
    ];
    for (let k = 0; k < 3; k++) expect(relativeError(simd[k]!, loop[k]!)).toBeLessThan(TOLERANCE);
  });

  it('still read and write the right tensors after the wasm heap has grown', () => {
    tf.setBackend('wasm');
    const heap = (): number =>
      (tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm.HEAPU8.length;
    const before = heap();
    const big = tf.zeros([before / 4 + 1024]); // more floats than the heap has bytes: it must grow
    expect(heap()).toBeGreaterThan(before);
    const c = CASES.find((k) => k.c === 13)!;
    expect(
      relativeError(
        runOn('wasm', () => filterGrad(c)),
        runOn('cpu', () => filterGrad(c)),
      ),
    ).toBeLessThan(TOLERANCE);
    expect(
      relativeError(
        runOn('wasm', () => inputGrad(c)),
        runOn('cpu', () => inputGrad(c)),
      ),
    ).toBeLessThan(TOLERANCE);
    tf.setBackend('wasm');
    big.dispose();
  });

  it('read and write only the lanes of a tail (kernels called on a laid-out heap buffer)', () => {
    tf.setBackend('wasm');
    const backend = tf.backend() as BackendWasm;
    const fn = kernels(backend);
    for (const tail of [1, 2, 3]) {
      // Two positions of `tail` channels each, a filter of one tap, then the output; the floats
      // after each region are sentinels a whole-vector load would read and a store would change.
      const c = tail;
      const [x, dy, w, out] = [0, 16, 32, 48]; // float offsets
      const buffer = tf.fill([64], 99);
      const view = heapF32(backend, buffer);
      for (let i = 0; i < 2 * c; i++) {
        view[x + i] = i + 1;
        view[dy + i] = 10 * (i + 1);
      }
      for (let i = 0; i < c; i++) view[w + i] = 0.5 * (i + 1);
      const at = heapAddress(backend, buffer);
      // dx[p, ch] = dy[p, ch] · w[ch] over a grid of 1 row × 2 columns.
      fn[depthwiseGatherName(1, tail)]!(
        at + dy * 4,
        at + w * 4,
        at + out * 4,
        1,
        1,
        1,
        2,
        0,
        0,
        c * 4,
        0,
        0,
        c * 4,
        0,
        0,
      );
      const dx = Array.from(heapF32(backend, buffer).subarray(out, out + 16));
      const want = Array.from({ length: 16 }, (_, i) =>
        i < 2 * c ? 10 * (i + 1) * 0.5 * ((i % c) + 1) : 99,
      );
      expect(dx).toEqual(want);
      // dW[ch] += Σ_p x[p, ch] · dy[p, ch], onto the 99 already there.
      fn[depthwiseFilterGradName(1, tail)]!(
        at + x * 4,
        at + dy * 4,
        at + out * 4,
        1,
        1,
        1,
        2,
        0,
        0,
        c * 4,
        c * 4,
        c * 4,
        0,
      );
      const dw = Array.from(heapF32(backend, buffer).subarray(out, out + 16));
      const sums = Array.from(
        { length: c },
        (_, ch) => want[ch]! + (ch + 1) * 10 * (ch + 1) + (c + ch + 1) * 10 * (c + ch + 1),
      );
      expect(dw).toEqual([...sums, ...want.slice(c)]);
      buffer.dispose();
    }
  });

  it('leave no tensors or wasm allocations behind (scratch buffers are freed)', () => {
    tf.setBackend('wasm');
    const backend = tf.backend() as tf.KernelBackend & { numDataIds(): number };
    const c = CASES.find((k) => k.why.startsWith('bands, stride 2'))!;
    const run = () =>
      tf.tidy(() => {
        const [gx, gw] = tf.grads((x, w) =>
          tf.sum(tf.square(tf.depthwiseConv2d(x as tf.Tensor4D, w as tf.Tensor4D, c.stride, c.pad))),
        )([tensor([c.n, c.h, c.w, c.c], 13), tensor([3, 3, c.c, 1], 14)]);
        return tf.add(tf.sum(gx!), tf.sum(gw!));
      });
    run().dispose();
    const tensors = tf.memory().numTensors;
    const dataIds = backend.numDataIds();
    run().dispose();
    expect(tf.memory().numTensors).toBe(tensors);
    expect(backend.numDataIds()).toBe(dataIds);
  });

  it('leave dilation and channel multipliers to the JS loop', () => {
    const shape: Shape4 = [1, 8, 8, 4];
    const at = (k: number, mult: number, dilation: number, stride = 1) =>
      tf.backend_util.computeConv2DInfo(shape, [k, k, 4, mult], stride, dilation, 'same', undefined, true);
    expect(depthwiseSimdCovers(at(3, 1, 1))).toBe(true);
    expect(depthwiseSimdCovers(at(3, 2, 1))).toBe(false);
    expect(depthwiseSimdCovers(at(3, 1, 2))).toBe(false);
    expect(depthwiseSimdCovers(at(5, 1, 1))).toBe(false);
    expect(depthwiseSimdCovers(at(1, 1, 1, 2))).toBe(false);
  });
});

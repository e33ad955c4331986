// The kernels src/main/trainer/backend/wasm-kernels.ts registers for the wasm backend, checked
// against the cpu backend (tfjs's reference implementation) on the same inputs.

import * as tf from '@tensorflow/tfjs-core';
import {
  BatchMatMul,
  Conv2D,
  Conv2DBackpropFilter,
  Conv2DBackpropInput,
  DepthwiseConv2dNativeBackpropFilter,
  DepthwiseConv2dNativeBackpropInput,
  FusedConv2D,
  MaxPoolGrad,
  UnsortedSegmentSum,
} from '@tensorflow/tfjs-core';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/main/trainer/backend/select';
import {
  convMethods,
  forceConvMethods,
  registerWasmKernels,
  restoreWasmKernels,
  WASM_KERNEL_NAMES,
} from '../../src/main/trainer/backend/wasm-kernels';
import type {
  FilterGradMethod,
  ForwardMethod,
  InputGradMethod,
} from '../../src/main/trainer/backend/wasm-kernels';
import { values } from '../helpers/values';

type Shape4 = [number, number, number, number];
type Pad = 'same' | 'valid' | number;

function tensor(shape: number[], seed: number): tf.Tensor {
  return tf.tensor(
    values(
      shape.reduce((a, b) => a * b, 1),
      seed,
    ),
    shape,
  );
}

interface Result {
  shape: number[];
  data: Float32Array;
}

/** Runs f on cpu, then on wasm, and returns both results (data copied out, tensors disposed). */
function onBoth(f: () => tf.Tensor | tf.Tensor[]): { cpu: Result[]; wasm: Result[] } {
  const runOn = (backend: string): Result[] => {
    tf.setBackend(backend);
    return tf.tidy(() => {
      const out = f();
      return (Array.isArray(out) ? out : [out]).map((t) => ({
        shape: t.shape,
        data: Float32Array.from(t.dataSync()),
      }));
    });
  };
  const cpu = runOn('cpu');
  const wasm = runOn('wasm');
  return { cpu, wasm };
}

/** max |wasm − cpu| / max |cpu|, per output; shapes must agree. */
function relativeErrors({ cpu, wasm }: { cpu: Result[]; wasm: Result[] }): number[] {
  expect(wasm.map((r) => r.shape)).toEqual(cpu.map((r) => r.shape));
  return cpu.map((ref, k) => {
    const got = wasm[k]!.data;
    let err = 0;
    let scale = 0;
    for (let i = 0; i < ref.data.length; i++) {
      err = Math.max(err, Math.abs(got[i]! - ref.data[i]!));
      scale = Math.max(scale, Math.abs(ref.data[i]!));
    }
    expect(Number.isFinite(err)).toBe(true);
    return scale === 0 ? err : err / scale;
  });
}

const TOLERANCE = 1e-4;

function expectClose(f: () => tf.Tensor | tf.Tensor[]): void {
  for (const e of relativeErrors(onBoth(f))) expect(e).toBeLessThan(TOLERANCE);
}

beforeAll(async () => {
  await initBackend('wasm'); // registers the kernels and tfjs-core's gradients
  await tf.setBackend('cpu'); // initialise cpu once up front too
});

afterEach(() => {
  forceConvMethods({});
  registerWasmKernels();
});

interface ConvCase {
  n: number;
  h: number;
  w: number;
  cin: number;
  cout: number;
  k: number | [number, number];
  stride: number | [number, number];
  pad: Pad;
}

const CONV_CASES: ConvCase[] = [
  { n: 1, h: 7, w: 9, cin: 1, cout: 2, k: 3, stride: 1, pad: 'same' },
  { n: 3, h: 9, w: 8, cin: 3, cout: 5, k: 3, stride: 2, pad: 'same' },
  { n: 2, h: 10, w: 11, cin: 4, cout: 3, k: 5, stride: 2, pad: 'valid' },
  { n: 2, h: 11, w: 11, cin: 4, cout: 3, k: 5, stride: 2, pad: 'valid' },
  { n: 1, h: 12, w: 12, cin: 1, cout: 6, k: 5, stride: 1, pad: 'valid' },
  { n: 4, h: 14, w: 14, cin: 6, cout: 16, k: 5, stride: 1, pad: 'same' },
  { n: 2, h: 9, w: 9, cin: 3, cout: 4, k: 4, stride: 2, pad: 'same' },
  { n: 2, h: 8, w: 8, cin: 3, cout: 4, k: 1, stride: 2, pad: 'valid' },
  { n: 2, h: 6, w: 7, cin: 2, cout: 3, k: [2, 3], stride: [1, 2], pad: 'same' },
  { n: 1, h: 5, w: 5, cin: 32, cout: 8, k: 3, stride: 1, pad: 'same' },
  { n: 2, h: 8, w: 7, cin: 2, cout: 3, k: 3, stride: 1, pad: 1 },
  // The SIMD kernels' blocks: output channels in one, two and three vectors with 1–3 lanes
  // left over, more (j, c) values in a filter row than one block holds (7·5 = 35 > 6 and > 32),
  // and images larger than one pass over the cache holds (40×40×8 in, 40×40×16 out: one at a time).
  { n: 2, h: 9, w: 10, cin: 1, cout: 7, k: 5, stride: 1, pad: 'valid' },
  { n: 2, h: 9, w: 9, cin: 5, cout: 19, k: [3, 7], stride: 1, pad: 'same' },
  { n: 3, h: 40, w: 40, cin: 8, cout: 16, k: 3, stride: 1, pad: 'same' },
  // The filter gradient's product: 1×1 stride 1 reads x in place as its panel ('same' pads
  // nothing there), but not once padding is real; 4 rows a block, so kw·cin = 9, 6, 35 and 5
  // leave 1, 2, 3 and 1 rows over; dy is read in place with ≤ 64 filter values and channels in
  // whole blocks of 8 (the 24- and 8-channel cases, and 48×48×16, which is more than one chunk
  // of 256 KB, so one image a chunk), packed otherwise.
  { n: 3, h: 6, w: 5, cin: 5, cout: 9, k: 1, stride: 1, pad: 'same' },
  { n: 3, h: 6, w: 5, cin: 9, cout: 24, k: 1, stride: 1, pad: 'valid' },
  { n: 2, h: 5, w: 6, cin: 7, cout: 13, k: 1, stride: 1, pad: 1 },
  { n: 2, h: 9, w: 9, cin: 3, cout: 8, k: 3, stride: 2, pad: 'same' },
  { n: 3, h: 48, w: 48, cin: 2, cout: 16, k: 3, stride: 1, pad: 'same' },
  { n: 16, h: 28, w: 28, cin: 1, cout: 6, k: 5, stride: 1, pad: 'valid' }, // LeNet-5 (batch 16)
  { n: 16, h: 12, w: 12, cin: 6, cout: 16, k: 5, stride: 1, pad: 'valid' },
  // The packed forward's blocks run across rows and images (2×2 and 3×3 maps, 27 positions: a
  // last block of 3), its panels of 8 channels end in 5 (13 = 8 + 5) or a 4-wide panel (12 = 8 +
  // 4), and AlexNet's 11×11 stride-4 stem reads windows 4 columns apart.
  { n: 3, h: 2, w: 2, cin: 33, cout: 13, k: 3, stride: 1, pad: 'same' },
  { n: 3, h: 3, w: 3, cin: 20, cout: 12, k: 3, stride: 1, pad: 'same' },
  { n: 2, h: 32, w: 32, cin: 3, cout: 10, k: 11, stride: 4, pad: 'same' },
  // …and longer sums: 432 positions of 3·3·64 taps, and filter rows of 3·180 = 540 taps.
  { n: 3, h: 12, w: 12, cin: 64, cout: 9, k: 3, stride: 1, pad: 'same' },
  { n: 2, h: 5, w: 5, cin: 180, cout: 9, k: 3, stride: 1, pad: 'same' },
  // Empty: the SIMD loops run at least once, so their drivers must answer these themselves.
  { n: 0, h: 8, w: 8, cin: 3, cout: 4, k: 3, stride: 1, pad: 'same' },
  { n: 2, h: 4, w: 4, cin: 3, cout: 4, k: 5, stride: 1, pad: 'valid' },
];

function describeCase(c: ConvCase): string {
  return `x ${c.n}×${c.h}×${c.w}×${c.cin}, ${String(c.k)} → ${c.cout}, stride ${String(c.stride)}, ${c.pad}`;
}

function convShapes(c: ConvCase): { x: Shape4; filter: Shape4; dy: Shape4 } {
  const [kh, kw] = typeof c.k === 'number' ? [c.k, c.k] : c.k;
  const x: Shape4 = [c.n, c.h, c.w, c.cin];
  const filter: Shape4 = [kh, kw, c.cin, c.cout];
  const info = tf.backend_util.computeConv2DInfo(x, filter, c.stride, 1, c.pad);
  return { x, filter, dy: info.outShape };
}

describe('Conv2D and FusedConv2D on wasm', () => {
  for (const method of ['simd', 'packed', 'xnnpack', undefined] as (ForwardMethod | undefined)[]) {
    describe(method ?? 'chosen by shape', () => {
      for (const c of CONV_CASES) {
        it(`${describeCase(c)}: plain, + bias + ReLU, + bias`, () => {
          forceConvMethods({ forward: method });
          const s = convShapes(c);
          expectClose(() => {
            const x = tensor(s.x, 11);
            const filter = tensor(s.filter, 12);
            const bias = tensor([c.cout], 13);
            const attrs = { strides: c.stride, pad: c.pad, dataFormat: 'NHWC', dilations: 1 };
            const fused = (activation: string) =>
              tf.engine().runKernel(FusedConv2D, { x, filter, bias }, { ...attrs, activation }) as tf.Tensor;
            return [
              tf.engine().runKernel(Conv2D, { x, filter }, attrs) as tf.Tensor,
              fused('relu'),
              fused('linear'),
            ];
          });
        });
      }
    });
  }

  it('gives exactly what XNNPACK gives, simd and packed (same order of summation), so runs reproduce', () => {
    tf.setBackend('wasm');
    for (const c of CONV_CASES) {
      const s = convShapes(c);
      const out = (method: ForwardMethod) =>
        tf.tidy(() => {
          forceConvMethods({ forward: method });
          const inputs = { x: tensor(s.x, 14), filter: tensor(s.filter, 15), bias: tensor([c.cout], 16) };
          const attrs = {
            strides: c.stride,
            pad: c.pad,
            dataFormat: 'NHWC',
            dilations: 1,
            activation: 'relu',
          };
          return (tf.engine().runKernel(FusedConv2D, inputs, attrs) as tf.Tensor).dataSync();
        });
      const xnnpack = out('xnnpack');
      expect(out('simd'), describeCase(c)).toEqual(xnnpack);
      expect(out('packed'), describeCase(c)).toEqual(xnnpack);
    }
  });

  it('leaves what it does not support (dilation, other activations) to XNNPACK', () => {
    forceConvMethods({ forward: 'simd' });
    expectClose(() => {
      const x = tensor([2, 9, 9, 3], 17);
      const filter = tensor([3, 3, 3, 4], 18);
      const bias = tensor([4], 19);
      const attrs = { strides: 1, pad: 'same', dataFormat: 'NHWC' };
      return [
        tf.engine().runKernel(Conv2D, { x, filter }, { ...attrs, dilations: 2 }) as tf.Tensor,
        tf
          .engine()
          .runKernel(
            FusedConv2D,
            { x, filter, bias },
            { ...attrs, dilations: 1, activation: 'relu6' },
          ) as tf.Tensor,
      ];
    });
  });
});

describe('Conv2DBackpropFilter on wasm', () => {
  for (const method of ['simd', 'dilated', undefined] as (FilterGradMethod | undefined)[]) {
    describe(method ?? 'chosen by shape', () => {
      for (const c of CONV_CASES) {
        it(describeCase(c), () => {
          forceConvMethods({ filter: method });
          const s = convShapes(c);
          expectClose(
            () =>
              tf
                .engine()
                .runKernel(
                  Conv2DBackpropFilter,
                  { x: tensor(s.x, 1), dy: tensor(s.dy, 2) },
                  { strides: c.stride, pad: c.pad, dataFormat: 'NHWC', filterShape: s.filter },
                ) as tf.Tensor,
          );
        });
      }
    });
  }
});

describe('the SIMD kernels', () => {
  it('still read and write the right tensors after the wasm heap has grown', () => {
    tf.setBackend('wasm');
    const heap = (): number =>
      (tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm.HEAPU8.length;
    const before = heap();
    const big = tf.zeros([before / 4 + 1024]); // more floats than the heap has bytes: it must grow
    expect(heap()).toBeGreaterThan(before);
    const c = CONV_CASES.find((k) => k.cout === 19)!;
    const s = convShapes(c);
    forceConvMethods({ filter: 'simd', input: 'simd' });
    expectClose(() => {
      const x = tensor(s.x, 7);
      const dy = tensor(s.dy, 8);
      const filter = tensor(s.filter, 9);
      const attrs = { strides: c.stride, pad: c.pad, dataFormat: 'NHWC' };
      const packed = (): tf.Tensor[] => {
        forceConvMethods({ forward: 'packed', input: 'packed' });
        const out = [
          tf.engine().runKernel(Conv2D, { x, filter }, { ...attrs, dilations: 1 }) as tf.Tensor,
          tf
            .engine()
            .runKernel(Conv2DBackpropInput, { dy, filter }, { ...attrs, inputShape: s.x }) as tf.Tensor,
        ];
        forceConvMethods({ filter: 'simd', input: 'simd' });
        return out;
      };
      return [
        ...packed(),
        tf
          .engine()
          .runKernel(Conv2DBackpropFilter, { x, dy }, { ...attrs, filterShape: s.filter }) as tf.Tensor,
        tf
          .engine()
          .runKernel(Conv2DBackpropInput, { dy, filter }, { ...attrs, inputShape: s.x }) as tf.Tensor,
      ];
    });
    big.dispose();
  });
});

describe('the choice of convolution-gradient formulation', () => {
  const methods = (x: Shape4, filter: Shape4, pad: Pad) =>
    convMethods(tf.backend_util.computeConv2DInfo(x, filter, 1, 1, pad));
  it('takes the SIMD kernels for LeNet-5 and the thesis’s convnet’s first layer', () => {
    const simd = { forward: 'simd', filter: 'simd', input: 'simd' };
    expect(methods([64, 28, 28, 1], [5, 5, 1, 6], 'valid')).toEqual(simd);
    expect(methods([64, 12, 12, 6], [5, 5, 6, 16], 'valid')).toEqual(simd);
    expect(methods([64, 28, 28, 1], [5, 5, 1, 32], 'same').filter).toBe('simd');
  });
  it('takes the packed input gradient where many channels meet small images', () => {
    expect(methods([64, 7, 7, 64], [5, 5, 64, 64], 'same')).toEqual({
      forward: 'simd',
      filter: 'simd',
      input: 'packed',
    });
  });
  it('takes the packed forward and input gradient from 128 input channels on (VGG’s and ResNet’s deep layers)', () => {
    const deep = { forward: 'packed', filter: 'simd', input: 'packed' };
    expect(methods([64, 8, 8, 256], [3, 3, 256, 256], 'same')).toEqual(deep);
    expect(methods([64, 4, 4, 512], [3, 3, 512, 512], 'same')).toEqual(deep);
    expect(methods([64, 2, 2, 512], [3, 3, 512, 512], 'same')).toEqual(deep);
    expect(methods([64, 16, 16, 128], [3, 3, 128, 128], 'same').forward).toBe('packed');
    // …but not with fewer channels: there the unpacked SIMD forward is faster.
    expect(methods([64, 32, 32, 64], [3, 3, 64, 64], 'same').forward).toBe('simd');
    expect(methods([64, 8, 8, 64], [3, 3, 64, 256], 'same').forward).toBe('simd');
  });
  it('takes the packed forward for strided layers from 256 input channels, SIMD for AlexNet’s stem, XNNPACK otherwise', () => {
    const forward = (x: Shape4, filter: Shape4, stride: number) =>
      convMethods(tf.backend_util.computeConv2DInfo(x, filter, stride, 1, 'same')).forward;
    expect(forward([64, 8, 8, 256], [3, 3, 256, 512], 2)).toBe('packed');
    expect(forward([64, 8, 8, 256], [1, 1, 256, 512], 2)).toBe('packed');
    expect(forward([64, 32, 32, 3], [11, 11, 3, 64], 4)).toBe('simd');
    expect(forward([64, 32, 32, 64], [1, 1, 64, 128], 2)).toBe('xnnpack');
    expect(forward([64, 16, 16, 128], [3, 3, 128, 256], 2)).toBe('xnnpack');
    expect(forward([64, 28, 28, 3], [3, 3, 3, 16], 2)).toBe('xnnpack');
  });
  it('takes the SIMD filter gradient for ResNet’s 3×3 stride-2 layers and its 1×1 shortcuts', () => {
    const strided = (x: Shape4, filter: Shape4) =>
      convMethods(tf.backend_util.computeConv2DInfo(x, filter, 2, 1, 'same')).filter;
    expect(strided([64, 16, 16, 128], [3, 3, 128, 256])).toBe('simd');
    expect(strided([64, 8, 8, 256], [3, 3, 256, 512])).toBe('simd');
    expect(strided([64, 8, 8, 256], [1, 1, 256, 512])).toBe('simd');
    expect(strided([64, 32, 32, 64], [3, 3, 64, 128])).toBe('simd');
    expect(strided([64, 14, 14, 64], [3, 3, 64, 64])).toBe('simd');
  });
});

describe('Conv2DBackpropInput on wasm', () => {
  for (const method of ['simd', 'conv', 'packed', undefined] as (InputGradMethod | undefined)[]) {
    describe(method ?? 'chosen by shape', () => {
      for (const c of CONV_CASES) {
        it(describeCase(c), () => {
          forceConvMethods({ input: method });
          const s = convShapes(c);
          expectClose(
            () =>
              tf
                .engine()
                .runKernel(
                  Conv2DBackpropInput,
                  { dy: tensor(s.dy, 3), filter: tensor(s.filter, 4) },
                  { strides: c.stride, pad: c.pad, dataFormat: 'NHWC', inputShape: s.x },
                ) as tf.Tensor,
          );
        });
      }
    });
  }

  it('packed gives exactly what XNNPACK’s conv formulation gives at stride 1 (same convolution, same order of summation)', () => {
    tf.setBackend('wasm');
    for (const c of CONV_CASES.filter((k) => k.stride === 1)) {
      const s = convShapes(c);
      const out = (method: InputGradMethod) =>
        tf.tidy(() => {
          forceConvMethods({ input: method });
          const inputs = { dy: tensor(s.dy, 20), filter: tensor(s.filter, 21) };
          const attrs = { strides: 1, pad: c.pad, dataFormat: 'NHWC', inputShape: s.x };
          return (tf.engine().runKernel(Conv2DBackpropInput, inputs, attrs) as tf.Tensor).dataSync();
        });
      expect(out('packed'), describeCase(c)).toEqual(out('conv'));
    }
  });

  it('falls back to wasm’s own kernel when the padding is wider than the filter (XNNPACK route, and packed)', () => {
    const pad = [
      [0, 0],
      [3, 2],
      [2, 3],
      [0, 0],
    ] as tf.backend_util.ExplicitPadding;
    const x: Shape4 = [2, 5, 6, 3];
    const filter: Shape4 = [2, 2, 3, 4];
    const dy = tf.backend_util.computeConv2DInfo(x, filter, 1, 1, pad).outShape;
    for (const method of ['conv', 'packed'] as const) {
      forceConvMethods({ input: method });
      expectClose(
        () =>
          tf
            .engine()
            .runKernel(
              Conv2DBackpropInput,
              { dy: tensor(dy, 5), filter: tensor(filter, 6) },
              { strides: 1, pad, dataFormat: 'NHWC', inputShape: x },
            ) as tf.Tensor,
      );
    }
  });
});

const DEPTHWISE_CASES = [
  { n: 1, h: 7, w: 9, c: 1, mult: 1, k: 3, stride: 1, pad: 'same', dilation: 1 },
  { n: 3, h: 9, w: 8, c: 4, mult: 1, k: 3, stride: 2, pad: 'same', dilation: 1 },
  { n: 2, h: 10, w: 11, c: 3, mult: 2, k: 5, stride: 2, pad: 'valid', dilation: 1 },
  { n: 2, h: 8, w: 8, c: 5, mult: 3, k: 3, stride: 1, pad: 'valid', dilation: 1 },
  { n: 2, h: 11, w: 11, c: 8, mult: 1, k: 3, stride: 2, pad: 'valid', dilation: 1 },
] as const;

describe('depthwise conv2d gradients on wasm', () => {
  for (const c of DEPTHWISE_CASES) {
    const x: Shape4 = [c.n, c.h, c.w, c.c];
    const filter: Shape4 = [c.k, c.k, c.c, c.mult];
    const dy = tf.backend_util.computeConv2DInfo(
      x,
      filter,
      c.stride,
      c.dilation,
      c.pad,
      undefined,
      true,
    ).outShape;
    const attrs = { strides: c.stride, pad: c.pad, dilations: c.dilation };
    const name = `x ${x.join('×')}, ${c.k}×${c.k} ×${c.mult}, stride ${c.stride}, ${c.pad}, dilation ${c.dilation}`;
    it(`filter: ${name}`, () => {
      expectClose(
        () =>
          tf
            .engine()
            .runKernel(
              DepthwiseConv2dNativeBackpropFilter,
              { x: tensor(x, 7), dy: tensor(dy, 8) },
              { ...attrs, filterShape: filter },
            ) as tf.Tensor,
      );
    });
    it(`input: ${name}`, () => {
      expectClose(
        () =>
          tf
            .engine()
            .runKernel(
              DepthwiseConv2dNativeBackpropInput,
              { dy: tensor(dy, 9), filter: tensor(filter, 10) },
              { ...attrs, inputShape: x },
            ) as tf.Tensor,
      );
    });
  }
});

describe('dilated depthwise conv2d gradients on wasm', () => {
  // tfjs's gradient refuses dilation > 1 and the cpu kernels ignore it, so the reference here is
  // cpu with the equivalent undilated filter: 3×3 dilated by 2 is 5×5 with zeros between taps.
  const x: Shape4 = [2, 9, 10, 3];
  const small: Shape4 = [3, 3, 3, 2];
  const big: Shape4 = [5, 5, 3, 2];
  const dy = tf.backend_util.computeConv2DInfo(x, big, 1, 1, 'same', undefined, true).outShape;
  const spread = (f: tf.Tensor) => {
    const v = f.arraySync() as number[][][][];
    return tf.tensor4d(
      Array.from({ length: 5 }, (_, i) =>
        Array.from({ length: 5 }, (_, j) =>
          i % 2 === 0 && j % 2 === 0 ? v[i / 2]![j / 2]! : v[0]![0]!.map((c) => c.map(() => 0)),
        ),
      ),
    );
  };

  it('filter', () => {
    tf.setBackend('wasm');
    const got = tf
      .engine()
      .runKernel(
        DepthwiseConv2dNativeBackpropFilter,
        { x: tensor(x, 70), dy: tensor(dy, 71) },
        { strides: 1, pad: 'same', dilations: 2, filterShape: small },
      ) as tf.Tensor;
    const gotData = got.dataSync();
    tf.setBackend('cpu');
    const full = tf
      .engine()
      .runKernel(
        DepthwiseConv2dNativeBackpropFilter,
        { x: tensor(x, 70), dy: tensor(dy, 71) },
        { strides: 1, pad: 'same', dilations: 1, filterShape: big },
      ) as tf.Tensor4D;
    const want = tf.stridedSlice(full, [0, 0, 0, 0], [5, 5, 3, 2], [2, 2, 1, 1]).dataSync();
    expect(got.shape).toEqual(small);
    for (let i = 0; i < want.length; i++) expect(gotData[i]).toBeCloseTo(want[i]!, 4);
  });

  it('input', () => {
    tf.setBackend('wasm');
    const filter = tensor(small, 72);
    const got = tf
      .engine()
      .runKernel(
        DepthwiseConv2dNativeBackpropInput,
        { dy: tensor(dy, 73), filter },
        { strides: 1, pad: 'same', dilations: 2, inputShape: x },
      ) as tf.Tensor;
    const gotData = got.dataSync();
    tf.setBackend('cpu');
    const want = (
      tf
        .engine()
        .runKernel(
          DepthwiseConv2dNativeBackpropInput,
          { dy: tensor(dy, 73), filter: spread(tensor(small, 72)) },
          { strides: 1, pad: 'same', dilations: 1, inputShape: x },
        ) as tf.Tensor
    ).dataSync();
    expect(got.shape).toEqual(x);
    for (let i = 0; i < want.length; i++) expect(gotData[i]).toBeCloseTo(want[i]!, 4);
  });
});

describe('MaxPoolGrad on wasm', () => {
  const cases = [
    { x: [2, 8, 8, 3], size: 2, stride: 2, pad: 'valid' },
    { x: [3, 9, 7, 4], size: 3, stride: 2, pad: 'same' },
    { x: [1, 7, 7, 2], size: 3, stride: 1, pad: 'valid' },
    { x: [2, 11, 11, 5], size: 2, stride: 2, pad: 'valid' },
    // The SIMD 2×2 kernel's channel vectors: whole (8, 16) and with 2 lanes left over (6).
    { x: [2, 8, 8, 8], size: 2, stride: 2, pad: 'valid' },
    { x: [3, 24, 24, 6], size: 2, stride: 2, pad: 'valid' }, // LeNet-5's pools
    { x: [3, 8, 8, 16], size: 2, stride: 2, pad: 'valid' },
  ] as const;
  for (const c of cases) {
    // After a ReLU most windows hold ties (zeros): the gradient must go where cpu sends it.
    it(`x ${c.x.join('×')}, ${c.size}×${c.size} stride ${c.stride} ${c.pad}, with ties`, () => {
      expectClose(() => {
        const x = tf.relu(tensor([...c.x], 80)) as tf.Tensor4D;
        const dy = tensor(tf.maxPool(x, c.size, c.stride, c.pad).shape, 81);
        return tf
          .engine()
          .runKernel(
            MaxPoolGrad,
            { dy, input: x, output: tf.maxPool(x, c.size, c.stride, c.pad) },
            { filterSize: c.size, strides: c.stride, pad: c.pad },
          ) as tf.Tensor;
      });
    });
  }
});

describe('MaxPoolGrad 2×2 stride 2 on wasm: −∞ and NaN windows', () => {
  it('routes nothing from a window of −∞ or NaN, and skips a NaN before a real maximum', () => {
    expectClose(() => {
      const v = values(2 * 4 * 6 * 3, 82);
      v[0] = -Infinity; // window (0,0), channel 0: −∞ first, then real values
      for (const at of [3, 6, 21, 24]) v[at] = -Infinity; // window (0,1), channel 0: all −∞
      v[1] = NaN; // window (0,0), channel 1: NaN first
      const x = tf.tensor4d(v, [2, 4, 6, 3]);
      const dy = tensor([2, 2, 3, 3], 83);
      // cpu compares with >, so a NaN never wins and an all −∞ window has no maximum.
      return tf
        .engine()
        .runKernel(
          MaxPoolGrad,
          { dy, input: x, output: tf.maxPool(x, 2, 2, 'valid') },
          { filterSize: 2, strides: 2, pad: 'valid' },
        ) as tf.Tensor;
    });
  });
});

describe('Sum over leading axes on wasm (a matmul with ones)', () => {
  const cases: [string, number[], number | number[], boolean][] = [
    ['conv bias gradient [N, H, W, C] → [C]', [4, 6, 5, 7], [0, 1, 2], false],
    ['dense bias gradient [N, C] → [C]', [9, 13], 0, false],
    ['axes given out of order, negative', [3, 4, 5], [1, -3], false],
    ['keepDims', [5, 2, 3], [0, 1], true],
    ['not leading (wasm’s own kernel)', [4, 5, 6], [1, 2], false],
    ['every axis (wasm’s own kernel)', [4, 5], [0, 1], false],
  ];
  for (const [name, shape, axis, keepDims] of cases) {
    it(name, () => {
      expectClose(() => tf.sum(tensor(shape, 90), axis, keepDims));
    });
  }
  it('int32 goes to wasm’s own kernel', () => {
    expectClose(() => tf.cast(tf.sum(tf.tensor2d([1, 2, 3, 4, 5, 6], [3, 2], 'int32'), 0), 'float32'));
  });
});

describe('Add of a per-channel vector on wasm (tiled rows)', () => {
  const cases: [string, number[], number[]][] = [
    ['[N, H, W, C] + [C]', [4, 6, 6, 6], [6]],
    ['[C] + [N, C]', [16], [8, 16]],
    ['[N, H, W, C] + [1, 1, 1, C]', [2, 4, 4, 5], [1, 1, 1, 5]],
    ['rows not a multiple of two (wasm’s own kernel)', [7, 6], [6]],
    ['same shapes (wasm’s own kernel)', [3, 5], [3, 5]],
    ['other broadcasts (wasm’s own kernel)', [4, 3, 5], [3, 1]],
  ];
  for (const [name, a, b] of cases) {
    it(name, () => {
      expectClose(() => tf.add(tensor(a, 91), tensor(b, 92)));
    });
  }
});

describe('UnsortedSegmentSum on wasm', () => {
  it('sums rows by segment id, leaving empty segments at 0', () => {
    expectClose(() => {
      const ids = tf.tensor1d([3, 0, 3, 1, 3, 0], 'int32');
      return tf.unsortedSegmentSum(tensor([6, 4, 2], 11), ids, 5);
    });
  });
  it('works on int32 and on rank-1 data', () => {
    expectClose(() => {
      const ids = tf.tensor1d([1, 1, 0, 2], 'int32');
      return [
        tf.unsortedSegmentSum(tf.tensor1d([1, 2, 3, 4], 'int32'), ids, 3),
        tf.unsortedSegmentSum(tf.tensor1d([0.5, -2, 3, 4]), ids, 4),
      ];
    });
  });
});

describe('BatchMatMul with transposes on wasm', () => {
  const cases: [string, number[], number[], boolean, boolean][] = [
    ['Aᵀ·B, A small (transposes A)', [7, 5], [7, 6], true, false],
    ['Aᵀ·B, A large (computes (Bᵀ·A)ᵀ)', [40, 30], [40, 2], true, false],
    ['A·Bᵀ, B small', [5, 7], [6, 7], false, true],
    ['A·Bᵀ, B large', [2, 30], [40, 30], false, true],
    ['Aᵀ·Bᵀ', [7, 5], [6, 7], true, true],
    ['batched A·Bᵀ', [3, 5, 7], [3, 6, 7], false, true],
    ['batched Aᵀ·B with B broadcast', [3, 7, 5], [7, 6], true, false],
    ['batched Aᵀ·B, A large, B broadcast', [3, 40, 30], [40, 2], true, false],
    ['A·Bᵀ, B large, A broadcast', [2, 30], [3, 40, 30], false, true],
    ['no transposes', [5, 7], [7, 6], false, false],
  ];
  for (const [name, a, b, ta, tb] of cases) {
    it(name, () => {
      expectClose(() => tf.matMul(tensor(a, 12), tensor(b, 13), ta, tb));
    });
  }
});

describe('gradients through a network on wasm match cpu', () => {
  it('tf.grads through conv → relu → maxpool → conv (stride 2) → relu → dense', () => {
    const f = (x: tf.Tensor, w1: tf.Tensor, b1: tf.Tensor, w2: tf.Tensor, w3: tf.Tensor, b3: tf.Tensor) => {
      const h1 = tf.maxPool(
        tf.relu(tf.add(tf.conv2d(x as tf.Tensor4D, w1 as tf.Tensor4D, 1, 'same'), b1)) as tf.Tensor4D,
        2,
        2,
        'valid',
      );
      const h2 = tf.relu(tf.conv2d(h1, w2 as tf.Tensor4D, 2, 'valid'));
      const logits = tf.add(tf.matMul(tf.reshape(h2, [h2.shape[0], -1]), w3), b3);
      const labels = tf.oneHot(tf.tensor1d([1, 4, 2], 'int32'), 5);
      return tf.losses.softmaxCrossEntropy(labels, logits);
    };
    const errors = relativeErrors(
      onBoth(() => {
        const args = [
          tensor([3, 12, 12, 2], 20),
          tf.mul(tensor([5, 5, 2, 8], 21), 0.3),
          tf.mul(tensor([8], 22), 0.1),
          tf.mul(tensor([3, 3, 8, 6], 23), 0.3),
          tf.mul(tensor([24, 5], 24), 0.3),
          tensor([5], 25),
        ];
        return tf.grads(f)(args);
      }),
    );
    expect(errors).toHaveLength(6);
    for (const e of errors) expect(e).toBeLessThan(TOLERANCE);
  });

  // One entry per op whose gradient a network here may need: each must run on wasm (no missing
  // kernel) and agree with cpu.
  const x4 = () => tensor([2, 6, 6, 3], 30);
  const opGradients: [string, () => tf.Tensor[]][] = [
    [
      'conv2d',
      () =>
        tf.grads((x, w) => tf.sum(tf.square(tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 2, 'same'))))([
          x4(),
          tensor([3, 3, 3, 4], 31),
        ]),
    ],
    [
      'fused conv2d + bias + relu',
      () =>
        tf.grads((x, w, b) =>
          tf.sum(
            tf.fused.conv2d({
              x: x as tf.Tensor4D,
              filter: w as tf.Tensor4D,
              strides: 1,
              pad: 'same',
              bias: b,
              activation: 'relu',
            }),
          ),
        )([x4(), tensor([3, 3, 3, 4], 32), tensor([4], 33)]),
    ],
    [
      'depthwise conv2d',
      () =>
        tf.grads((x, w) =>
          tf.sum(tf.square(tf.depthwiseConv2d(x as tf.Tensor4D, w as tf.Tensor4D, 2, 'same'))),
        )([x4(), tensor([3, 3, 3, 2], 34)]),
    ],
    [
      'fused depthwise conv2d + bias + relu6',
      () =>
        tf.grads((x, w, b) =>
          tf.sum(
            tf.fused.depthwiseConv2d({
              x: x as tf.Tensor4D,
              filter: w as tf.Tensor4D,
              strides: 1,
              pad: 'same',
              bias: b,
              activation: 'relu6',
            }),
          ),
        )([x4(), tensor([3, 3, 3, 1], 35), tensor([3], 36)]),
    ],
    ['maxPool', () => tf.grads((x) => tf.sum(tf.square(tf.maxPool(x as tf.Tensor4D, 3, 2, 'same'))))([x4()])],
    [
      'avgPool',
      () => tf.grads((x) => tf.sum(tf.square(tf.avgPool(x as tf.Tensor4D, 2, 2, 'valid'))))([x4()]),
    ],
    [
      'relu, relu6',
      () => tf.grads((x) => tf.add(tf.sum(tf.relu(x)), tf.sum(tf.relu6(tf.mul(x, 8)))))([x4()]),
    ],
    [
      'matMul',
      () => tf.grads((a, b) => tf.sum(tf.square(tf.matMul(a, b))))([tensor([4, 6], 37), tensor([6, 3], 38)]),
    ],
    [
      'fused matMul + bias + relu',
      () =>
        tf.grads((a, b, c) =>
          tf.sum(tf.fused.matMul({ a: a as tf.Tensor2D, b: b as tf.Tensor2D, bias: c, activation: 'relu' })),
        )([tensor([4, 6], 39), tensor([6, 3], 40), tensor([3], 41)]),
    ],
    [
      'batched matMul',
      () =>
        tf.grads((a, b) => tf.sum(tf.square(tf.matMul(a, b, false, true))))([
          tensor([2, 4, 6], 42),
          tensor([2, 3, 6], 43),
        ]),
    ],
    [
      'batchNorm',
      () =>
        tf.grads((x, m, v, o, s) =>
          tf.sum(tf.square(tf.batchNorm(x, m, tf.add(tf.abs(v), 0.5), o, s, 1e-3))),
        )([x4(), tensor([3], 44), tensor([3], 45), tensor([3], 46), tensor([3], 47)]),
    ],
    [
      'moments',
      () =>
        tf.grads((x) => {
          const { mean, variance } = tf.moments(x, [0, 1, 2]);
          return tf.add(tf.sum(tf.square(mean)), tf.sum(variance));
        })([x4()]),
    ],
    [
      'softmax, logSoftmax',
      () =>
        tf.grads((x) => tf.add(tf.sum(tf.square(tf.softmax(x))), tf.sum(tf.logSoftmax(tf.mul(x, 2)))))([
          tensor([4, 5], 48),
        ]),
    ],
    [
      'softmaxCrossEntropy',
      () =>
        tf.grads((x) => tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d([0, 3, 1, 2], 'int32'), 5), x))([
          tensor([4, 5], 49),
        ]),
    ],
    [
      'max, mean, sum',
      () =>
        tf.grads((x) =>
          tf.add(tf.add(tf.sum(tf.max(x, 1)), tf.sum(tf.square(tf.mean(x, 0)))), tf.sum(tf.square(x))),
        )([tensor([4, 5], 50)]),
    ],
    [
      'pad, concat, slice',
      () =>
        tf.grads((a, b) =>
          tf.sum(
            tf.square(
              tf.slice(
                tf.concat(
                  [
                    tf.pad(a, [
                      [1, 0],
                      [0, 2],
                    ]),
                    b,
                  ],
                  1,
                ),
                [1, 1],
                [3, 4],
              ),
            ),
          ),
        )([tensor([3, 3], 51), tensor([4, 2], 52)]),
    ],
    [
      'transpose, reshape',
      () =>
        tf.grads((x) =>
          tf.sum(tf.mul(tf.reshape(tf.transpose(x, [0, 3, 1, 2]), [2, -1]), tensor([2, 108], 53))),
        )([x4()]),
    ],
    [
      'add, sub, mul, div (broadcasting)',
      () =>
        tf.grads((a, b) => tf.sum(tf.div(tf.mul(tf.sub(a, b), tf.add(a, b)), tf.add(tf.square(b), 1))))([
          tensor([3, 4], 54),
          tensor([4], 55),
        ]),
    ],
    [
      'exp, log, sqrt, rsqrt, square',
      () =>
        tf.grads((x) => {
          const p = tf.add(tf.abs(x), 0.5);
          return tf.sum(
            tf.add(tf.add(tf.exp(x), tf.log(p)), tf.add(tf.add(tf.sqrt(p), tf.rsqrt(p)), tf.square(x))),
          );
        })([tensor([3, 4], 56)]),
    ],
    [
      'gather',
      () =>
        tf.grads((x) => tf.sum(tf.square(tf.gather(x, tf.tensor1d([0, 2, 2, 4, 1], 'int32')))))([
          tensor([5, 3], 57),
        ]),
    ],
    [
      'oneHot as labels',
      () =>
        tf.grads((x) => tf.sum(tf.mul(tf.oneHot(tf.tensor1d([2, 0, 1], 'int32'), 4), x)))([
          tensor([3, 4], 58),
        ]),
    ],
  ];
  for (const [name, grads] of opGradients) {
    it(name, () => {
      for (const e of relativeErrors(onBoth(grads))) expect(e).toBeLessThan(TOLERANCE);
    });
  }
});

describe('registration', () => {
  it('wasm as shipped lacks the gradient kernels that registerWasmKernels adds', () => {
    restoreWasmKernels();
    tf.setBackend('wasm');
    const missing = WASM_KERNEL_NAMES.filter((k) => tf.getKernel(k, 'wasm') == null);
    expect(missing).toEqual([
      Conv2DBackpropFilter,
      DepthwiseConv2dNativeBackpropFilter,
      DepthwiseConv2dNativeBackpropInput,
      UnsortedSegmentSum,
    ]);
    registerWasmKernels();
    registerWasmKernels(); // idempotent
    for (const k of WASM_KERNEL_NAMES) expect(tf.getKernel(k, 'wasm')).toBeDefined();
    // Only wasm's registry changes: cpu keeps its own kernels.
    expect(tf.getKernel(Conv2DBackpropInput, 'cpu')?.backendName).toBe('cpu');
    expect(tf.getKernel(BatchMatMul, 'cpu')?.backendName).toBe('cpu');
  });

  it('leaves no tensors or wasm allocations behind', () => {
    tf.setBackend('wasm');
    const backend = tf.backend() as tf.KernelBackend & { numDataIds(): number };
    const run = () =>
      tf.tidy(() => {
        const x = tensor([2, 9, 9, 3], 60);
        const grads = tf.grads((a, w, v) =>
          tf.sum(
            tf.add(
              tf.square(tf.conv2d(a as tf.Tensor4D, w as tf.Tensor4D, 2, 'same')),
              tf.sum(tf.depthwiseConv2d(a as tf.Tensor4D, v as tf.Tensor4D, 1, 'valid')),
            ),
          ),
        )([x, tensor([3, 3, 3, 16], 61), tensor([3, 3, 3, 2], 62)]);
        const mm = tf.grads((a, b) => tf.sum(tf.matMul(a, b, true, true)))([
          tensor([6, 4], 63),
          tensor([5, 6], 64),
        ]);
        return tf.add(tf.sum(grads[0]!), tf.sum(mm[1]!));
      });
    for (const methods of [
      { filter: 'simd', input: 'simd' },
      { filter: 'dilated', input: 'conv' },
    ] as const) {
      forceConvMethods(methods);
      run().dispose(); // first use may allocate lasting state (XNNPACK operators)
      const tensors = tf.memory().numTensors;
      const dataIds = backend.numDataIds();
      run().dispose();
      expect(tf.memory().numTensors).toBe(tensors);
      expect(backend.numDataIds()).toBe(dataIds);
    }
  });
});

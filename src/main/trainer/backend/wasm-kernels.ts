// Kernels that make training work, and work fast, on TensorFlow.js 4.22's wasm backend.
//
// The wasm backend ships the forward kernels our networks need but not all of their gradients,
// and some of the gradients it has run a plain scalar loop instead of XNNPACK. Everything here is
// registered for backend 'wasm' only, so the cpu and tensorflow backends keep their own kernels,
// and every kernel here is a real kernel (not a gradient override), so fused ops such as
// tf.fused.conv2d, whose gradients call the backprop ops directly, get them too.
//
// kernel                               wasm 4.22 ships              here
// Conv2DBackpropFilter                 nothing                      our SIMD wasm (simd/), or XNNPACK
//                                                                   conv2d (dilated), by shape
// Conv2DBackpropInput                  a scalar loop (~10× conv2d)  our SIMD wasm (simd/: scatter, or
//                                                                   packed conv2d), or XNNPACK
//                                                                   conv2d of the (dilated) dy with
//                                                                   the flipped filter, by shape
// DepthwiseConv2dNativeBackpropFilter  nothing                      our SIMD wasm (simd/) for
//                                                                   MobileNetV2's shapes, else a JS loop
// DepthwiseConv2dNativeBackpropInput   nothing                      the same
// UnsortedSegmentSum (GatherV2's grad) nothing                      JS loop
// BatchMatMul with transposeA/B        a scalar loop (~12× slower)  explicit transposes + XNNPACK matmul
// MaxPoolGrad                          slower, breaks ties its way  our SIMD wasm for 2×2 windows, else a
//                                                                   JS loop; ties broken as on cpu
// Sum over leading axes (bias grads)   transposes, then reduces     XNNPACK average pooling over one
//                                      (5–35× slower)               M × 1 window
// Add of a per-channel vector          XNNPACK broadcast of rows of the vector tiled to ≥ 256
//                                      C values (5× slower at C = 6)  values, so rows are long
// _FusedMatMul of 2-D operands         reads them as 3-D            the same, viewed as 3-D
// Conv2D, FusedConv2D                  XNNPACK                      our SIMD wasm (simd/), or XNNPACK,
//                                                                   by shape
// DepthwiseConv2dNative                XNNPACK                      our SIMD wasm for MobileNetV2's
//                                                                   shapes, else XNNPACK
// Identity (tf.clone, the tape's saves) a copy                      a shared reference (wasm-identity.ts)
//
// See profile-wasm.ts and bench/profile-step.ts for the measurements behind these choices.

import {
  _FusedMatMul,
  Add,
  AvgPool,
  backend_util,
  BatchMatMul,
  Conv2D,
  Conv2DBackpropFilter,
  Conv2DBackpropInput,
  DepthwiseConv2dNative,
  DepthwiseConv2dNativeBackpropFilter,
  DepthwiseConv2dNativeBackpropInput,
  FusedConv2D,
  getKernel,
  Identity,
  MaxPoolGrad,
  registerKernel,
  Slice,
  Sum,
  Transpose,
  unregisterKernel,
  UnsortedSegmentSum,
  util,
} from '@tensorflow/tfjs-core';
import type {
  BatchMatMulAttrs,
  Conv2DAttrs,
  FusedConv2DAttrs,
  Conv2DBackpropFilterAttrs,
  Conv2DBackpropInputAttrs,
  DepthwiseConv2dNativeAttrs,
  DepthwiseConv2dNativeBackpropFilterAttrs,
  DepthwiseConv2dNativeBackpropInputAttrs,
  KernelConfig,
  KernelFunc,
  MaxPoolGradAttrs,
  NamedAttrMap,
  NamedTensorInfoMap,
  SumAttrs,
  TensorInfo,
  UnsortedSegmentSumAttrs,
} from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import {
  conv2DBackpropFilterSimd,
  conv2DBackpropInputSimd,
  conv2DSimd,
  maxPoolGrad2x2Simd,
} from './simd/kernels';
import {
  depthwiseBackpropFilterSimd,
  depthwiseBackpropInputSimd,
  depthwiseConv2DSimd,
  depthwiseSimdCovers,
} from './simd/depthwise';
import { conv2DBackpropInputPacked, conv2DPackedSimd } from './simd/packed-conv';
import { MAX_INPUT_VECTORS } from './simd/wat';
import { heapF32, heapZeros } from './wasm-heap';

// For its side effect: wasm's own kernels must be registered before we wrap and call them.
import '@tensorflow/tfjs-backend-wasm';
import { sharedIdentity } from './wasm-identity';

const WASM = 'wasm';

/** The kernels this module registers for backend 'wasm'. */
export const WASM_KERNEL_NAMES = [
  Conv2DBackpropFilter,
  Conv2DBackpropInput,
  DepthwiseConv2dNative,
  DepthwiseConv2dNativeBackpropFilter,
  DepthwiseConv2dNativeBackpropInput,
  UnsortedSegmentSum,
  BatchMatMul,
  MaxPoolGrad,
  Sum,
  Add,
  _FusedMatMul,
  Conv2D,
  FusedConv2D,
  Identity,
] as const;

interface KernelArgs<A> {
  inputs: NamedTensorInfoMap;
  attrs: A;
  backend: BackendWasm;
}

/** wasm's own kernels, captured before we replace any of them, so ours can call the originals. */
const native = new Map<string, KernelConfig>();

function nativeKernel(name: string): KernelFunc {
  const config = native.get(name) ?? getKernel(name, WASM);
  if (config == null) throw new Error(`The wasm backend has no '${name}' kernel to build on.`);
  return config.kernelFunc;
}

function run(name: string, backend: BackendWasm, inputs: NamedTensorInfoMap, attrs: object = {}): TensorInfo {
  return nativeKernel(name)({ inputs, backend, attrs: attrs as NamedAttrMap }) as TensorInfo;
}

function input(inputs: NamedTensorInfoMap, name: string, kernel: string): TensorInfo {
  const t = inputs[name];
  if (t == null) throw new Error(`${kernel}: missing input '${name}'.`);
  return t;
}

function requireFloat32(kernel: string, ...tensors: TensorInfo[]): void {
  for (const t of tensors) {
    if (t.dtype !== 'float32') throw new Error(`${kernel} on wasm supports float32 only, got ${t.dtype}.`);
  }
}

function requireChannelsLast(kernel: string, info: backend_util.Conv2DInfo): void {
  if (info.dataFormat !== 'channelsLast') {
    throw new Error(`${kernel} on wasm supports dataFormat 'NHWC' only.`);
  }
}

// ---------------------------------------------------------------------------------------------
// Conv2DBackpropFilter
//
// dW[i,j,c,o] = Σ_{n,ho,wo} x[n, ho·s + i - padTop, wo·s + j - padLeft, c] · dy[n,ho,wo,o]
//
// Two formulations; which is faster depends on the shape:
//
// - 'simd' (simd/kernels.ts): our own SIMD kernels, a matrix product over the output positions
//   of dy and x packed into panels, blocks of 4 dW rows × 8 channels summed in registers.
// - 'dilated' (DESIGN.md): a forward conv2d of x transposed to [Cin,H,W,N] with dy transposed to
//   [Ho,Wo,N,Cout] as its filter, stride 1, dilated by the stride, then slice and transpose, on
//   wasm's XNNPACK. Its output has only Cin·kh·kw pixels, which XNNPACK handles poorly when that
//   number is small, and well when it is large and the images are small.
//
// Conv2DBackpropInput likewise: 'simd' scatters dy back through the filter (simd/kernels.ts),
// 'conv' is XNNPACK's conv2d of the zero-padded (and, for strides, dilated) dy with the flipped
// filter, which multiplies by every zero it inserts; 'packed' is the same convolution (stride 1
// only) by our packed forward kernel (simd/packed-conv.ts).
//
// On a grid of 144 shapes (`bench/profile-wasm.ts --grid`: k 5 stride 1 and k 3 stride 2, 7–28 px,
// 1–64 channels, batch 64), measured in this work:
// - forward (Conv2D / FusedConv2D, below): at stride 1 'simd' is faster than XNNPACK everywhere
//   (1.1–1.8×; LeNet-5's first layer 2.2×) even with XNNPACK's packed weights cached; at stride
//   2 XNNPACK is faster by 5–45 % on most shapes.
// - filter gradient: the kernel 'simd' had before its packed form was faster everywhere (up to
//   6×) except at stride 1 with 32 or more input channels on images of ≤ 8×8 outputs, where
//   XNNPACK's larger tiles won by 10–25 %; the packed form is faster on all of those too.
// - input gradient: at stride 2 'simd' is faster everywhere (1.5–12×); at stride 1 it is while a
//   filter row's kw·cin values fit one block of 32 (2–4× at 1–3 channels), XNNPACK by 5–45 %
//   beyond. LeNet-5's layers (valid padding, 5×5, 1→6 and 6→16) take 'simd' for both: filter
//   gradients 4.3× and 1.9× faster, input gradient 2.3×.
// On the thesis's CIFAR networks (`bench/profile-wasm.ts --grid --cifar --cpu-time`: VGG's and
// ResNet's 3×3 layers, 2–32 px, 3–512 channels, CPU time): the forward 'simd' kernel, which blocks
// 4 output columns × 8 channels, falls behind XNNPACK's GEMM once many input channels meet small
// maps (≤ 8×8 outputs): 8 px 256→256 1.11×, 4 px 512→512 1.48×, 2 px 512→512 3.4× slower, even
// at 128→256 no faster. Those layers, half of VGG16's forward time, go to XNNPACK. The filter
// gradient's 'simd' (packed) runs at 30–50 GFLOP/s on every one of these layers and 'dilated' at
// 13–26 (1×1 shortcuts: 2–5): 1.2–2.4× faster than 'dilated' on each, 1.5–3.5× faster than the
// unpacked kernel before it (which lost to 'dilated' on the ≤ 8×8 layers with ≥ 128 channels),
// so the filter gradient is 'simd' for every shape.
// The packed forward kernel (simd/packed-conv.ts: weights repacked per call into contiguous
// panels, output positions blocked across rows and images; forward 'packed', and input 'packed' as
// that forward on the padded dy with the flipped filter), on the same CIFAR layers, interleaved
// A/B (`profile-wasm.ts --grid --cifar --cpu-time --ab forward|input`, CPU ms at batch 64, load
// 16, pack cost included, XNNPACK's packed weights cached between its calls):
// - forward, stride 1: 'packed' is the fastest from 128 input channels on (16 px 128→128 118 vs
//   'simd' 127 and XNNPACK 144; 8 px 256→256 145 vs 157 XNNPACK; 4 px 512→512 143 vs 164; 2 px
//   512→512 30 vs 33), 'simd' below (32 px 64→64 125 vs 132 'packed', 153 XNNPACK; 5×5 4 px
//   64→192 15.6 vs 19.1).
// - forward, strided: 'packed' from 256 input channels (3×3/2 8 px 256→512 59 vs XNNPACK 74; 1×1/2
//   8 px 256→512 5.8 vs 7.5); AlexNet's 11×11/4 stem on 3 channels 'simd' (7.0, 'packed' 8.5,
//   XNNPACK 9.3; a second round 5.4, 4.9, 5.4); XNNPACK on the rest (1×1/2 32 px 64→128 12.7 vs
//   20+; 3×3/2 32 px 64→128 74 vs 83).
// - input gradient, stride 1: 'packed' wherever 'conv' was picked (kw·cin > 32): 32 px 64→64 114
//   vs 146, 8 px 256→256 127 vs 177, 4 px 512→512 168 vs 221, 2 px 512→512 43 vs 82, AlexNet's
//   2 px layers 1.6–1.8×; 16 px 64→128 79 vs 73 (a second round 78 vs 81). Strides stay
//   'simd'. 'packed' gives exactly what 'conv' gives (the same convolution, summed in the same
//   order), so the switch changes no result.
// (An im2col + XNNPACK matmul formulation of the filter gradient, used until 'simd', was never
// the fastest.) The rules depend on the shape only, so which arithmetic a run does never
// depends on timing noise.

export type ForwardMethod = 'simd' | 'packed' | 'xnnpack';
export type FilterGradMethod = 'simd' | 'dilated';
export type InputGradMethod = 'simd' | 'conv' | 'packed';
export interface ConvMethods {
  forward: ForwardMethod;
  filter: FilterGradMethod;
  input: InputGradMethod;
}

/** Which formulations a convolution of this shape and its two gradients use. */
export function convMethods(info: backend_util.Conv2DInfo): ConvMethods {
  const { inChannels: cin, filterWidth: kw, filterHeight: kh } = info;
  const strided = info.strideHeight > 1 || info.strideWidth > 1;
  return {
    forward: forwardMethod(strided, cin, kh * kw),
    filter: 'simd',
    input: strided || kw * cin <= MAX_INPUT_VECTORS * 4 ? 'simd' : 'packed',
  };
}

/** The forward's formulation (see the measurements above). */
function forwardMethod(strided: boolean, cin: number, taps: number): ForwardMethod {
  if (!strided) return cin >= 128 ? 'packed' : 'simd';
  if (cin >= 256) return 'packed';
  // A large window on few channels (AlexNet's 11×11 stem: 363 taps) keeps the blocks busy.
  return cin < 8 && taps * cin >= 256 ? 'simd' : 'xnnpack';
}

/** A convolution with nothing to sum or nothing to produce (a zero batch, size or channel count). */
function emptyConv(info: backend_util.Conv2DInfo): boolean {
  const { batchSize, outHeight, outWidth, inChannels, outChannels, inHeight, inWidth } = info;
  return batchSize * outHeight * outWidth * inChannels * outChannels * inHeight * inWidth === 0;
}

let forced: Partial<ConvMethods> = {};

/** For tests and bench/profile-wasm.ts: use these formulations for every shape ({}: choose by shape). */
export function forceConvMethods(methods: Partial<ConvMethods>): void {
  forced = { ...methods };
}

function conv2DBackpropFilter(args: KernelArgs<Conv2DBackpropFilterAttrs>): TensorInfo {
  const { inputs, attrs, backend } = args;
  const x = input(inputs, 'x', Conv2DBackpropFilter);
  const dy = input(inputs, 'dy', Conv2DBackpropFilter);
  requireFloat32(Conv2DBackpropFilter, x, dy);
  const info = backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    attrs.filterShape,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    backend_util.convertConv2DDataFormat(attrs.dataFormat),
  );
  requireChannelsLast(Conv2DBackpropFilter, info);
  // XNNPACK refuses empty operands (and leaves its heap in a bad state): an empty sum is zeros.
  if (emptyConv(info)) return heapZeros(backend, attrs.filterShape);
  const method = forced.filter ?? convMethods(info).filter;
  if (method === 'simd') return conv2DBackpropFilterSimd(backend, x, dy, info);
  return filterGradDilated(backend, x, dy, info);
}

function filterGradDilated(
  backend: BackendWasm,
  x: TensorInfo,
  dy: TensorInfo,
  info: backend_util.Conv2DInfo,
): TensorInfo {
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
  const { top, left } = info.padInfo;
  // Rows the dilated "filter" dy spans from each of the kh output positions, beyond the input.
  const bottom = Math.max(0, kh - 1 + (info.outHeight - 1) * sh + 1 - top - info.inHeight);
  const right = Math.max(0, kw - 1 + (info.outWidth - 1) * sw + 1 - left - info.inWidth);
  const xt = run(Transpose, backend, { x }, { perm: [3, 1, 2, 0] });
  const dyt = run(Transpose, backend, { x: dy }, { perm: [1, 2, 0, 3] });
  const corr = run(
    Conv2D,
    backend,
    { x: xt, filter: dyt },
    {
      strides: [1, 1],
      pad: [
        [0, 0],
        [top, bottom],
        [left, right],
        [0, 0],
      ],
      dataFormat: 'NHWC',
      dilations: [sh, sw],
    },
  );
  // [cin, ≥kh, ≥kw, cout]: 'valid' padding can leave rows and columns past the filter.
  const cut = run(Slice, backend, { x: corr }, { begin: [0, 0, 0, 0], size: [-1, kh, kw, -1] });
  const out = run(Transpose, backend, { x: cut }, { perm: [1, 2, 0, 3] });
  for (const t of [xt, dyt, corr, cut]) backend.disposeData(t.dataId);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Conv2D and FusedConv2D: our SIMD convolutions where the shape and the op allow it (NHWC,
// float32, no dilation, bias of one value per channel, ReLU or no activation), wasm's XNNPACK
// convolution otherwise. All three sum in the same order (bias, then the taps in W's order, a
// multiply then an add), so they give identical results.

function convForward(name: string, args: KernelArgs<Conv2DAttrs & Partial<FusedConv2DAttrs>>): TensorInfo {
  const { inputs, attrs, backend } = args;
  const x = input(inputs, 'x', name);
  const filter = input(inputs, 'filter', name);
  const bias = inputs.bias ?? null;
  const activation = attrs.activation ?? 'linear';
  const info = backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filter.shape as [number, number, number, number],
    attrs.strides,
    attrs.dilations,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    backend_util.convertConv2DDataFormat(attrs.dataFormat),
  );
  const supported =
    info.dataFormat === 'channelsLast' &&
    x.dtype === 'float32' &&
    filter.dtype === 'float32' &&
    info.dilationHeight === 1 &&
    info.dilationWidth === 1 &&
    (activation === 'linear' || activation === 'relu') &&
    inputs.preluActivationWeights == null &&
    info.inChannels > 0 &&
    (bias == null || (bias.dtype === 'float32' && util.sizeFromShape(bias.shape) === info.outChannels));
  // XNNPACK refuses empty operands: nothing to produce is answered here.
  if (util.sizeFromShape(info.outShape) === 0) return backend.makeOutput(info.outShape, 'float32');
  const method = forced.forward ?? convMethods(info).forward;
  if (supported && method === 'simd') return conv2DSimd(backend, x, filter, bias, info, activation);
  if (supported && method === 'packed') return conv2DPackedSimd(backend, x, filter, bias, info, activation);
  return run(name, backend, inputs, attrs);
}

// ---------------------------------------------------------------------------------------------
// Conv2DBackpropInput
//
// dx is the correlation of dy, dilated by the stride (zeros between rows and columns), with the
// filter flipped in space and with its in/out channels swapped, padded by (k - 1 - pad) on the
// leading sides. That is one call of wasm's XNNPACK conv2d instead of its scalar loop, or at
// stride 1 our packed forward kernel on the same operands ('packed').

function conv2DBackpropInput(args: KernelArgs<Conv2DBackpropInputAttrs>): TensorInfo {
  const { inputs, attrs, backend } = args;
  const dy = input(inputs, 'dy', Conv2DBackpropInput);
  const filter = input(inputs, 'filter', Conv2DBackpropInput);
  const info = backend_util.computeConv2DInfo(
    attrs.inputShape,
    filter.shape as [number, number, number, number],
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    backend_util.convertConv2DDataFormat(attrs.dataFormat),
  );
  const float32 = dy.dtype === 'float32' && filter.dtype === 'float32';
  if (float32 && emptyConv(info)) return heapZeros(backend, attrs.inputShape);
  if (float32 && info.dataFormat === 'channelsLast') {
    const method = forced.input ?? convMethods(info).input;
    if (method === 'simd') return conv2DBackpropInputSimd(backend, dy, filter, info);
    // Strided convolutions, and padding wider than the filter, take the XNNPACK route below.
    const dx = method === 'packed' ? conv2DBackpropInputPacked(backend, dy, filter, info) : null;
    if (dx != null) return dx;
  }
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
  const dilatedH = (info.outHeight - 1) * sh + 1;
  const dilatedW = (info.outWidth - 1) * sw + 1;
  const top = kh - 1 - info.padInfo.top;
  const left = kw - 1 - info.padInfo.left;
  const bottom = info.inHeight + kh - 1 - dilatedH - top;
  const right = info.inWidth + kw - 1 - dilatedW - left;
  if (info.dataFormat !== 'channelsLast' || !float32 || Math.min(top, left, bottom, right) < 0) {
    // Padding wider than the filter (or NCHW): wasm's own kernel handles every case, just slowly.
    return run(Conv2DBackpropInput, backend, inputs, attrs);
  }

  const flipped = backend.makeOutput([kh, kw, info.outChannels, info.inChannels], 'float32');
  const dilated =
    sh === 1 && sw === 1
      ? dy
      : backend.makeOutput([info.batchSize, dilatedH, dilatedW, info.outChannels], 'float32');
  flipFilter(heapF32(backend, filter), heapF32(backend, flipped), kh, kw, info.inChannels, info.outChannels);
  if (dilated !== dy) {
    dilate(
      heapF32(backend, dy),
      heapF32(backend, dilated),
      info.batchSize,
      info.outHeight,
      info.outWidth,
      info.outChannels,
      sh,
      sw,
    );
  }
  const dx = run(
    Conv2D,
    backend,
    { x: dilated, filter: flipped },
    {
      strides: [1, 1],
      pad: [
        [0, 0],
        [top, bottom],
        [left, right],
        [0, 0],
      ],
      dataFormat: 'NHWC',
      dilations: [1, 1],
    },
  );
  backend.disposeData(flipped.dataId);
  if (dilated !== dy) backend.disposeData(dilated.dataId);
  return dx;
}

/** out[kh-1-i, kw-1-j, o, c] = w[i, j, c, o] */
function flipFilter(
  w: Float32Array,
  out: Float32Array,
  kh: number,
  kw: number,
  cin: number,
  cout: number,
): void {
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      const src = (i * kw + j) * cin * cout;
      const dst = ((kh - 1 - i) * kw + (kw - 1 - j)) * cout * cin;
      for (let c = 0; c < cin; c++) {
        for (let o = 0; o < cout; o++) out[dst + o * cin + c] = w[src + c * cout + o]!;
      }
    }
  }
}

/** out[n, ho·sh, wo·sw, :] = dy[n, ho, wo, :], zeros elsewhere. */
function dilate(
  dy: Float32Array,
  out: Float32Array,
  n: number,
  oh: number,
  ow: number,
  c: number,
  sh: number,
  sw: number,
): void {
  out.fill(0);
  const dh = (oh - 1) * sh + 1;
  const dw = (ow - 1) * sw + 1;
  let src = 0;
  for (let b = 0; b < n; b++) {
    for (let ho = 0; ho < oh; ho++) {
      let dst = (b * dh + ho * sh) * dw * c;
      for (let wo = 0; wo < ow; wo++, src += c, dst += sw * c) {
        out.set(dy.subarray(src, src + c), dst);
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Depthwise conv2d and its gradients: our SIMD kernels (simd/depthwise.ts) for channel multiplier
// 1, no dilation, up to 3×3 taps and a stride no larger than the filter (MobileNetV2's cases),
// with the channels as vector lanes; for every other stride, dilation, padding and channel
// multiplier, XNNPACK for the forward and a direct loop over the heap for the gradients. Which
// one runs depends on the shape only. On MobileNetV2's layers (bench/profile-wasm.ts --depthwise
// --cpu-time) the SIMD gradients are 10–50× the loops and the SIMD forward 1.1–2.2× XNNPACK (one
// 1.5 ms layer, 8 px 576 channels at stride 2, measured 1.5× and 0.9× in two runs).

let forcedDepthwiseLoop = false;
let forcedDepthwiseForward: DepthwiseForwardMethod | null = null;

export type DepthwiseForwardMethod = 'simd' | 'xnnpack';

/** For tests and bench/profile-wasm.ts: this forward formulation for every depthwise conv (null: by shape). */
export function forceDepthwiseForward(method: DepthwiseForwardMethod | null): void {
  forcedDepthwiseForward = method;
}

/** For tests and bench/profile-wasm.ts: the JS loop for every depthwise gradient (false: by shape). */
export function forceDepthwiseLoop(loop: boolean): void {
  forcedDepthwiseLoop = loop;
}

function depthwiseForward(args: KernelArgs<DepthwiseConv2dNativeAttrs>): TensorInfo {
  const { inputs, attrs, backend } = args;
  const x = input(inputs, 'x', DepthwiseConv2dNative);
  const filter = input(inputs, 'filter', DepthwiseConv2dNative);
  const info = depthwiseInfo(x.shape, filter.shape, attrs);
  const simd =
    x.dtype === 'float32' &&
    filter.dtype === 'float32' &&
    (attrs.dataFormat ?? 'NHWC') === 'NHWC' &&
    depthwiseSimdCovers(info) &&
    (forcedDepthwiseForward ?? 'simd') === 'simd';
  return simd
    ? depthwiseConv2DSimd(backend, x, filter, info)
    : run(DepthwiseConv2dNative, backend, inputs, attrs);
}

function depthwiseInfo(
  xShape: number[],
  filterShape: number[],
  attrs:
    | DepthwiseConv2dNativeAttrs
    | DepthwiseConv2dNativeBackpropFilterAttrs
    | DepthwiseConv2dNativeBackpropInputAttrs,
): backend_util.Conv2DInfo {
  return backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides,
    attrs.dilations ?? 1,
    attrs.pad,
    attrs.dimRoundingMode,
    true,
  );
}

/**
 * Calls `tap` for every (output position, filter tap) pair that reads an input inside the image,
 * with the flat offsets of that output's channels in dy, of the input's channels in x and of the
 * tap's channels in the filter. Both gradients walk the same taps; only what they add differs.
 */
function forEachDepthwiseTap(
  info: backend_util.Conv2DInfo,
  tap: (dyBase: number, xBase: number, wBase: number) => void,
): void {
  const { batchSize, inHeight: h, inWidth: w, inChannels: cin, outHeight: oh, outWidth: ow } = info;
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
  const { dilationHeight: dh, dilationWidth: dwid, outChannels: cout } = info;
  const pt = info.padInfo.top;
  const pl = info.padInfo.left;
  for (let n = 0; n < batchSize; n++) {
    for (let ho = 0; ho < oh; ho++) {
      for (let wo = 0; wo < ow; wo++) {
        const dyBase = ((n * oh + ho) * ow + wo) * cout;
        for (let i = 0; i < kh; i++) {
          const hi = ho * sh + i * dh - pt;
          if (hi < 0 || hi >= h) continue;
          for (let j = 0; j < kw; j++) {
            const wi = wo * sw + j * dwid - pl;
            if (wi < 0 || wi >= w) continue;
            tap(dyBase, ((n * h + hi) * w + wi) * cin, (i * kw + j) * cout);
          }
        }
      }
    }
  }
}

function depthwiseBackpropFilter(args: KernelArgs<DepthwiseConv2dNativeBackpropFilterAttrs>): TensorInfo {
  const { inputs, attrs, backend } = args;
  const x = input(inputs, 'x', DepthwiseConv2dNativeBackpropFilter);
  const dy = input(inputs, 'dy', DepthwiseConv2dNativeBackpropFilter);
  requireFloat32(DepthwiseConv2dNativeBackpropFilter, x, dy);
  const info = depthwiseInfo(x.shape, attrs.filterShape, attrs);
  if (!forcedDepthwiseLoop && depthwiseSimdCovers(info))
    return depthwiseBackpropFilterSimd(backend, x, dy, info);
  const out = backend.makeOutput(attrs.filterShape, 'float32');
  const xs = heapF32(backend, x);
  const dys = heapF32(backend, dy);
  const dw = heapF32(backend, out);
  dw.fill(0);
  const cin = info.inChannels;
  const mult = info.outChannels / cin;
  forEachDepthwiseTap(info, (dyBase, xBase, wBase) => {
    // Filter [kh, kw, cin, mult] and dy's channels (c·mult + q) share one index.
    for (let c = 0, o = 0; c < cin; c++) {
      const xv = xs[xBase + c]!;
      for (let q = 0; q < mult; q++, o++) dw[wBase + o] = dw[wBase + o]! + xv * dys[dyBase + o]!;
    }
  });
  return out;
}

function depthwiseBackpropInput(args: KernelArgs<DepthwiseConv2dNativeBackpropInputAttrs>): TensorInfo {
  const { inputs, attrs, backend } = args;
  const dy = input(inputs, 'dy', DepthwiseConv2dNativeBackpropInput);
  const filter = input(inputs, 'filter', DepthwiseConv2dNativeBackpropInput);
  requireFloat32(DepthwiseConv2dNativeBackpropInput, dy, filter);
  const info = depthwiseInfo(attrs.inputShape, filter.shape, attrs);
  if (!forcedDepthwiseLoop && depthwiseSimdCovers(info)) {
    return depthwiseBackpropInputSimd(backend, dy, filter, info);
  }
  const out = backend.makeOutput(attrs.inputShape, 'float32');
  const dys = heapF32(backend, dy);
  const ws = heapF32(backend, filter);
  const dx = heapF32(backend, out);
  dx.fill(0);
  const cin = info.inChannels;
  const mult = info.outChannels / cin;
  // Scatter each dy element back over the inputs it was computed from.
  forEachDepthwiseTap(info, (dyBase, xBase, wBase) => {
    for (let c = 0, o = 0; c < cin; c++) {
      let sum = 0;
      for (let q = 0; q < mult; q++, o++) sum += dys[dyBase + o]! * ws[wBase + o]!;
      dx[xBase + c] = dx[xBase + c]! + sum;
    }
  });
  return out;
}

// ---------------------------------------------------------------------------------------------
// MaxPoolGrad: wasm has one, but it is 2–3.5× slower than the loop below on the convnet's pools
// and it breaks ties differently from the cpu backend (and TensorFlow): in a window of equal
// values, such as the zeros a ReLU leaves, cpu routes the gradient to the first, wasm's kernel
// does not. Here: the first maximum in row-major window order, as on cpu. 2×2 windows at stride
// 2 (every pool of our networks) go to a SIMD kernel that finds it with equality masks against
// the forward output, with no data-dependent branch (LeNet-5's two: 0.66 → 0.15 ms a step, by
// bench/profile-step.ts, against the JS loop with the same masks it replaced);
// when a window has no finite maximum (NaN, all −∞) the loop redoes the gradient exactly.

function maxPoolGrad(args: KernelArgs<MaxPoolGradAttrs>): TensorInfo {
  const { inputs, attrs, backend } = args;
  const dy = input(inputs, 'dy', MaxPoolGrad);
  const x = input(inputs, 'input', MaxPoolGrad);
  requireFloat32(MaxPoolGrad, dy, x);
  const info = backend_util.computePool2DInfo(
    x.shape as [number, number, number, number],
    attrs.filterSize,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
  );
  const y = input(inputs, 'output', MaxPoolGrad);
  const out = backend.makeOutput(x.shape, 'float32');
  const { batchSize, inHeight: h, inWidth: w, inChannels: c, outHeight: oh, outWidth: ow } = info;
  const { strideHeight: sh, strideWidth: sw, effectiveFilterHeight: fh, effectiveFilterWidth: fw } = info;
  const pt = info.padInfo.top;
  const pl = info.padInfo.left;
  if (fh === 2 && fw === 2 && sh === 2 && sw === 2 && pt === 0 && pl === 0 && y.dtype === 'float32') {
    // An odd last row or column belongs to no window: only it needs zeros first.
    if (h % 2 || w % 2) heapF32(backend, out).fill(0);
    if (maxPoolGrad2x2Simd(backend, x, y, dy, out)) return out;
  }
  const xs = heapF32(backend, x);
  const dys = heapF32(backend, dy);
  const dx = heapF32(backend, out);
  dx.fill(0);
  const best = new Float32Array(c);
  const where = new Int32Array(c);
  for (let n = 0, o = 0; n < batchSize; n++) {
    for (let yo = 0; yo < oh; yo++) {
      for (let xo = 0; xo < ow; xo++, o += c) {
        best.fill(-Infinity);
        where.fill(-1);
        for (let i = 0; i < fh; i++) {
          const hi = yo * sh - pt + i;
          if (hi < 0 || hi >= h) continue;
          for (let j = 0; j < fw; j++) {
            const wi = xo * sw - pl + j;
            if (wi < 0 || wi >= w) continue;
            const base = ((n * h + hi) * w + wi) * c;
            for (let k = 0; k < c; k++) {
              const v = xs[base + k]!;
              if (v > best[k]!) {
                best[k] = v;
                where[k] = base + k;
              }
            }
          }
        }
        for (let k = 0; k < c; k++) {
          const p = where[k]!;
          if (p >= 0) dx[p] = dx[p]! + dys[o + k]!;
        }
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Sum over leading axes: the gradient of every bias (conv: [N, H, W, C] → [C], dense: [N, C] →
// [C]). wasm's Sum transposes the reduced axes to the end first: 0.3 ms for lenet5's first conv
// map [64, 24, 24, 6], 7 ms for convnet's [64, 28, 28, 32]. Read as one image of M × 1 pixels with
// C channels, the same sum is one XNNPACK average pooling over an M × 1 window (0.05 and 0.3 ms)
// times M. (A matmul with a row of ones is fast only while XNNPACK has the summed tensor packed
// from an earlier call, which a fresh gradient never is.) Other reductions go to wasm's kernel.

/** Longest window handed to the average pooling; longer sums go to wasm's own kernel. */
const MAX_POOL_WINDOW = 1 << 22;

function sum(args: KernelArgs<SumAttrs>): TensorInfo {
  const { inputs, attrs, backend } = args;
  const x = input(inputs, 'x', Sum);
  const axes = util.parseAxisParam(attrs.axis, x.shape).sort((a, b) => a - b);
  const k = axes.length;
  const leading = k > 0 && k < x.shape.length && axes.every((a, i) => a === i);
  const m = util.sizeFromShape(x.shape.slice(0, k));
  if (x.dtype !== 'float32' || !leading || m < 2 || m > MAX_POOL_WINDOW) {
    return run(Sum, backend, inputs, attrs);
  }
  const inner = x.shape.slice(k);
  const c = util.sizeFromShape(inner);
  const image = { dataId: x.dataId, shape: [1, m, 1, c], dtype: x.dtype };
  const out = run(AvgPool, backend, { x: image }, { filterSize: [m, 1], strides: 1, pad: 'valid' });
  const values = heapF32(backend, out);
  for (let i = 0; i < c; i++) values[i] = values[i]! * m;
  const shape = attrs.keepDims ? [...x.shape.slice(0, k).map(() => 1), ...inner] : inner;
  return { dataId: out.dataId, shape, dtype: 'float32' };
}

// ---------------------------------------------------------------------------------------------
// Add of a per-channel vector ([..., C] + [C], every bias): XNNPACK broadcasts the vector along
// rows of only C values, which at C = 6 costs 5× a same-shape add. Viewing the big operand as
// rows of K·C values and tiling the vector K times makes the rows long. Other adds go to wasm's
// own kernel.

/** Elements per row to aim for when tiling a broadcast vector. */
const TILE_ROW = 256;

function add(args: KernelArgs<NamedAttrMap>): TensorInfo {
  const { inputs, backend } = args;
  const a = input(inputs, 'a', Add);
  const b = input(inputs, 'b', Add);
  const aSize = util.sizeFromShape(a.shape);
  const bSize = util.sizeFromShape(b.shape);
  const [big, vec] = aSize >= bSize ? [a, b] : [b, a];
  const c = big.shape[big.shape.length - 1] ?? 0;
  const m = Math.max(aSize, bSize) / Math.max(c, 1);
  const isChannelVector =
    vec.shape.length <= big.shape.length &&
    util.sizeFromShape(vec.shape) === c &&
    vec.shape.slice(0, -1).every((d) => d === 1);
  let tiles = 1;
  while (tiles * c < TILE_ROW && m % (2 * tiles) === 0) tiles *= 2;
  if (a.dtype !== 'float32' || b.dtype !== 'float32' || !isChannelVector || c === 0 || tiles === 1) {
    return run(Add, backend, inputs);
  }
  const tiled = backend.makeOutput([tiles * c], 'float32');
  const src = heapF32(backend, vec);
  const dst = heapF32(backend, tiled);
  for (let t = 0; t < tiles; t++) dst.set(src.subarray(0, c), t * c);
  const rows = { dataId: big.dataId, shape: [m / tiles, tiles * c], dtype: big.dtype };
  const out = run(Add, backend, big === a ? { a: rows, b: tiled } : { a: tiled, b: rows });
  backend.disposeData(tiled.dataId);
  return { dataId: out.dataId, shape: [...big.shape], dtype: 'float32' };
}

// ---------------------------------------------------------------------------------------------
// _FusedMatMul (matmul + bias + activation, XNNPACK's fully-connected operator): wasm's kernel
// reads its operands' shapes as [batch, rows, cols], as tf.fused.matMul hands them over; a dense
// layer's are 2-D. Present them as 3-D (a view, no copy) and return the 2-D product.

function fusedMatMul(args: KernelArgs<NamedAttrMap>): TensorInfo {
  const { inputs, attrs, backend } = args;
  const a = input(inputs, 'a', _FusedMatMul);
  const b = input(inputs, 'b', _FusedMatMul);
  if (a.shape.length !== 2 || b.shape.length !== 2) return run(_FusedMatMul, backend, inputs, attrs);
  const as3 = (t: TensorInfo) => ({ dataId: t.dataId, shape: [1, ...t.shape], dtype: t.dtype });
  const out = run(_FusedMatMul, backend, { ...inputs, a: as3(a), b: as3(b) }, attrs);
  return { dataId: out.dataId, shape: out.shape.slice(1), dtype: out.dtype };
}

// ---------------------------------------------------------------------------------------------
// UnsortedSegmentSum: the gradient of GatherV2 with respect to the gathered tensor.
// out[s, ...] = Σ_{k : ids[k] = s} x[k, ...]; ids outside [0, numSegments) are dropped, as on cpu.

function unsortedSegmentSum(args: KernelArgs<UnsortedSegmentSumAttrs>): TensorInfo {
  const { inputs, attrs, backend } = args;
  const x = input(inputs, 'x', UnsortedSegmentSum);
  const ids = input(inputs, 'segmentIds', UnsortedSegmentSum);
  if (x.dtype !== 'float32' && x.dtype !== 'int32') {
    throw new Error(`${UnsortedSegmentSum} on wasm supports float32 and int32, got ${x.dtype}.`);
  }
  const segments = attrs.numSegments;
  const rows = util.sizeFromShape(ids.shape);
  const inner = rows === 0 ? 0 : util.sizeFromShape(x.shape) / rows;
  const out = backend.makeOutput([segments, ...x.shape.slice(ids.shape.length)], x.dtype);
  const xs = backend.typedArrayFromHeap(x);
  const idv = backend.typedArrayFromHeap(ids);
  const os = backend.typedArrayFromHeap(out);
  os.fill(0);
  for (let r = 0; r < rows; r++) {
    const s = idv[r]!;
    if (s < 0 || s >= segments) continue;
    const src = r * inner;
    const dst = s * inner;
    for (let e = 0; e < inner; e++) os[dst + e] = os[dst + e]! + xs[src + e]!;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// BatchMatMul with transposeA/transposeB: wasm runs those through a scalar loop (about 12× slower
// than its XNNPACK path on a 64×3136×1000 dense-layer gradient), and every MatMul gradient asks
// for one. Transpose explicitly instead, picking whichever of the two equivalent forms moves
// fewer elements: A·Bᵀ either transposes B, or computes (B·Aᵀ)ᵀ.

function transposeLastTwo(backend: BackendWasm, t: TensorInfo): TensorInfo {
  const r = t.shape.length;
  const perm = [...Array(r).keys()];
  [perm[r - 2], perm[r - 1]] = [r - 1, r - 2];
  return run(Transpose, backend, { x: t }, { perm });
}

function batchMatMul(args: KernelArgs<BatchMatMulAttrs>): TensorInfo {
  const { inputs, attrs, backend } = args;
  const { transposeA, transposeB } = attrs;
  const a = input(inputs, 'a', BatchMatMul);
  const b = input(inputs, 'b', BatchMatMul);
  const plain = (l: TensorInfo, r: TensorInfo) =>
    run(BatchMatMul, backend, { a: l, b: r }, { transposeA: false, transposeB: false });
  if (!transposeA && !transposeB) return plain(a, b);

  const sizeA = util.sizeFromShape(a.shape);
  const sizeB = util.sizeFromShape(b.shape);
  const rows = a.shape[a.shape.length - (transposeA ? 1 : 2)]!;
  const cols = b.shape[b.shape.length - (transposeB ? 2 : 1)]!;
  const batch = Math.max(util.sizeFromShape(a.shape.slice(0, -2)), util.sizeFromShape(b.shape.slice(0, -2)));
  const sizeC = batch * rows * cols;
  // Elements moved by "transpose the flagged operands" vs "swap the operands, transpose the rest".
  const direct = (transposeA ? sizeA : 0) + (transposeB ? sizeB : 0);
  const swapped = (transposeA ? 0 : sizeA) + (transposeB ? 0 : sizeB) + sizeC;
  const temps: TensorInfo[] = [];
  const t = (x: TensorInfo) => {
    const y = transposeLastTwo(backend, x);
    temps.push(y);
    return y;
  };
  let out: TensorInfo;
  if (direct <= swapped) {
    out = plain(transposeA ? t(a) : a, transposeB ? t(b) : b);
  } else {
    // op(A)·op(B) = (op(B)ᵀ·op(A)ᵀ)ᵀ, where op(X)ᵀ is X itself for a flagged operand.
    const ct = plain(transposeB ? b : t(b), transposeA ? a : t(a));
    out = transposeLastTwo(backend, ct);
    backend.disposeData(ct.dataId);
  }
  for (const x of temps) backend.disposeData(x.dataId);
  return out;
}

// ---------------------------------------------------------------------------------------------

function register(name: string, kernelFunc: (args: KernelArgs<never>) => TensorInfo): void {
  const existing = getKernel(name, WASM);
  if (existing != null && !native.has(name)) native.set(name, existing);
  if (existing != null) unregisterKernel(name, WASM);
  registerKernel({
    kernelName: name,
    backendName: WASM,
    kernelFunc: kernelFunc as unknown as KernelFunc,
    // Keep wasm's setup (it binds the C++ function our kernel may fall back to) for the case
    // where the backend is created, or re-created, after this registration.
    ...(existing?.setupFunc ? { setupFunc: existing.setupFunc } : {}),
    ...(existing?.disposeFunc ? { disposeFunc: existing.disposeFunc } : {}),
  });
}

/** Ours, by kernel name: registered now for 'wasm' (in place of `native`'s, where wasm has one). */
const active = new Set<string>();

const IMPLEMENTATIONS: Record<(typeof WASM_KERNEL_NAMES)[number], (args: KernelArgs<never>) => TensorInfo> = {
  [Conv2DBackpropFilter]: conv2DBackpropFilter as never,
  [Conv2DBackpropInput]: conv2DBackpropInput as never,
  [DepthwiseConv2dNative]: depthwiseForward as never,
  [DepthwiseConv2dNativeBackpropFilter]: depthwiseBackpropFilter as never,
  [DepthwiseConv2dNativeBackpropInput]: depthwiseBackpropInput as never,
  [UnsortedSegmentSum]: unsortedSegmentSum as never,
  [BatchMatMul]: batchMatMul as never,
  [MaxPoolGrad]: maxPoolGrad as never,
  [Sum]: sum as never,
  [Add]: add as never,
  [_FusedMatMul]: fusedMatMul as never,
  [Conv2D]: ((args: KernelArgs<Conv2DAttrs>) => convForward(Conv2D, args)) as never,
  [FusedConv2D]: ((args: KernelArgs<FusedConv2DAttrs>) => convForward(FusedConv2D, args)) as never,
  [Identity]: sharedIdentity as never,
};

/**
 * Registers the kernels above for backend 'wasm' (all of them, or the named ones). Idempotent;
 * initBackend calls it when it picks wasm. Harmless when the wasm backend is never used.
 */
export function registerWasmKernels(names: readonly string[] = WASM_KERNEL_NAMES): void {
  for (const name of names) {
    if (active.has(name)) continue;
    const impl = IMPLEMENTATIONS[name as (typeof WASM_KERNEL_NAMES)[number]];
    if (impl == null) throw new Error(`registerWasmKernels: no kernel '${name}' here.`);
    register(name, impl);
    active.add(name);
  }
}

/**
 * Puts wasm's own kernels back (or leaves the name unregistered where wasm has none): for tests
 * and for bench/profile-wasm.ts, which compare against wasm as shipped.
 */
export function restoreWasmKernels(names: readonly string[] = WASM_KERNEL_NAMES): void {
  for (const name of names) {
    if (!active.has(name)) continue;
    unregisterKernel(name, WASM);
    const original = native.get(name);
    if (original != null) registerKernel(original);
    active.delete(name);
  }
}

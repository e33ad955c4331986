// Our SIMD kernels (wat.ts), instantiated on TensorFlow.js's own wasm memory, and the JS that
// drives them. Each driver takes tensors on the wasm backend's heap and writes its result there.

import { util } from '@tensorflow/tfjs-core';
import type { backend_util } from '@tensorflow/tfjs-core';
import type { TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { KERNELS_WASM_BASE64 } from './kernels.generated';
import { webAssembly } from './webassembly';
import { heapAddress, heapF32, heapZeros } from '../wasm-heap';
import { zigguratTables } from '../../../../shared/rng';
import type { Rng } from '../../../../shared/rng';
import {
  convName,
  filterGradName,
  inputGradName,
  LANES,
  MAX_COLUMNS,
  MAX_INPUT_VECTORS,
  MAX_ROWS,
  MAX_VECTORS,
  maxPoolGradName,
  NORMAL_MOVES,
  sgdUpdateName,
  ZIGGURAT_LAYOUT,
} from './wat';

type Kernel = (...args: number[]) => number | undefined;

/** Bytes of input and output gradient a filter-gradient pass streams over at a time (L2: 2 MB; 256 KB to 1 MB measure the same). */
const CHUNK_BYTES = 256 * 1024;

interface Loaded {
  memory: object;
  kernels: Record<string, Kernel>;
  /** The SSA generator's block on the heap (ziggurat tables, then 16 bytes of state), once made. */
  moves: { at: number; std: number } | null;
}

let loaded: Loaded | null = null;

/** The module bound to the backend's memory (instantiated once per memory). */
function instance(backend: BackendWasm): Loaded {
  // Emscripten's module keeps the instance's exports as `asm`; its memory is exported there.
  const memory = (backend.wasm as unknown as { asm: { memory: object } }).asm.memory;
  if (loaded == null || loaded.memory !== memory) {
    const module = new webAssembly.Module(Buffer.from(KERNELS_WASM_BASE64, 'base64'));
    const imports = { env: { memory }, math: { exp: Math.exp, log: Math.log } };
    const exports = new webAssembly.Instance(module, imports).exports as Record<string, Kernel>;
    loaded = { memory, kernels: exports, moves: null };
  }
  return loaded;
}

/** The module's functions by name, bound to the backend's memory (for the drivers in other files too). */
export function kernels(backend: BackendWasm): Record<string, Kernel> {
  return instance(backend).kernels;
}

/**
 * x with the convolution's padding made real (zeros), so that every tap of every output position
 * reads inside it; x itself when no padding reaches into it.
 */
function paddedInput(backend: BackendWasm, x: TensorInfo, info: backend_util.Conv2DInfo): TensorInfo {
  const { batchSize: nb, inHeight: h, inWidth: w, inChannels: cin, outHeight: oh, outWidth: ow } = info;
  const pt = info.padInfo.top;
  const pl = info.padInfo.left;
  const hp = Math.max(h + pt, (oh - 1) * info.strideHeight + info.filterHeight);
  const wp = Math.max(w + pl, (ow - 1) * info.strideWidth + info.filterWidth);
  if (pt === 0 && pl === 0 && hp === h && wp === w) return x;
  const padded = heapZeros(backend, [nb, hp, wp, cin]);
  const dst = heapF32(backend, padded);
  const src = heapF32(backend, x);
  const row = w * cin;
  for (let n = 0; n < nb; n++) {
    for (let y = 0; y < h; y++) {
      const from = (n * h + y) * row;
      dst.set(src.subarray(from, from + row), ((n * hp + y + pt) * wp + pl) * cin);
    }
  }
  return padded;
}

/**
 * Conv2DBackpropFilter (NHWC, float32, dilation 1), dW[i, j, c, o] = Σ_{n,ho,wo} x[n, ho·sh + i -
 * pt, wo·sw + j - pl, c] · dy[n, ho, wo, o], as blocks of fgrad_*: for each filter row i, the
 * kw·cin values (j, c) are consecutive in x, so a block takes up to MAX_ROWS of them against up
 * to MAX_VECTORS vectors of output channels, accumulating in registers over every position.
 */
export function conv2DBackpropFilterSimd(
  backend: BackendWasm,
  x: TensorInfo,
  dy: TensorInfo,
  info: backend_util.Conv2DInfo,
): TensorInfo {
  const { batchSize: nb, inChannels: cin, outChannels: cout, outHeight: oh, outWidth: ow } = info;
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
  // The kernels' loops run at least once: an empty sum is answered here.
  if (nb * oh * ow * cin * cout === 0) return heapZeros(backend, [kh, kw, cin, cout]);
  const xp = paddedInput(backend, x, info);
  const [, hp, wp] = xp.shape as [number, number, number, number];
  const k = kw * cin;
  const coutPad = Math.ceil(cout / LANES) * LANES;
  const out = heapZeros(backend, [kh * k, coutPad]);
  const fn = kernels(backend);
  const outAt = heapAddress(backend, out);
  const block = MAX_VECTORS * LANES;
  // Images at a time: every block streams over all their positions, so they should stay in cache.
  const imageBytes = (hp * wp * cin + oh * ow * cout) * 4;
  const chunk = Math.max(1, Math.floor(CHUNK_BYTES / imageBytes));
  for (let n0 = 0; n0 < nb; n0 += chunk) {
    const images = Math.min(chunk, nb - n0);
    const xAt = heapAddress(backend, xp) + n0 * hp * wp * cin * 4;
    const dyAt = heapAddress(backend, dy) + n0 * oh * ow * cout * 4;
    for (let i = 0; i < kh; i++) {
      for (let q0 = 0; q0 < k; q0 += MAX_ROWS) {
        const rows = Math.min(MAX_ROWS, k - q0);
        for (let o0 = 0; o0 < cout; o0 += block) {
          const left = Math.min(block, cout - o0);
          const kernel = fn[filterGradName(rows, Math.ceil(left / LANES), left % LANES)]!;
          kernel(
            xAt + (i * wp * cin + q0) * 4,
            dyAt + o0 * 4,
            outAt + ((i * k + q0) * coutPad + o0) * 4,
            images,
            oh,
            ow,
            hp * wp * cin * 4,
            sh * wp * cin * 4,
            sw * cin * 4,
            cout * 4,
            coutPad * 4,
          );
        }
      }
    }
  }
  if (xp !== x) backend.disposeData(xp.dataId);
  if (coutPad === cout) return { dataId: out.dataId, shape: [kh, kw, cin, cout], dtype: 'float32' };
  const dw = backend.makeOutput([kh, kw, cin, cout], 'float32');
  const from = heapF32(backend, out);
  const to = heapF32(backend, dw);
  for (let r = 0; r < kh * k; r++) to.set(from.subarray(r * coutPad, r * coutPad + cout), r * cout);
  backend.disposeData(out.dataId);
  return dw;
}

/**
 * Conv2DBackpropInput (NHWC, float32, dilation 1) by scattering each output position's gradient
 * back through the filter, filter row by filter row (igrad_* in wat.ts), into a copy of dx padded
 * by the convolution's padding, then cropped. Unlike a convolution of the zero-padded dy with the
 * flipped filter, it does no multiplications by padding.
 */
export function conv2DBackpropInputSimd(
  backend: BackendWasm,
  dy: TensorInfo,
  filter: TensorInfo,
  info: backend_util.Conv2DInfo,
): TensorInfo {
  const { batchSize: nb, inHeight: h, inWidth: w, inChannels: cin, outChannels: cout } = info;
  const { outHeight: oh, outWidth: ow, filterHeight: kh, filterWidth: kw } = info;
  const { strideHeight: sh, strideWidth: sw } = info;
  // The kernels' loops run at least once: an empty sum is answered here.
  if (nb * oh * ow * cin * cout === 0) return heapZeros(backend, [nb, h, w, cin]);
  const pt = info.padInfo.top;
  const pl = info.padInfo.left;
  const hp = Math.max(h + pt, (oh - 1) * sh + kh);
  const wp = Math.max(w + pl, (ow - 1) * sw + kw);
  const k = kw * cin;
  const kPad = Math.ceil(k / LANES) * LANES;

  // wt[i, o, (j, c)] = W[i, j, c, o], rows zero-padded to whole vectors.
  const wt = heapZeros(backend, [kh * cout * kPad]);
  // dx padded, plus one vector of slack for the zero lanes past the last position's row.
  const padded = heapZeros(backend, [nb * hp * wp * cin + LANES]);
  // Views after the last allocation (growth would detach them).
  const wts = heapF32(backend, wt);
  const ws = heapF32(backend, filter);
  for (let i = 0; i < kh; i++) {
    for (let q = 0; q < k; q++) {
      const from = (i * k + q) * cout;
      for (let o = 0; o < cout; o++) wts[(i * cout + o) * kPad + q] = ws[from + o]!;
    }
  }

  const fn = kernels(backend);
  const dyAt = heapAddress(backend, dy);
  const wtAt = heapAddress(backend, wt);
  const dxAt = heapAddress(backend, padded);
  const block = MAX_INPUT_VECTORS * LANES;
  for (let q0 = 0; q0 < k; q0 += block) {
    const kernel = fn[inputGradName(Math.ceil(Math.min(block, k - q0) / LANES))]!;
    kernel(
      dyAt,
      wtAt + q0 * 4,
      dxAt + q0 * 4,
      nb,
      oh,
      ow,
      cout,
      kh,
      hp * wp * cin * 4,
      sh * wp * cin * 4,
      sw * cin * 4,
      wp * cin * 4,
      kPad * 4,
      cout * kPad * 4,
    );
  }
  backend.disposeData(wt.dataId);

  const dx = backend.makeOutput([nb, h, w, cin], 'float32');
  const from = heapF32(backend, padded);
  const to = heapF32(backend, dx);
  const row = w * cin;
  for (let n = 0; n < nb; n++) {
    for (let y = 0; y < h; y++) {
      const start = ((n * hp + y + pt) * wp + pl) * cin;
      to.set(from.subarray(start, start + row), (n * h + y) * row);
    }
  }
  backend.disposeData(padded.dataId);
  return dx;
}

/** The activations conv2DSimd applies: the ones FusedConv2D takes that are a lower bound. */
export type SimdActivation = 'linear' | 'relu';

/**
 * Conv2D / FusedConv2D (NHWC, float32, dilation 1) with an optional per-channel bias and ReLU:
 * blocks of up to MAX_COLUMNS output columns × MAX_VECTORS vectors of channels (conv_* in
 * wat.ts), the columns left over at the end of each row by a narrower block.
 */
export function conv2DSimd(
  backend: BackendWasm,
  x: TensorInfo,
  filter: TensorInfo,
  bias: TensorInfo | null,
  info: backend_util.Conv2DInfo,
  activation: SimdActivation,
): TensorInfo {
  const { batchSize: nb, inChannels: cin, outChannels: cout, outHeight: oh, outWidth: ow } = info;
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
  const y = backend.makeOutput([nb, oh, ow, cout], 'float32');
  if (nb * oh * ow * cout === 0) return y; // nothing to compute (callers never pass cin = 0)
  const xp = paddedInput(backend, x, info);
  const [, hp, wp] = xp.shape as [number, number, number, number];
  const zeroBias = bias == null ? heapZeros(backend, [cout]) : null;
  const fn = kernels(backend);
  const xAt = heapAddress(backend, xp);
  const wAt = heapAddress(backend, filter);
  const bAt = heapAddress(backend, bias ?? zeroBias!);
  const yAt = heapAddress(backend, y);
  const k = kw * cin;
  const full = Math.floor(ow / MAX_COLUMNS);
  const rest = ow % MAX_COLUMNS;
  const floor = activation === 'relu' ? 0 : -Infinity;
  const block = MAX_VECTORS * LANES;
  for (let o0 = 0; o0 < cout; o0 += block) {
    const left = Math.min(block, cout - o0);
    const vectors = Math.ceil(left / LANES);
    const tail = left % LANES;
    // [columns, first column, blocks per row]
    const parts: [number, number, number][] = [];
    if (full > 0) parts.push([MAX_COLUMNS, 0, full]);
    if (rest > 0) parts.push([rest, full * MAX_COLUMNS, 1]);
    for (const [columns, first, blocks] of parts) {
      fn[convName(columns, vectors, tail)]!(
        xAt + first * sw * cin * 4,
        wAt + o0 * 4,
        bAt + o0 * 4,
        yAt + (first * cout + o0) * 4,
        nb,
        oh,
        blocks,
        kh,
        k,
        hp * wp * cin * 4,
        sh * wp * cin * 4,
        wp * cin * 4,
        sw * cin * 4,
        cout * 4,
        (ow - columns * blocks) * cout * 4,
        cout * 4,
        floor,
      );
    }
  }
  if (xp !== x) backend.disposeData(xp.dataId);
  if (zeroBias != null) backend.disposeData(zeroBias.dataId);
  return y;
}

/**
 * MaxPoolGrad of a 2×2, stride 2, unpadded pool into `dx` (x's shape; an odd last row or column,
 * which no window covers, is left as it is). Returns false, having written garbage, when a window
 * has no finite maximum among its inputs (NaN, all -∞): the caller then needs its exact rule.
 */
export function maxPoolGrad2x2Simd(
  backend: BackendWasm,
  x: TensorInfo,
  y: TensorInfo,
  dy: TensorInfo,
  dx: TensorInfo,
): boolean {
  const [nb, h, w, c] = x.shape as [number, number, number, number];
  const [, oh, ow] = y.shape as [number, number, number, number];
  if (nb * oh * ow * c === 0) return true;
  const kernel = kernels(backend)[maxPoolGradName(c % LANES)]!;
  const bad = kernel(
    heapAddress(backend, x),
    heapAddress(backend, y),
    heapAddress(backend, dy),
    heapAddress(backend, dx),
    nb,
    oh,
    ow,
    Math.floor(c / LANES),
    h * w * c * 4,
    w * c * 4,
    c * 4,
  );
  return bad === 0;
}

interface Heap {
  HEAP32: Int32Array;
  HEAPF64: Float64Array;
  _malloc(bytes: number): number;
}

/**
 * SSA's candidate pair for every weight tensor: plus = w + Δ and minus = w − Δ with Δ ~ N(0,
 * std²) drawn from `rng` exactly as Rng.fillNormal would draw it, tensor after tensor (see
 * normalMoves in wat.ts), so the run is the same as with the JS generator, only faster.
 */
export function normalMovesSimd(
  backend: BackendWasm,
  params: readonly TensorInfo[],
  std: number,
  rng: Rng,
): { plus: TensorInfo[]; minus: TensorInfo[] } {
  const plus = params.map((w) => backend.makeOutput(w.shape, 'float32'));
  const minus = params.map((w) => backend.makeOutput(w.shape, 'float32'));
  const module = instance(backend);
  const ziggurat = zigguratTables();
  const heap = backend.wasm as unknown as Heap;
  const { kn, scaledWn, bytes } = ZIGGURAT_LAYOUT;
  if (module.moves == null) {
    // Lives as long as the module: 8 KB of tables and the state, never freed.
    module.moves = { at: heap._malloc(bytes + 16), std: NaN };
    const f64 = heap.HEAPF64;
    f64.set(ziggurat.kn, (module.moves.at + kn) / 8);
    f64.set(ziggurat.wn, (module.moves.at + ZIGGURAT_LAYOUT.wn) / 8);
    f64.set(ziggurat.fn, (module.moves.at + ZIGGURAT_LAYOUT.fn) / 8);
  }
  const at = module.moves.at;
  if (module.moves.std !== std) {
    // wn·std, as fillNormal's scaled table: the same products, so the same values.
    const f64 = heap.HEAPF64;
    for (let i = 0; i < 256; i++) f64[(at + scaledWn) / 8 + i] = ziggurat.wn[i]! * std;
    module.moves.std = std;
  }
  const { R } = ziggurat;
  const state = (at + bytes) / 4;
  rng.advanceRaw((raw) => {
    heap.HEAP32.set(raw, state);
    params.forEach((w, i) => {
      module.kernels[NORMAL_MOVES]!(
        heapAddress(backend, w),
        heapAddress(backend, plus[i]!),
        heapAddress(backend, minus[i]!),
        util.sizeFromShape(w.shape),
        at,
        at + bytes,
        std,
        R,
      );
    });
    raw.set(heap.HEAP32.subarray(state, state + 4));
  });
  return { plus, minus };
}

export interface SgdUpdateOptions {
  lr: number;
  momentum: number;
  nesterov: boolean;
  weightDecay: number;
}

/**
 * One SGD step on one weight tensor (sgdUpdate in wat.ts): the new weights, and the new momentum
 * buffer when there is one (`v` given exactly when momentum > 0). New buffers; the caller assigns.
 */
export function sgdUpdateSimd(
  backend: BackendWasm,
  w: TensorInfo,
  g: TensorInfo,
  v: TensorInfo | null,
  o: SgdUpdateOptions,
): { w: TensorInfo; v: TensorInfo | null } {
  const wNext = backend.makeOutput(w.shape, 'float32');
  const vNext = v ? backend.makeOutput(w.shape, 'float32') : null;
  const kernel = kernels(backend)[sgdUpdateName(v != null, v != null && o.nesterov, o.weightDecay > 0)]!;
  kernel(
    heapAddress(backend, w),
    heapAddress(backend, g),
    v ? heapAddress(backend, v) : 0,
    heapAddress(backend, wNext),
    vNext ? heapAddress(backend, vNext) : 0,
    util.sizeFromShape(w.shape),
    o.lr,
    o.momentum,
    o.weightDecay,
  );
  return { w: wNext, v: vNext };
}

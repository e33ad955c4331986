// Our SIMD kernels (wat.ts), instantiated on TensorFlow.js's own wasm memory, and the JS that
// drives them. Each driver takes tensors on the wasm backend's heap and writes its result there.

import { util } from '@tensorflow/tfjs-core';
import type { backend_util } from '@tensorflow/tfjs-core';
import type { TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { KERNELS_WASM_BASE64 } from './kernels.generated';
import { webAssembly } from './webassembly';
import { KernelPool } from './kernel-pool';
import type { RecordedCalls } from './kernel-pool';
import { isSharedMemory, withSharedMemory } from './shared-memory';
import { heapAddress, heapF32, heapZeros } from '../wasm-heap';
import { zigguratTables } from '../../../../shared/rng';
import type { Rng } from '../../../../shared/rng';
import {
  convName,
  FGEMM_ROWS,
  FGEMM_VECTORS,
  filterGemmName,
  inputGradName,
  LANES,
  MAX_COLUMNS,
  MAX_INPUT_VECTORS,
  MAX_VECTORS,
  maxPoolGradName,
  NORMAL_MOVES,
  packDyName,
  packRowsName,
  sgdUpdateName,
  ZIGGURAT_LAYOUT,
} from './wat';

export type Kernel = (...args: number[]) => number | undefined;

/**
 * Bytes of dy panel the filter gradient packs at a time (whole images, at least one): each block
 * of x values streams over all of it, so it should stay in L2 (1 MB here). 128, 256 and 512 KB
 * measured the same within the noise on the CIFAR shapes.
 */
const CHUNK_BYTES = 256 * 1024;

/** Filter values (kh·kw·cin) up to which the filter gradient reads dy in place (see there). */
const DY_IN_PLACE_VALUES = 64;

interface Loaded {
  memory: object;
  /** The module's binary as instantiated here (its memory import shared when the heap is). */
  bytes: Uint8Array;
  kernels: Record<string, Kernel>;
  /** The SSA generator's block on the heap (ziggurat tables, then 16 bytes of state), once made. */
  moves: { at: number; std: number } | null;
  /** Worker threads running the kernels on the same heap (kernel-threads.ts), if any. */
  pool: KernelPool | null;
}

let loaded: Loaded | null = null;

/** The backend's WebAssembly.Memory. */
function backendMemory(backend: BackendWasm): object {
  // Emscripten's module keeps the instance's exports as `asm`; its memory is exported there.
  return (backend.wasm as unknown as { asm: { memory: object } }).asm.memory;
}

/** The module bound to the backend's memory (instantiated once per memory). */
function instance(backend: BackendWasm): Loaded {
  const memory = backendMemory(backend);
  if (loaded == null || loaded.memory !== memory) {
    const plain = new Uint8Array(Buffer.from(KERNELS_WASM_BASE64, 'base64'));
    // A shared heap (shared-memory.ts) needs the import declared shared too.
    const bytes = isSharedMemory(memory) ? withSharedMemory(plain) : plain;
    if (bytes == null) throw new Error('The SIMD kernels module has no memory import to share.');
    const module = new webAssembly.Module(bytes);
    const imports = { env: { memory }, math: { exp: Math.exp, log: Math.log } };
    const exports = new webAssembly.Instance(module, imports).exports as Record<string, Kernel>;
    void loaded?.pool?.close();
    loaded = { memory, bytes, kernels: exports, moves: null, pool: null };
  }
  return loaded;
}

/** The module's functions, by name, bound to this backend's heap. */
export function kernels(backend: BackendWasm): Record<string, Kernel> {
  return instance(backend).kernels;
}

/**
 * Runs our kernels on `threads` threads from now on (1: this one only). Rejects, changing
 * nothing, when the backend's heap is not shared (then only one thread can use it).
 */
export async function setSimdThreads(backend: BackendWasm, threads: number): Promise<void> {
  const module = instance(backend);
  if ((module.pool?.threads ?? 1) === threads) return;
  if (threads > 1 && !isSharedMemory(module.memory)) {
    throw new Error(
      'the wasm heap is not shared (the wasm backend was initialised before Annealab could share it)',
    );
  }
  const next =
    threads > 1 ? await KernelPool.start(threads, module.memory, module.bytes, module.kernels) : null;
  const previous = module.pool;
  module.pool = next;
  await previous?.close();
}

/** The threads our kernels run on. */
export function simdThreads(backend: BackendWasm): number {
  return instance(backend).pool?.threads ?? 1;
}

/** Kernel calls the threads have shared so far (0 on one thread). */
export function simdPooledBatches(backend: BackendWasm): number {
  return instance(backend).pool?.batches ?? 0;
}

/**
 * Multiply-adds below which a kernel runs on this thread alone: waking the workers costs tens of
 * microseconds, and a call this small takes about a millisecond.
 */
const POOLED_MIN_WORK = 1 << 22;

/**
 * Where a driver's kernel calls go: straight to the kernels (one thread, or little work), or
 * recorded and run on the pool by finish(). `units` is how many independent units the driver
 * tags its calls with; `slices` how many it should cut its work into (1 when calls run here).
 */
export function kernelCalls(backend: BackendWasm, work: number): { calls: RecordedCalls; slices: number } {
  const module = instance(backend);
  const pool = module.pool;
  if (pool == null || work < POOLED_MIN_WORK) {
    const fn = module.kernels;
    let result = 0;
    const calls: RecordedCalls = {
      call: (_unit, name, ...args) => {
        result |= fn[name]!(...args) as number;
      },
      finish: () => {
        const answer = result;
        result = 0;
        return answer;
      },
    };
    return { calls, slices: 1 };
  }
  return { calls: pool.record(), slices: pool.threads };
}

/** Splits `count` items into at most `slices` contiguous runs: [first, count] of each. */
export function sliceRange(count: number, slices: number): [number, number][] {
  const runs: [number, number][] = [];
  const n = Math.min(slices, count);
  for (let s = 0; s < n; s++) {
    const first = Math.floor((s * count) / n);
    runs.push([first, Math.floor(((s + 1) * count) / n) - first]);
  }
  return runs;
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
 * Conv2DBackpropFilter (NHWC, float32, dilation 1) as the matrix product dW[(i, j, c), o] =
 * Σ_p X[p, (i, j, c)] · dY[p, o] over the output positions p of a chunk of images, with both
 * operands packed into panels first (fgemm_*, fgrad_pack_* in wat.ts): dy into [o-block][p][8],
 * then for each block of up to FGEMM_ROWS consecutive (j, c) values of a filter row i, x into
 * [p][rows]; the product then reads both sequentially in one loop over the chunk's positions.
 * Two shapes skip a panel: a 1×1 stride-1 unpadded x is its own panel, and dy is read in place
 * when few filter values reuse it.
 */
export function conv2DBackpropFilterSimd(
  backend: BackendWasm,
  x: TensorInfo,
  dy: TensorInfo,
  info: backend_util.Conv2DInfo,
): TensorInfo {
  const { batchSize: nb, inChannels: cin, outChannels: cout, outHeight: oh, outWidth: ow } = info;
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
  const R = FGEMM_ROWS;
  const V = FGEMM_VECTORS;
  // The kernels' loops run at least once: an empty sum is answered here.
  if (nb * oh * ow * cin * cout === 0) return heapZeros(backend, [kh, kw, cin, cout]);
  // A 1×1 stride-1 convolution's x already is the panel X[p, c]: positions cin values apart.
  const pointwise =
    kh === 1 && kw === 1 && sh === 1 && sw === 1 && info.padInfo.top === 0 && info.padInfo.left === 0;
  const xp = pointwise ? x : paddedInput(backend, x, info);
  const [, hp, wp] = xp.shape as [number, number, number, number];
  const k = kw * cin;
  const coutPad = Math.ceil(cout / LANES) * LANES;
  const width = V * LANES;
  const fullBlocks = Math.floor(coutPad / width);
  const restVectors = (coutPad - fullBlocks * width) / LANES;
  const perImage = oh * ow;
  const images = Math.max(1, Math.min(nb, Math.floor(CHUNK_BYTES / (perImage * coutPad * 4))));
  const out = heapZeros(backend, [kh * k, coutPad]);
  // Each dy value is read once per block of R x values, kh·kw·cin / R times: packing it costs a
  // copy through memory that few passes do not repay. Read in place (whole vectors, so only
  // where the channels fill them), 1.2–1.5× faster with ≤ 32 values (MobileNetV2's 32 px 1×1
  // layers, VGG's first), the same at 64, mixed at 144–384 (CPU time, --filter-only --shape).
  const dyInPlace = kh * kw * cin <= DY_IN_PLACE_VALUES && cout % width === 0;
  // dy packed whole (as large as dy), so that the product's units need nothing from each other.
  const dyPanel = dyInPlace ? null : heapZeros(backend, [nb * perImage * coutPad]);
  // Threads (kernel-pool.ts): the packing's and the product's units split as described below.
  const { calls, slices: threads } = kernelCalls(backend, nb * perImage * kh * k * cout);
  // One x panel per thread: a unit packs its rows of x, then multiplies them, on one thread.
  const panelFloats = images * perImage * R;
  const xPanel = pointwise ? null : heapZeros(backend, [threads * panelFloats]);
  // Addresses after the last allocation (they stay valid when the heap grows; views would not).
  const outAt = heapAddress(backend, out);
  const dyPanelAt = dyPanel == null ? 0 : heapAddress(backend, dyPanel);
  const xPanelAt = xPanel == null ? 0 : heapAddress(backend, xPanel);
  const xBase = heapAddress(backend, xp);
  const dyBase = heapAddress(backend, dy);
  // Where each chunk's product reads dy: b, positions bStride apart, o-blocks bBlock apart.
  // A panel: chunk c's starts at its first position's · coutPad floats, [o-block][position][width].
  const chunks: {
    n0: number;
    count: number;
    positions: number;
    b: number;
    bStride: number;
    bBlock: number;
  }[] = [];
  for (let n0 = 0; n0 < nb; n0 += images) {
    const count = Math.min(images, nb - n0);
    const positions = count * perImage;
    chunks.push(
      dyInPlace
        ? { n0, count, positions, b: dyBase + n0 * perImage * cout * 4, bStride: cout * 4, bBlock: width * 4 }
        : {
            n0,
            count,
            positions,
            b: dyPanelAt + n0 * perImage * coutPad * 4,
            bStride: width * 4,
            bBlock: positions * width * 4,
          },
    );
  }
  // Packing: each (chunk, o-block) iteration writes its own panel: a unit each. All of it is
  // done before the product starts (its own batch of calls).
  let packUnit = 0;
  for (const { n0, positions, b, bBlock } of dyInPlace ? [] : chunks) {
    const dyAt = dyBase + n0 * perImage * cout * 4;
    for (let o0 = 0; o0 < coutPad; o0 += width, packUnit++) {
      const vectors = Math.min(V, (coutPad - o0) / LANES);
      const left = Math.min(vectors * LANES, cout - o0);
      calls.call(
        packUnit,
        packDyName(vectors, left % LANES),
        dyAt + o0 * 4,
        b + (o0 / width) * bBlock,
        positions,
        cout * 4,
      );
    }
  }
  calls.finish();
  const units = kh * Math.ceil(k / R);
  // The product: each (i, q0) iteration writes its own rows of dW (and each o-block inside a
  // call its own columns); those are the units to split. A unit runs the chunk loop for its own
  // rows, in order, adding each chunk's sums into dW: every dW value sums its chunks in the same
  // order whoever computes it. The chunk loop is outside so that a chunk's dy panels, which
  // every (i, q0) block reads whole, stay in cache across the blocks.
  for (const { n0, count, positions, b, bStride, bBlock } of chunks) {
    const xAt = xBase + n0 * hp * wp * cin * 4;
    let unit = 0;
    for (let i = 0; i < kh; i++) {
      for (let q0 = 0; q0 < k; q0 += R, unit++) {
        const rows = Math.min(R, k - q0);
        let a = xAt + q0 * 4;
        let aStride = cin * 4;
        if (xPanel != null) {
          // The panel of the thread that runs this unit (kernel-pool.ts: ⌊u·T/U⌋).
          const panel = xPanelAt + Math.floor((unit * threads) / units) * panelFloats * 4;
          calls.call(
            unit,
            packRowsName(rows),
            xAt + (i * wp * cin + q0) * 4,
            panel,
            count,
            oh,
            ow,
            hp * wp * cin * 4,
            sh * wp * cin * 4,
            sw * cin * 4,
          );
          a = panel;
          aStride = rows * 4;
        }
        const dW = outAt + (i * k + q0) * coutPad * 4;
        if (fullBlocks > 0) {
          calls.call(
            unit,
            filterGemmName(rows, V),
            a,
            aStride,
            b,
            bStride,
            bBlock,
            dW,
            coutPad * 4,
            positions,
            fullBlocks,
          );
        }
        if (restVectors > 0) {
          calls.call(
            unit,
            filterGemmName(rows, restVectors),
            a,
            aStride,
            b + fullBlocks * bBlock,
            restVectors * 16,
            0,
            dW + fullBlocks * width * 4,
            coutPad * 4,
            positions,
            1,
          );
        }
      }
    }
  }
  calls.finish();
  if (dyPanel != null) backend.disposeData(dyPanel.dataId);
  if (xPanel != null) backend.disposeData(xPanel.dataId);
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

  const dyAt = heapAddress(backend, dy);
  const wtAt = heapAddress(backend, wt);
  const dxAt = heapAddress(backend, padded);
  const block = MAX_INPUT_VECTORS * LANES;
  // A slice of images is a unit: an image's gradient is scattered into its own padded dx only.
  const { calls, slices } = kernelCalls(backend, nb * oh * ow * kh * k * cout);
  for (const [unit, [n0, images]] of sliceRange(nb, slices).entries()) {
    for (let q0 = 0; q0 < k; q0 += block) {
      calls.call(
        unit,
        inputGradName(Math.ceil(Math.min(block, k - q0) / LANES)),
        dyAt + n0 * oh * ow * cout * 4,
        wtAt + q0 * 4,
        dxAt + (n0 * hp * wp * cin + q0) * 4,
        images,
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
  }
  calls.finish();
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
  const xAt = heapAddress(backend, xp);
  const wAt = heapAddress(backend, filter);
  const bAt = heapAddress(backend, bias ?? zeroBias!);
  const yAt = heapAddress(backend, y);
  const k = kw * cin;
  const full = Math.floor(ow / MAX_COLUMNS);
  const rest = ow % MAX_COLUMNS;
  const floor = activation === 'relu' ? 0 : -Infinity;
  const block = MAX_VECTORS * LANES;
  // A slice of images is a unit: each output value is one block's sum, whichever thread runs it.
  const { calls, slices } = kernelCalls(backend, nb * oh * ow * kh * k * cout);
  for (const [unit, [n0, images]] of sliceRange(nb, slices).entries()) {
    for (let o0 = 0; o0 < cout; o0 += block) {
      const left = Math.min(block, cout - o0);
      const vectors = Math.ceil(left / LANES);
      const tail = left % LANES;
      // [columns, first column, blocks per row]
      const parts: [number, number, number][] = [];
      if (full > 0) parts.push([MAX_COLUMNS, 0, full]);
      if (rest > 0) parts.push([rest, full * MAX_COLUMNS, 1]);
      for (const [columns, first, blocks] of parts) {
        calls.call(
          unit,
          convName(columns, vectors, tail),
          xAt + (n0 * hp * wp * cin + first * sw * cin) * 4,
          wAt + o0 * 4,
          bAt + o0 * 4,
          yAt + (n0 * oh * ow * cout + first * cout + o0) * 4,
          images,
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
  }
  calls.finish();
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
  // A slice of images is a unit (each window's gradient lands in its own image); the kernel
  // answers 1 when a window had no finite maximum, in whichever slice.
  const { calls, slices } = kernelCalls(backend, nb * oh * ow * c * 4);
  for (const [unit, [n0, images]] of sliceRange(nb, slices).entries()) {
    const args = [
      heapAddress(backend, x) + n0 * h * w * c * 4,
      heapAddress(backend, y) + n0 * oh * ow * c * 4,
      heapAddress(backend, dy) + n0 * oh * ow * c * 4,
      heapAddress(backend, dx) + n0 * h * w * c * 4,
      images,
      oh,
      ow,
      Math.floor(c / LANES),
      h * w * c * 4,
      w * c * 4,
      c * 4,
    ];
    calls.call(unit, maxPoolGradName(c % LANES), ...args);
  }
  return calls.finish() === 0;
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

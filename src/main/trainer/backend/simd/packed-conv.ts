// The forward convolution on packed weights (pconv_* in wat.ts), and the two convolutions that
// use it: Conv2D / FusedConv2D, and Conv2DBackpropInput as the forward convolution of the padded
// dy with the flipped, channel-swapped filter.
//
// Against conv2DSimd (kernels.ts), which reads W[kh, kw, cin, cout] in place and blocks 4
// consecutive columns of one output row, this one (1) repacks W per call into contiguous panels
// [o-block][kh][kw·cin][8 lanes], so a block's weight stream is sequential instead of striding
// cout·4 bytes a tap, and (2) blocks output positions across the flattened (image, row, column)
// space through a table of window offsets, so rows of 2 or 4 columns, and strides, still fill
// whole blocks. The order of summation is conv2DSimd's (and XNNPACK's): bias, then taps in order.

import type { backend_util, TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { kernelCalls, kernels, sliceRange } from './kernels';
import { heapAddress, heapF32, heapZeros } from '../wasm-heap';
import { LANES, MAX_VECTORS, packedConvName, packFlippedPanelName, packPanelName } from './wat';

/**
 * Output positions per block: 4 × 8 channels (8 accumulators). CPU ms at batch 64
 * (profile-wasm.ts --grid --cifar --cpu-time --columns N, load 12; 4 columns in the same run):
 * 6 columns (12 accumulators) 198 vs 117 on 32 px 64→64, 194 vs 113 on 4 px 512→512, 55 vs 37 on
 * 2 px 512→512; 5 columns 237 vs 147 and 232 vs 144; 3 columns 149 vs 129 and 159 vs 137. Beyond
 * 4, the accumulators, two weight vectors and a splat leave V8 too few of x64's 16 SIMD registers.
 */
const PACKED_COLUMNS = 4;

/** Output channels per panel (and per block of the kernel). */
const PANEL_LANES = MAX_VECTORS * LANES;

/** Where a convolution reads: x already padded to hp × wp, every window inside it. */
export interface PackedGeometry {
  nb: number;
  hp: number;
  wp: number;
  cin: number;
  oh: number;
  ow: number;
  cout: number;
  kh: number;
  kw: number;
  sh: number;
  sw: number;
}

/** Floats of the packed panels of a filter with `taps` = kh·kw·cin rows and `cout` columns. */
function panelsSize(taps: number, cout: number): number {
  let size = 0;
  for (let o0 = 0; o0 < cout; o0 += PANEL_LANES)
    size += taps * Math.ceil(Math.min(PANEL_LANES, cout - o0) / LANES) * LANES;
  return size;
}

/**
 * W ([taps, cout] in memory: W[kh, kw, cin, cout]) as panels [o-block][tap][lanes], each o-block
 * 8 channels (the last 4 when no more than 4 are left), channels past cout zero.
 */
export function packPanels(backend: BackendWasm, filter: TensorInfo, taps: number, cout: number): TensorInfo {
  const panels = backend.makeOutput([panelsSize(taps, cout)], 'float32');
  const fn = kernels(backend);
  const src = heapAddress(backend, filter);
  let dst = heapAddress(backend, panels);
  // Each o-block writes its own panel: the iterations are independent.
  for (let o0 = 0; o0 < cout; o0 += PANEL_LANES) {
    const left = Math.min(PANEL_LANES, cout - o0);
    const vectors = Math.ceil(left / LANES);
    fn[packPanelName(vectors, left % LANES)]!(src + o0 * 4, dst, taps, cout * 4);
    dst += taps * vectors * LANES * 4;
  }
  return panels;
}

/**
 * Panels of the input gradient's filter, Wf[i, j, o, c] = W[kh-1-i, kw-1-j, c, o] (flipped in
 * space, channels swapped), packed as packPanels packs W: panels over c, taps (i, j, o).
 */
export function packFlippedPanels(
  backend: BackendWasm,
  filter: TensorInfo,
  kh: number,
  kw: number,
  cin: number,
  cout: number,
): TensorInfo {
  const taps = kh * kw * cout;
  const panels = backend.makeOutput([panelsSize(taps, cin)], 'float32');
  const fn = kernels(backend);
  const last = heapAddress(backend, filter) + (kh * kw - 1) * cin * cout * 4;
  let dst = heapAddress(backend, panels);
  // Each c-block writes its own panel: the iterations are independent.
  for (let c0 = 0; c0 < cin; c0 += PANEL_LANES) {
    const left = Math.min(PANEL_LANES, cin - c0);
    const vectors = Math.ceil(left / LANES);
    fn[packFlippedPanelName(vectors, left % LANES)]!(
      last + c0 * cout * 4,
      dst,
      kh * kw,
      cout,
      cin * cout * 4,
    );
    dst += taps * vectors * LANES * 4;
  }
  return panels;
}

/**
 * t ([nb, h, w, c]) placed at (top, left) in zeros of [nb, hp, wp, c]; t itself when that adds
 * nothing.
 */
export function padded(
  backend: BackendWasm,
  t: TensorInfo,
  top: number,
  left: number,
  hp: number,
  wp: number,
): TensorInfo {
  const [nb, h, w, c] = t.shape as [number, number, number, number];
  if (top === 0 && left === 0 && hp === h && wp === w) return t;
  const out = heapZeros(backend, [nb, hp, wp, c]);
  const dst = heapF32(backend, out);
  const src = heapF32(backend, t);
  const row = w * c;
  for (let n = 0; n < nb; n++) {
    for (let y = 0; y < h; y++) {
      const from = (n * h + y) * row;
      dst.set(src.subarray(from, from + row), ((n * hp + y + top) * wp + left) * c);
    }
  }
  return out;
}

/** Byte offset of each output position's window (its first tap) in the padded input. */
function windowTable(backend: BackendWasm, g: PackedGeometry): TensorInfo {
  const table = backend.makeOutput([g.nb * g.oh * g.ow], 'int32');
  const offsets = backend.typedArrayFromHeap(table) as Int32Array;
  let p = 0;
  for (let n = 0; n < g.nb; n++) {
    for (let ho = 0; ho < g.oh; ho++) {
      const row = (n * g.hp + ho * g.sh) * g.wp;
      for (let wo = 0; wo < g.ow; wo++) offsets[p++] = (row + wo * g.sw) * g.cin * 4;
    }
  }
  return table;
}

/**
 * y = act(bias + conv(xp, panels)) over every output position; bias null: zeros. `columns`
 * positions a block (the last ones by one narrower block).
 */
export function packedConv(
  backend: BackendWasm,
  xp: TensorInfo,
  panels: TensorInfo,
  bias: TensorInfo | null,
  g: PackedGeometry,
  floor: number,
  columns = PACKED_COLUMNS,
): TensorInfo {
  const y = backend.makeOutput([g.nb, g.oh, g.ow, g.cout], 'float32');
  const table = windowTable(backend, g);
  const zeroBias = bias == null ? heapZeros(backend, [g.cout]) : null;
  const positions = g.nb * g.oh * g.ow;
  const taps = g.kh * g.kw * g.cin;
  const k = g.kw * g.cin;
  const tableAt = heapAddress(backend, table);
  const xAt = heapAddress(backend, xp);
  const bAt = heapAddress(backend, bias ?? zeroBias!);
  const yAt = heapAddress(backend, y);
  const full = Math.floor(positions / columns);
  const rest = positions % columns;
  // Each o-block writes its own channels of y, and each run of blocks its own positions: a
  // slice of the full blocks is a unit (kernel-pool.ts), the narrower rest one more.
  const { calls, slices } = kernelCalls(backend, positions * taps * g.cout);
  const runs = sliceRange(full, slices);
  let panel = heapAddress(backend, panels);
  for (let o0 = 0; o0 < g.cout; o0 += PANEL_LANES) {
    const left = Math.min(PANEL_LANES, g.cout - o0);
    const vectors = Math.ceil(left / LANES);
    const tail = left % LANES;
    const parts: [unit: number, cols: number, first: number, blocks: number][] = runs.map(
      ([b0, count], unit) => [unit, columns, b0 * columns, count],
    );
    if (rest > 0) parts.push([runs.length, rest, full * columns, 1]);
    for (const [unit, cols, first, blocks] of parts) {
      calls.call(
        unit,
        packedConvName(cols, vectors, tail),
        tableAt + first * 4,
        xAt,
        panel,
        bAt + o0 * 4,
        yAt + (first * g.cout + o0) * 4,
        blocks,
        g.kh,
        k,
        g.wp * g.cin * 4,
        g.cout * 4,
        floor,
      );
    }
    panel += taps * vectors * LANES * 4;
  }
  calls.finish();
  backend.disposeData(table.dataId);
  if (zeroBias != null) backend.disposeData(zeroBias.dataId);
  return y;
}

/** Conv2D / FusedConv2D (NHWC, float32, dilation 1) with an optional bias and ReLU, packed. */
export function conv2DPackedSimd(
  backend: BackendWasm,
  x: TensorInfo,
  filter: TensorInfo,
  bias: TensorInfo | null,
  info: backend_util.Conv2DInfo,
  activation: 'linear' | 'relu',
  columns = PACKED_COLUMNS,
): TensorInfo {
  const { batchSize: nb, inHeight: h, inWidth: w, inChannels: cin, outChannels: cout } = info;
  const { outHeight: oh, outWidth: ow, filterHeight: kh, filterWidth: kw } = info;
  const { strideHeight: sh, strideWidth: sw } = info;
  if (nb * oh * ow * cout === 0) return backend.makeOutput([nb, oh, ow, cout], 'float32');
  const { top, left } = info.padInfo;
  const hp = Math.max(h + top, (oh - 1) * sh + kh);
  const wp = Math.max(w + left, (ow - 1) * sw + kw);
  const xp = padded(backend, x, top, left, hp, wp);
  const panels = packPanels(backend, filter, kh * kw * cin, cout);
  const g = { nb, hp, wp, cin, oh, ow, cout, kh, kw, sh, sw };
  const y = packedConv(backend, xp, panels, bias, g, activation === 'relu' ? 0 : -Infinity, columns);
  backend.disposeData(panels.dataId);
  if (xp !== x) backend.disposeData(xp.dataId);
  return y;
}

/**
 * Conv2DBackpropInput of a stride-1 convolution (NHWC, float32, dilation 1) as the packed forward
 * convolution of dy, padded by k − 1 − pad on the leading sides, with the flipped, channel-swapped
 * filter. Null when the padding is wider than the filter (a leading side would need cropping).
 */
export function conv2DBackpropInputPacked(
  backend: BackendWasm,
  dy: TensorInfo,
  filter: TensorInfo,
  info: backend_util.Conv2DInfo,
  columns = PACKED_COLUMNS,
): TensorInfo | null {
  const { batchSize: nb, inHeight: h, inWidth: w, inChannels: cin, outChannels: cout } = info;
  const { outHeight: oh, outWidth: ow, filterHeight: kh, filterWidth: kw } = info;
  if (info.strideHeight !== 1 || info.strideWidth !== 1) return null;
  const top = kh - 1 - info.padInfo.top;
  const left = kw - 1 - info.padInfo.left;
  if (top < 0 || left < 0) return null;
  // dx[n, y, x] sums dy over rows y - top .. y - top + kh - 1 of the padded dy: h + kh - 1 rows.
  const hp = Math.max(h + kh - 1, top + oh);
  const wp = Math.max(w + kw - 1, left + ow);
  const dyp = padded(backend, dy, top, left, hp, wp);
  const panels = packFlippedPanels(backend, filter, kh, kw, cin, cout);
  const g = { nb, hp, wp, cin: cout, oh: h, ow: w, cout: cin, kh, kw, sh: 1, sw: 1 };
  const dx = packedConv(backend, dyp, panels, null, g, -Infinity, columns);
  backend.disposeData(panels.dataId);
  if (dyp !== dy) backend.disposeData(dyp.dataId);
  return dx;
}

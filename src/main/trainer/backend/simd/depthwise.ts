// Drivers of the depthwise convolution's SIMD kernels (depthwise-wat.ts), forward and both
// gradients: NHWC, float32, channel multiplier 1, no dilation, at most 9 taps, stride no larger
// than the filter (MobileNetV2's 3×3 at stride 1 and 2). wasm-kernels.ts keeps its JS loop (and
// XNNPACK for the forward) for everything else.
//
// All three work on image chunks copied into a zero-bordered scratch buffer on the heap (x for
// the forward and the filter gradient, dy for the input gradient), so that every tap of every position reads inside
// it and the kernels have no bounds to test. A chunk is sized to stay in cache while each vector
// of channels makes its pass over it; an image too big for that is done in bands of rows.

import type { backend_util, TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { heapAddress, heapF32, heapZeros } from '../wasm-heap';
import { MAX_DEPTHWISE_TAPS, depthwiseFilterGradName, depthwiseGatherName } from './depthwise-wat';
import { kernels } from './kernels';

const LANES = 4;

/**
 * Bytes of a chunk or band (its scratch and the other operand) a kernel call streams over once per
 * vector of channels: a quarter of this machine's 1 MiB L2, as for the dense filter gradient.
 */
const CHUNK_BYTES = 256 * 1024;

/** Whether the SIMD kernels compute both depthwise gradients of this convolution. */
export function depthwiseSimdCovers(info: backend_util.Conv2DInfo): boolean {
  return (
    info.dataFormat === 'channelsLast' &&
    info.outChannels === info.inChannels &&
    info.dilationHeight === 1 &&
    info.dilationWidth === 1 &&
    info.filterHeight * info.filterWidth <= MAX_DEPTHWISE_TAPS &&
    // Every output-parity class of the input gradient then has at least one tap.
    info.strideHeight <= info.filterHeight &&
    info.strideWidth <= info.filterWidth
  );
}

/** The channels as kernel calls: the whole vectors in one call, then the partial last one. */
function vectorCalls(c: number): { c0: number; vectors: number; tail: number }[] {
  const full = Math.floor(c / LANES);
  const calls = full > 0 ? [{ c0: 0, vectors: full, tail: 0 }] : [];
  if (c % LANES) calls.push({ c0: full * LANES, vectors: 1, tail: c % LANES });
  return calls;
}

/** Images per chunk: as many as fit CHUNK_BYTES, at least one. */
function imagesPerChunk(imageBytes: number, nb: number): number {
  return Math.min(nb, Math.max(1, Math.floor(CHUNK_BYTES / imageBytes)));
}

/**
 * Where a chunk's kernels read x (images n0…): x itself, or, with a scratch buffer, a copy of the
 * chunk's images bordered by the padding (hp × wp, at (pt, pl)).
 */
function chunkOfX(
  backend: BackendWasm,
  x: TensorInfo,
  scratch: TensorInfo | null,
  n0: number,
  images: number,
  g: { h: number; w: number; c: number; hp: number; wp: number; pt: number; pl: number },
): number {
  const { h, w, c } = g;
  if (scratch == null) return heapAddress(backend, x) + n0 * h * w * c * 4;
  // Views after the last allocation: growth would detach them.
  const image = { hp: g.hp, rowFloatsP: g.wp * c, top: g.pt, leftFloats: g.pl * c };
  copyIntoBorder(heapF32(backend, x), n0 * h * w * c, heapF32(backend, scratch), images, h, w * c, image);
  return heapAddress(backend, scratch);
}

/** Copies rows of `images` NHWC images (h × rowFloats) into a bordered buffer, at (top, left). */
function copyIntoBorder(
  from: Float32Array,
  fromAt: number,
  to: Float32Array,
  images: number,
  h: number,
  rowFloats: number,
  image: { hp: number; rowFloatsP: number; top: number; leftFloats: number },
): void {
  for (let n = 0; n < images; n++) {
    for (let y = 0; y < h; y++) {
      const src = fromAt + (n * h + y) * rowFloats;
      to.set(
        from.subarray(src, src + rowFloats),
        (n * image.hp + y + image.top) * image.rowFloatsP + image.leftFloats,
      );
    }
  }
}

/**
 * DepthwiseConv2dNativeBackpropFilter: dW[i, j, c] = Σ_{n,ho,wo} x[n, ho·sh + i − pt, wo·sw + j −
 * pl, c] · dy[n, ho, wo, c], all kh·kw taps of a vector of channels summed in registers over a
 * chunk's positions (dw_fgrad_* in depthwise-wat.ts), the chunks' sums added into dW in order.
 */
export function depthwiseBackpropFilterSimd(
  backend: BackendWasm,
  x: TensorInfo,
  dy: TensorInfo,
  info: backend_util.Conv2DInfo,
): TensorInfo {
  const { batchSize: nb, inHeight: h, inWidth: w, inChannels: c, outHeight: oh, outWidth: ow } = info;
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
  const out = heapZeros(backend, [kh, kw, c, 1]);
  if (nb * oh * ow * c === 0) return out;
  const pt = info.padInfo.top;
  const pl = info.padInfo.left;
  const hp = Math.max(h + pt, (oh - 1) * sh + kh);
  const wp = Math.max(w + pl, (ow - 1) * sw + kw);
  const bordered = pt > 0 || pl > 0 || hp > h || wp > w;
  const chunk = imagesPerChunk((hp * wp + oh * ow) * c * 4, nb);
  // A band of output rows of one image when a whole one does not fit the chunk.
  const band = chunk > 1 ? oh : Math.min(oh, Math.max(1, Math.floor(CHUNK_BYTES / ((sh * wp + ow) * c * 4))));
  const scratch = bordered ? heapZeros(backend, [chunk, hp, wp, c]) : null;
  const fn = kernels(backend);
  const offsets: number[] = [];
  for (let i = 0; i < kh; i++) for (let j = 0; j < kw; j++) offsets.push((i * wp + j) * c * 4);
  const outAt = heapAddress(backend, out);
  // Chunks and bands add into the same dW, in order; within a call, its vector loop writes
  // disjoint channels (so threads would split the vectors, never the chunks).
  for (let n0 = 0; n0 < nb; n0 += chunk) {
    const images = Math.min(chunk, nb - n0);
    const xAt = chunkOfX(backend, x, scratch, n0, images, { h, w, c, hp, wp, pt, pl });
    const dyAt = heapAddress(backend, dy) + n0 * oh * ow * c * 4;
    for (let h0 = 0; h0 < oh; h0 += band) {
      const rows = Math.min(band, oh - h0);
      for (const { c0, vectors, tail } of vectorCalls(c)) {
        fn[depthwiseFilterGradName(kh * kw, tail)]!(
          xAt + (h0 * sh * wp * c + c0) * 4,
          dyAt + (h0 * ow * c + c0) * 4,
          outAt + c0 * 4,
          vectors,
          images,
          rows,
          ow,
          hp * wp * c * 4,
          sh * wp * c * 4,
          sw * c * 4,
          c * 4,
          c * 4,
          ...offsets,
        );
      }
    }
  }
  if (scratch != null) backend.disposeData(scratch.dataId);
  return out;
}

/** One dimension's output-parity classes for the input gradient: dx index ≡ r (mod stride). */
interface ParityClass {
  r: number;
  /** Filter taps whose dy position is a whole number: tap index and dy offset d (ho = a + d). */
  taps: { k: number; d: number }[];
}

function parityClasses(k: number, stride: number, pad: number): ParityClass[] {
  return Array.from({ length: stride }, (_, r) => ({
    r,
    taps: Array.from({ length: k }, (_, i) => i)
      .filter((i) => (r + pad - i) % stride === 0)
      .map((i) => ({ k: i, d: (r + pad - i) / stride })),
  }));
}

/** The positions ≡ r (mod stride) among [from, to). */
function countFrom(from: number, to: number, r: number, stride: number): number {
  return Math.max(0, Math.ceil((to - from - r) / stride));
}

/** How far dy must be bordered on one dimension so that every class's taps read inside it. */
function border(classes: ParityClass[], size: number, stride: number, outSize: number) {
  const ds = classes.flatMap((cl) => cl.taps.map((t) => t.d));
  const before = Math.max(0, -Math.min(...ds));
  let extent = outSize + before;
  for (const cl of classes) {
    const count = countFrom(0, size, cl.r, stride);
    for (const t of cl.taps) if (count > 0) extent = Math.max(extent, count - 1 + t.d + before + 1);
  }
  return { before, extent };
}

/**
 * DepthwiseConv2dNativeBackpropInput by gathering: each dx position is the sum of the taps that
 * reach it, read from a bordered copy of dy, written once (dw_igrad_* in depthwise-wat.ts). At
 * stride s, dx's positions split into s × s parity classes whose taps differ; each class is one
 * grid of positions with its own taps, so no tap ever multiplies an inserted zero.
 */
export function depthwiseBackpropInputSimd(
  backend: BackendWasm,
  dy: TensorInfo,
  filter: TensorInfo,
  info: backend_util.Conv2DInfo,
): TensorInfo {
  const { batchSize: nb, inHeight: h, inWidth: w, inChannels: c, outHeight: oh, outWidth: ow } = info;
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
  if (nb * h * w * c === 0) return backend.makeOutput([nb, h, w, c], 'float32');
  if (oh * ow === 0) return heapZeros(backend, [nb, h, w, c]);
  const dx = backend.makeOutput([nb, h, w, c], 'float32');
  const rowClasses = parityClasses(kh, sh, info.padInfo.top);
  const colClasses = parityClasses(kw, sw, info.padInfo.left);
  const rowsB = border(rowClasses, h, sh, oh);
  const colsB = border(colClasses, w, sw, ow);
  const ohp = rowsB.extent;
  const owp = colsB.extent;
  const chunk = imagesPerChunk((ohp * owp + h * w) * c * 4, nb);
  // A band of dx rows (a multiple of the stride) of one image when a whole one does not fit.
  const fit = Math.floor(CHUNK_BYTES / ((w + owp) * c * 4) / sh) * sh;
  const band = chunk > 1 ? h : Math.min(h, Math.max(sh, fit));
  const scratch = heapZeros(backend, [chunk, ohp, owp, c]);
  const fn = kernels(backend);
  const dyAt0 = heapAddress(backend, scratch);
  const dxAt0 = heapAddress(backend, dx);
  const wAt = heapAddress(backend, filter);
  // Each class's taps: filter offsets and dy offsets, the same for every chunk and band.
  const classes = rowClasses.flatMap((rc) =>
    colClasses.map((cc) => {
      const weightAt: number[] = [];
      const dyOffset: number[] = [];
      for (const ti of rc.taps) {
        for (const tj of cc.taps) {
          weightAt.push((ti.k * kw + tj.k) * c * 4);
          dyOffset.push(((ti.d + rowsB.before) * owp + tj.d + colsB.before) * c * 4);
        }
      }
      return { r: rc.r, q: cc.r, cols: countFrom(0, w, cc.r, sw), taps: [...weightAt, ...dyOffset] };
    }),
  );
  const calls = vectorCalls(c);
  // Every call writes its own dx positions: the classes, bands, chunks and (within a call) the
  // vectors and images all write disjoint outputs, so threads may split any of them.
  for (let n0 = 0; n0 < nb; n0 += chunk) {
    const images = Math.min(chunk, nb - n0);
    // Views after the last allocation: growth would detach them.
    const image = { hp: ohp, rowFloatsP: owp * c, top: rowsB.before, leftFloats: colsB.before * c };
    copyIntoBorder(
      heapF32(backend, dy),
      n0 * oh * ow * c,
      heapF32(backend, scratch),
      images,
      oh,
      ow * c,
      image,
    );
    for (let y0 = 0; y0 < h; y0 += band) {
      for (const cl of classes) {
        const rows = countFrom(y0, Math.min(y0 + band, h), cl.r, sh);
        if (rows === 0 || cl.cols === 0) continue;
        const a0 = y0 / sh; // y0 is a multiple of sh: grid row a is dx row a·sh + r
        for (const { c0, vectors, tail } of calls) {
          fn[depthwiseGatherName(cl.taps.length / 2, tail)]!(
            dyAt0 + (a0 * owp * c + c0) * 4,
            wAt + c0 * 4,
            dxAt0 + (((n0 * h + y0 + cl.r) * w + cl.q) * c + c0) * 4,
            vectors,
            images,
            rows,
            cl.cols,
            ohp * owp * c * 4,
            owp * c * 4,
            c * 4,
            h * w * c * 4,
            sh * w * c * 4,
            sw * c * 4,
            ...cl.taps,
          );
        }
      }
    }
  }
  backend.disposeData(scratch.dataId);
  return dx;
}

/**
 * DepthwiseConv2dNative (the forward): y[n, ho, wo, c] = Σ_{i,j} x[n, ho·sh + i − pt, wo·sw + j −
 * pl, c] · w[i, j, c], by the same gather as the input gradient (dw_gather_* in depthwise-wat.ts)
 * over a padded copy of x, every filter tap at once, the grid every output position.
 */
export function depthwiseConv2DSimd(
  backend: BackendWasm,
  x: TensorInfo,
  filter: TensorInfo,
  info: backend_util.Conv2DInfo,
): TensorInfo {
  const { batchSize: nb, inHeight: h, inWidth: w, inChannels: c, outHeight: oh, outWidth: ow } = info;
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
  const y = backend.makeOutput([nb, oh, ow, c], 'float32');
  if (nb * oh * ow * c === 0) return y;
  if (h * w === 0) return heapZeros(backend, [nb, oh, ow, c]);
  const pt = info.padInfo.top;
  const pl = info.padInfo.left;
  const hp = Math.max(h + pt, (oh - 1) * sh + kh);
  const wp = Math.max(w + pl, (ow - 1) * sw + kw);
  const bordered = pt > 0 || pl > 0 || hp > h || wp > w;
  const chunk = imagesPerChunk((hp * wp + oh * ow) * c * 4, nb);
  const band = chunk > 1 ? oh : Math.min(oh, Math.max(1, Math.floor(CHUNK_BYTES / ((sh * wp + ow) * c * 4))));
  const scratch = bordered ? heapZeros(backend, [chunk, hp, wp, c]) : null;
  const fn = kernels(backend);
  const weightAt: number[] = [];
  const xOffset: number[] = [];
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      weightAt.push((i * kw + j) * c * 4);
      xOffset.push((i * wp + j) * c * 4);
    }
  }
  const wAt = heapAddress(backend, filter);
  const yAt0 = heapAddress(backend, y);
  // Every call writes its own output positions: chunks, bands and (within a call) the vectors
  // and images all write disjoint outputs, so threads may split any of them.
  for (let n0 = 0; n0 < nb; n0 += chunk) {
    const images = Math.min(chunk, nb - n0);
    const xAt = chunkOfX(backend, x, scratch, n0, images, { h, w, c, hp, wp, pt, pl });
    for (let h0 = 0; h0 < oh; h0 += band) {
      const rows = Math.min(band, oh - h0);
      for (const { c0, vectors, tail } of vectorCalls(c)) {
        fn[depthwiseGatherName(kh * kw, tail)]!(
          xAt + (h0 * sh * wp * c + c0) * 4,
          wAt + c0 * 4,
          yAt0 + ((n0 * oh + h0) * ow * c + c0) * 4,
          vectors,
          images,
          rows,
          ow,
          hp * wp * c * 4,
          sh * wp * c * 4,
          sw * c * 4,
          oh * ow * c * 4,
          ow * c * 4,
          c * 4,
          ...weightAt,
          ...xOffset,
        );
      }
    }
  }
  if (scratch != null) backend.disposeData(scratch.dataId);
  return y;
}

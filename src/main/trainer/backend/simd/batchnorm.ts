// Drivers of batch-norm's SIMD kernels (batchnorm-wat.ts): training-mode forward (statistics,
// normalisation, residual, ReLU) and its gradient, each a few passes over the [m, c] view of an
// NHWC tensor instead of a dozen tf ops with a full-size temporary each.
//
// Rows go in blocks of BLOCK_ROWS, fixed by the shape alone, each block summing into its own f64
// accumulators, which are then added in block order here: the same arithmetic however the
// blocks are later shared out (threads), and shorter sums than one running total over m rows.
import type { TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { heapAddress, heapF32 } from '../wasm-heap';
import { kernelCalls } from './kernels';
import { BN_SUM, BN_SUMSQ, bnApplyName, bnGradApplyName, bnGradSumsName } from './batchnorm-wat';

/** Rows per block of the sums (2,048 rows of 64 channels: 512 KB of x, in L2 as it is read). */
export const BLOCK_ROWS = 2048;

interface Layout {
  /** Rows (positions) and channels of the [m, c] view. */
  m: number;
  c: number;
  vectors: number;
  tail: number;
  /** Per-channel arrays' length in the parameter block: c rounded up to whole vectors. */
  c4: number;
  blocks: number;
}

function layout(x: TensorInfo): Layout {
  const c = x.shape[x.shape.length - 1]!;
  const m = c === 0 ? 0 : x.shape.reduce((a, b) => a * b, 1) / c;
  const c4 = Math.ceil(c / 4) * 4;
  return { m, c, vectors: c >> 2, tail: c & 3, c4, blocks: Math.ceil(m / BLOCK_ROWS) };
}

/** A scratch buffer of `floats` f32 (or half as many f64) on the heap; the caller frees it. */
function scratch(backend: BackendWasm, floats: number): TensorInfo {
  return backend.makeOutput([Math.max(1, floats)], 'float32');
}

/** Per block of rows: its first row and row count. */
function* rowBlocks(l: Layout): Generator<[number, number]> {
  for (let b = 0; b < l.blocks; b++) {
    const r0 = b * BLOCK_ROWS;
    yield [r0, Math.min(BLOCK_ROWS, l.m - r0)];
  }
}

/** The per-channel totals of the blocks' f64 sums at `acc` (blocks × c4 f64), in block order. */
function totals(backend: BackendWasm, acc: TensorInfo, l: Layout, offset = 0): Float64Array {
  const heap = heapF32(backend, acc).buffer;
  const sums = new Float64Array(heap, heapAddress(backend, acc) + offset, l.blocks * l.c4);
  const total = new Float64Array(l.c);
  for (let b = 0; b < l.blocks; b++) {
    for (let ch = 0; ch < l.c; ch++) total[ch]! += sums[b * l.c4 + ch]!;
  }
  return total;
}

export interface BatchNormForward {
  y: TensorInfo;
  /** [c]: the batch's mean and biased variance, and 1/√(variance + ε) as the gradient needs it. */
  mean: TensorInfo;
  variance: TensorInfo;
  invStd: TensorInfo;
}

/**
 * y = relu?(γ·(x − mean)/√(var + ε) + β + residual?) over the channels (last axis) of x, with the
 * batch's mean and biased variance: three passes (sums, centred squares, output).
 */
export function batchNormForwardSimd(
  backend: BackendWasm,
  x: TensorInfo,
  gamma: TensorInfo,
  beta: TensorInfo,
  residual: TensorInfo | null,
  relu: boolean,
  epsilon: number,
): BatchNormForward {
  const l = layout(x);
  const y = backend.makeOutput([...x.shape], 'float32');
  const mean = backend.makeOutput([l.c], 'float32');
  const variance = backend.makeOutput([l.c], 'float32');
  const invStd = backend.makeOutput([l.c], 'float32');
  // mean, inv, γ, β: what the output pass reads.
  const params = scratch(backend, 4 * l.c4);
  const acc = scratch(backend, 2 * l.blocks * l.c4);
  const rowBytes = l.c * 4;
  const pstride = l.c4 * 4;
  const xAt = heapAddress(backend, x);
  const paramsAt = heapAddress(backend, params);
  const accAt = heapAddress(backend, acc);
  const blockAcc = l.c4 * 8;
  const m = Math.fround(l.m);

  // The blocks of every pass below write disjoint outputs, their own rows and their own sums:
  // each is a unit of the kernel threads (kernel-pool.ts), the sums added up here in block order.
  const work = l.m * l.c * 4;
  heapF32(backend, acc).fill(0);
  const pass = kernelCalls(backend, work).calls;
  for (const [unit, [r0, rows]] of [...rowBlocks(l)].entries()) {
    pass.call(
      unit,
      BN_SUM,
      xAt + r0 * rowBytes,
      rows,
      l.vectors,
      l.tail,
      accAt + (r0 / BLOCK_ROWS) * blockAcc,
    );
  }
  pass.finish();
  const p = heapF32(backend, params);
  const sums = totals(backend, acc, l);
  // tf.div(tf.sum(flat), m) in f32.
  for (let ch = 0; ch < l.c; ch++) p[ch] = Math.fround(Math.fround(sums[ch]!) / m);

  heapF32(backend, acc).fill(0);
  for (const [unit, [r0, rows]] of [...rowBlocks(l)].entries()) {
    pass.call(
      unit,
      BN_SUMSQ,
      xAt + r0 * rowBytes,
      paramsAt,
      pstride,
      rows,
      l.vectors,
      l.tail,
      accAt + (r0 / BLOCK_ROWS) * blockAcc,
    );
  }
  pass.finish();
  const squares = totals(backend, acc, l);
  const v = heapF32(backend, variance);
  const inv = heapF32(backend, invStd);
  const g = heapF32(backend, gamma);
  const b = heapF32(backend, beta);
  const eps = Math.fround(epsilon);
  for (let ch = 0; ch < l.c; ch++) {
    v[ch] = Math.fround(Math.fround(squares[ch]!) / m);
    // tf.rsqrt(tf.add(variance, ε)).
    inv[ch] = Math.fround(1 / Math.sqrt(Math.fround(v[ch]! + eps)));
    p[l.c4 + ch] = inv[ch]!;
    p[2 * l.c4 + ch] = g[ch]!;
    p[3 * l.c4 + ch] = b[ch]!;
  }
  heapF32(backend, mean).set(p.subarray(0, l.c));

  const apply = bnApplyName(relu, residual != null);
  const resAt = residual ? heapAddress(backend, residual) : 0;
  const yAt = heapAddress(backend, y);
  for (const [unit, [r0, rows]] of [...rowBlocks(l)].entries()) {
    const at = r0 * rowBytes;
    pass.call(
      unit,
      apply,
      xAt + at,
      residual ? resAt + at : 0,
      yAt + at,
      paramsAt,
      pstride,
      rows,
      l.vectors,
      l.tail,
    );
  }
  pass.finish();
  backend.disposeData(params.dataId);
  backend.disposeData(acc.dataId);
  return { y, mean, variance, invStd };
}

export interface BatchNormGradient {
  dx: TensorInfo;
  /** [c] */
  dgamma: TensorInfo;
  dbeta: TensorInfo;
  /** dy·[out > 0], the residual's gradient: only when asked for (with ReLU). */
  dz: TensorInfo | null;
}

/**
 * The gradient of batchNormForwardSimd from dy and what the forward saved (x, mean, 1/σ, γ, and
 * the output when it had a ReLU): two passes, the sums dβ = Σdz and dγ = Σdz·x̂, then
 * dx = γ/σ · (dz − x̂·dγ/m − dβ/m). `storeDz` also writes dz (a residual's gradient).
 */
export function batchNormGradientSimd(
  backend: BackendWasm,
  dy: TensorInfo,
  x: TensorInfo,
  mean: TensorInfo,
  invStd: TensorInfo,
  gamma: TensorInfo,
  out: TensorInfo | null,
  storeDz: boolean,
): BatchNormGradient {
  const l = layout(x);
  const relu = out != null;
  const dx = backend.makeOutput([...x.shape], 'float32');
  const dz = storeDz && relu ? backend.makeOutput([...x.shape], 'float32') : null;
  const dgamma = backend.makeOutput([l.c], 'float32');
  const dbeta = backend.makeOutput([l.c], 'float32');
  // mean, inv, k2 = dγ/m, k1 = dβ/m, scale = γ·inv.
  const params = scratch(backend, 5 * l.c4);
  // Per block: c4 f64 of Σdz, then c4 f64 of Σdz·x̂ (for all blocks).
  const acc = scratch(backend, 4 * l.blocks * l.c4);
  const rowBytes = l.c * 4;
  const pstride = l.c4 * 4;
  const p = heapF32(backend, params);
  p.set(heapF32(backend, mean), 0);
  p.set(heapF32(backend, invStd), l.c4);
  heapF32(backend, acc).fill(0);
  const [dyAt, xAt, outAt, paramsAt, accAt] = [dy, x, out, params, acc].map((t) =>
    t ? heapAddress(backend, t) : 0,
  ) as [number, number, number, number, number];
  const dzAt = dz ? heapAddress(backend, dz) : 0;
  const blockAcc = l.c4 * 8;
  const gammaAt = l.blocks * blockAcc;

  // The blocks write disjoint outputs (their rows of dz and dx) and their own sums: each is a
  // unit of the kernel threads, the sums added up here in block order.
  const work = l.m * l.c * 4;
  const sums = bnGradSumsName(relu, dz != null);
  const pass = kernelCalls(backend, work).calls;
  for (const [unit, [r0, rows]] of [...rowBlocks(l)].entries()) {
    const at = r0 * rowBytes;
    const a = accAt + (r0 / BLOCK_ROWS) * blockAcc;
    pass.call(
      unit,
      sums,
      dyAt + at,
      relu ? outAt + at : 0,
      xAt + at,
      paramsAt,
      pstride,
      rows,
      l.vectors,
      l.tail,
      a,
      a + gammaAt,
      dz ? dzAt + at : 0,
    );
  }
  pass.finish();
  const sumB = totals(backend, acc, l);
  const sumG = totals(backend, acc, l, gammaAt);
  const q = heapF32(backend, params);
  const db = heapF32(backend, dbeta);
  const dg = heapF32(backend, dgamma);
  const g = heapF32(backend, gamma);
  const m = Math.fround(l.m);
  for (let ch = 0; ch < l.c; ch++) {
    db[ch] = Math.fround(sumB[ch]!);
    dg[ch] = Math.fround(sumG[ch]!);
    q[2 * l.c4 + ch] = Math.fround(dg[ch]! / m);
    q[3 * l.c4 + ch] = Math.fround(db[ch]! / m);
    q[4 * l.c4 + ch] = Math.fround(g[ch]! * q[l.c4 + ch]!);
  }

  const apply = bnGradApplyName(relu);
  const dxAt = heapAddress(backend, dx);
  for (const [unit, [r0, rows]] of [...rowBlocks(l)].entries()) {
    const at = r0 * rowBytes;
    pass.call(
      unit,
      apply,
      dyAt + at,
      relu ? outAt + at : 0,
      xAt + at,
      paramsAt,
      pstride,
      rows,
      l.vectors,
      l.tail,
      dxAt + at,
    );
  }
  pass.finish();
  backend.disposeData(params.dataId);
  backend.disposeData(acc.dataId);
  return { dx, dgamma, dbeta, dz };
}

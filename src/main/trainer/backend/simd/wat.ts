// The WebAssembly text of our SIMD kernels, generated. Each kernel is a register-blocked
// outer-product loop whose block sizes are fixed at generation time (a wasm function cannot
// index locals at run time), so one template yields a family of functions, one per block shape.
// `npm run build:simd` compiles this text with wabt into kernels.generated.ts; a test checks
// that the committed module is what this file generates.
//
// The module imports TensorFlow.js's own wasm memory, so kernels read and write tensors where
// they live on its heap: no copies in or out. It has no data segments and no memory of its own.
// It also imports Math.exp and Math.log, for the SSA move generator's rare slow path to compute
// exactly what the JS generator computes.

import { depthwiseKernelFunctions } from './depthwise-wat';
import { batchNormFunctions } from './batchnorm-wat';

/** Lanes of a v128 of f32. */
export const LANES = 4;

/** Block shapes the forward convolution generates: up to MAX_VECTORS vectors of channels. */
export const MAX_VECTORS = 2;

/**
 * A v128 load of the vector `v` of `vectors` at address `at` (an expression), only `tail` lanes
 * of the last (0 = 4; the others read as 0), so that nothing past the last lane is read.
 */
function loadVector(at: string, v: number, vectors: number, tail: number): string {
  const offset = v * 16;
  const last = v === vectors - 1;
  if (!last || tail === 0) return `(v128.load offset=${offset} ${at})`;
  if (tail === 1) return `(v128.load32_zero offset=${offset} ${at})`;
  if (tail === 2) return `(v128.load64_zero offset=${offset} ${at})`;
  return `(v128.load32_lane offset=${offset + 8} 2 ${at} (v128.load64_zero offset=${offset} ${at}))`;
}

/**
 * `(loop $label …)` that runs its body `count` times (an i32 expression), counting `counter`
 * down to 0 after each pass; the body must not change `counter`. With `mayBeZero`, a count of 0
 * skips the loop (a bare loop always runs once).
 */
function countdown(label: string, counter: string, count: string, body: string[], mayBeZero = false): string {
  const indent = (text: string): string => text.replace(/^/gm, '  ');
  const loop = [
    `(local.set ${counter} ${count})`,
    `(loop ${label}`,
    ...body.map(indent),
    `  (br_if ${label} (local.tee ${counter} (i32.sub (local.get ${counter}) (i32.const 1)))))`,
  ];
  if (!mayBeZero) return loop.join('\n');
  return [`(block ${label}Skip`, `  (br_if ${label}Skip (i32.eqz ${count}))`, ...loop.map(indent), ')'].join(
    '\n',
  );
}

/** Indents every line of a generated block for the function text it goes into. */
const at = (spaces: number, text: string): string => text.replace(/\n/g, `\n${' '.repeat(spaces)}`);

// ---------------------------------------------------------------------------------------------
// The filter gradient: dW = Σ_p X[p, q] · dY[p, o] as a matrix product over the output positions
// p, with both operands first copied into panels that the product reads sequentially
// (conv2DBackpropFilterSimd in kernels.ts). The kernel it replaced read x and dy where they lie,
// striding over a position's whole channel row for a few values of it (2 KB a position at 512
// channels) in three nested loops over images, rows and columns; the panels hold exactly the
// values a block uses, one position after another, and the product has one flat loop.

/**
 * Blocks of up to FGEMM_ROWS values of a filter row × FGEMM_VECTORS vectors of dy: 8 sums in
 * registers. Measured on the CIFAR shapes (bench/profile-wasm.ts --filter-only, CPU time): 4×2
 * and 2×4 ran at 37–50 GFLOP/s, within the noise of each other; every block of 9–12 sums (6×2,
 * 5×2, 3×3, 4×3, 3×4) at 19–27, about half, which looks like V8 running out of xmm registers and
 * spilling in the inner loop. 4×2 copies one vector of x a position into its panel, 2×4 two
 * floats per twice as many panels.
 */
export const FGEMM_ROWS = 4;
export const FGEMM_VECTORS = 2;

/** The name of the packed product for `rows` panel values × `vectors` vectors of channels. */
export function filterGemmName(rows: number, vectors: number): string {
  return `fgemm_r${rows}_v${vectors}`;
}

/** The name of the dy packer for `vectors` vectors of channels, the last with `tail` lanes (0: 4). */
export function packDyName(vectors: number, tail: number): string {
  return `fgrad_pack_dy_v${vectors}_t${tail}`;
}

/** The name of the x packer for `rows` consecutive values a position. */
export function packRowsName(rows: number): string {
  return `fgrad_pack_x_r${rows}`;
}

/**
 * out[r][v] += Σ_p a[p·aStride + r] · b[p][v], for `blocks` blocks of `vectors` vectors:
 *
 *   a       panel of x values: `rows` consecutive floats a position, positions aStride apart
 *   b       the first block's dy values: `vectors` whole vectors a position, positions bStride
 *           apart (a panel [positions][vectors·4], or dy itself), blocks bBlock bytes apart
 *   out     dW of the first block's row 0; rows outRow bytes apart, blocks vectors·16 apart
 *
 * One flat loop over the positions, the sums in registers until its end (rows·vectors of them,
 * beside the dy vectors and the splat and product temporaries; see FGEMM_ROWS for why no more
 * than 8). The blocks write disjoint columns of dW. Nothing is allocated, nothing kept between
 * calls: a call's units of work are its arguments.
 */
function filterGemm(rows: number, vectors: number): string {
  const acc = (r: number, v: number): string => `$a${r}_${v}`;
  const locals: string[] = [];
  for (let r = 0; r < rows; r++) for (let v = 0; v < vectors; v++) locals.push(`(local ${acc(r, v)} v128)`);
  for (let v = 0; v < vectors; v++) locals.push(`(local $d${v} v128)`);
  const zero: string[] = [];
  for (let r = 0; r < rows; r++)
    for (let v = 0; v < vectors; v++) zero.push(`(local.set ${acc(r, v)} (v128.const i64x2 0 0))`);
  const body: string[] = [];
  for (let v = 0; v < vectors; v++)
    body.push(`(local.set $d${v} (v128.load offset=${v * 16} (local.get $bp)))`);
  for (let r = 0; r < rows; r++) {
    body.push(`(local.set $s (v128.load32_splat offset=${r * 4} (local.get $ap)))`);
    for (let v = 0; v < vectors; v++) {
      body.push(
        `(local.set ${acc(r, v)} (f32x4.add (local.get ${acc(r, v)}) (f32x4.mul (local.get $s) (local.get $d${v}))))`,
      );
    }
  }
  body.push('(local.set $ap (i32.add (local.get $ap) (local.get $aStride)))');
  body.push('(local.set $bp (i32.add (local.get $bp) (local.get $bStride)))');
  const stores: string[] = [];
  for (let r = 0; r < rows; r++) {
    stores.push(`(local.set $o (i32.add (local.get $out) (i32.mul (i32.const ${r}) (local.get $outRow))))`);
    for (let v = 0; v < vectors; v++) {
      stores.push(
        `(v128.store offset=${v * 16} (local.get $o) (f32x4.add (v128.load offset=${v * 16} (local.get $o)) (local.get ${acc(r, v)})))`,
      );
    }
  }
  const loops = countdown('$blocks', '$k', '(local.get $nBlocks)', [
    ...zero,
    '(local.set $ap (local.get $a))',
    '(local.set $bp (local.get $b))',
    countdown('$positions', '$p', '(local.get $positions)', body),
    ...stores,
    '(local.set $b (i32.add (local.get $b) (local.get $bBlock)))',
    `(local.set $out (i32.add (local.get $out) (i32.const ${vectors * 16})))`,
  ]);
  const name = filterGemmName(rows, vectors);
  return `
  (func $${name} (export "${name}")
    (param $a i32) (param $aStride i32) (param $b i32) (param $bStride i32) (param $bBlock i32)
    (param $out i32) (param $outRow i32) (param $positions i32) (param $nBlocks i32)
    (local $k i32) (local $p i32) (local $ap i32) (local $bp i32) (local $o i32) (local $s v128)
    ${locals.join(' ')}
    ${at(4, loops)})`;
}

/**
 * dy's channels [o0, o0 + 4·vectors) of `positions` consecutive positions (dyCol bytes apart)
 * into the panel [positions][vectors·4]; lanes past the last `tail` ones (0: none) are zero.
 */
function packDy(vectors: number, tail: number): string {
  const body: string[] = [];
  for (let v = 0; v < vectors; v++) {
    body.push(
      `(v128.store offset=${v * 16} (local.get $to) ${loadVector('(local.get $from)', v, vectors, tail)})`,
    );
  }
  body.push('(local.set $from (i32.add (local.get $from) (local.get $dyCol)))');
  body.push(`(local.set $to (i32.add (local.get $to) (i32.const ${vectors * 16})))`);
  const name = packDyName(vectors, tail);
  return `
  (func $${name} (export "${name}")
    (param $from i32) (param $to i32) (param $positions i32) (param $dyCol i32)
    (local $p i32)
    ${at(4, countdown('$positions', '$p', '(local.get $positions)', body))})`;
}

/**
 * `rows` consecutive floats of x for each output position (n, ho, wo) of nb images into the
 * panel [positions][rows]: x at the block's first value of position (0, 0, 0); xImg, xRow, xCol
 * how far that moves per image, output row and output column. Exactly `rows` floats are read
 * and written (pieces of 4, 2 and 1), so nothing past the block is touched.
 */
function packRows(rows: number): string {
  const copy: string[] = [];
  let offset = 0;
  for (const [bytes, load, store] of [
    [16, 'v128.load', 'v128.store'],
    [8, 'i64.load', 'i64.store'],
    [4, 'i32.load', 'i32.store'],
  ] as const) {
    while (rows * 4 - offset >= bytes) {
      copy.push(`(${store} offset=${offset} (local.get $to) (${load} offset=${offset} (local.get $xp)))`);
      offset += bytes;
    }
  }
  const loops = countdown('$images', '$n', '(local.get $nb)', [
    '(local.set $xr (local.get $x))',
    countdown('$outRows', '$h', '(local.get $oh)', [
      '(local.set $xp (local.get $xr))',
      countdown('$columns', '$w', '(local.get $ow)', [
        ...copy,
        '(local.set $xp (i32.add (local.get $xp) (local.get $xCol)))',
        `(local.set $to (i32.add (local.get $to) (i32.const ${rows * 4})))`,
      ]),
      '(local.set $xr (i32.add (local.get $xr) (local.get $xRow)))',
    ]),
    '(local.set $x (i32.add (local.get $x) (local.get $xImg)))',
  ]);
  const name = packRowsName(rows);
  return `
  (func $${name} (export "${name}")
    (param $x i32) (param $to i32) (param $nb i32) (param $oh i32) (param $ow i32)
    (param $xImg i32) (param $xRow i32) (param $xCol i32)
    (local $n i32) (local $h i32) (local $w i32) (local $xr i32) (local $xp i32)
    ${at(4, loops)})`;
}

/** Input-gradient blocks: up to this many vectors of consecutive dx values. */
export const MAX_INPUT_VECTORS = 8;

/** The name of the input-gradient function for a block of `vectors` vectors of dx. */
export function inputGradName(vectors: number): string {
  return `igrad_v${vectors}`;
}

/**
 * Conv2DBackpropInput by scattering: for every output position p = (n, ho, wo) and filter row i,
 *
 *   dx[n, ho·sh + i, wo·sw .., q0 + 4v ..] += Σ_o dy[p, o] · wt[i, o, q0 + 4v ..]
 *
 * where wt[i, o, (j, c)] = W[i, j, c, o]: in NHWC the kw·cin values (j, c) that one filter row
 * writes are consecutive in dx, so a block is `vectors` whole vectors of them. wt's rows are
 * padded with zeros to whole vectors, which makes the lanes past kw·cin add zero to whatever
 * follows in dx (so dx needs that many floats of slack at its end, and no tail handling here).
 *
 * Arguments (byte addresses and strides):
 *   dy, wt, dx    dy of position (0, 0, 0); wt of (i = 0, o = 0, q0); dx of (0, 0, 0, q0) in a
 *                 copy of dx padded by the convolution's padding
 *   nb, oh, ow, cout, kh
 *   dxImg, dxRow, dxCol   how far dx moves per image, per output row (sh·Wp·cin), per column
 *   dxTapRow      how far dx moves per filter row (Wp·cin)
 *   wtOut, wtTapRow       how far wt moves per output channel (its padded row) and filter row
 */
function inputGrad(vectors: number): string {
  const locals: string[] = [];
  for (let v = 0; v < vectors; v++) locals.push(`(local $a${v} v128)`);
  const zero = Array.from({ length: vectors }, (_, v) => `(local.set $a${v} (v128.const i32x4 0 0 0 0))`);
  const accumulate = Array.from(
    { length: vectors },
    (_, v) =>
      `(local.set $a${v} (f32x4.add (local.get $a${v}) (f32x4.mul (local.get $s) (v128.load offset=${v * 16} (local.get $wp)))))`,
  );
  const scatter = Array.from(
    { length: vectors },
    (_, v) =>
      `(v128.store offset=${v * 16} (local.get $dp) (f32x4.add (v128.load offset=${v * 16} (local.get $dp)) (local.get $a${v})))`,
  );
  const channels = [
    '(local.set $o (i32.const 0))',
    '(loop $channels',
    '  (local.set $s (v128.load32_splat (i32.add (local.get $yp) (i32.shl (local.get $o) (i32.const 2)))))',
    ...accumulate.map((l) => `  ${l}`),
    '  (local.set $wp (i32.add (local.get $wp) (local.get $wtOut)))',
    '  (br_if $channels (i32.lt_u (local.tee $o (i32.add (local.get $o) (i32.const 1))) (local.get $cout))))',
  ].join('\n');
  const loops = countdown('$images', '$n', '(local.get $nb)', [
    '(local.set $xr (local.get $dx))',
    countdown('$outRows', '$h', '(local.get $oh)', [
      '(local.set $xc (local.get $xr))',
      countdown('$positions', '$w', '(local.get $ow)', [
        '(local.set $dp (local.get $xc))',
        '(local.set $wr (local.get $wt))',
        countdown('$tapRows', '$i', '(local.get $kh)', [
          ...zero,
          '(local.set $wp (local.get $wr))',
          channels,
          ...scatter,
          '(local.set $dp (i32.add (local.get $dp) (local.get $dxTapRow)))',
          '(local.set $wr (i32.add (local.get $wr) (local.get $wtTapRow)))',
        ]),
        '(local.set $yp (i32.add (local.get $yp) (i32.shl (local.get $cout) (i32.const 2))))',
        '(local.set $xc (i32.add (local.get $xc) (local.get $dxCol)))',
      ]),
      '(local.set $xr (i32.add (local.get $xr) (local.get $dxRow)))',
    ]),
    '(local.set $dx (i32.add (local.get $dx) (local.get $dxImg)))',
  ]);
  const name = inputGradName(vectors);
  return `
  (func $${name} (export "${name}")
    (param $dy i32) (param $wt i32) (param $dx i32) (param $nb i32) (param $oh i32) (param $ow i32)
    (param $cout i32) (param $kh i32) (param $dxImg i32) (param $dxRow i32) (param $dxCol i32)
    (param $dxTapRow i32) (param $wtOut i32) (param $wtTapRow i32)
    (local $n i32) (local $h i32) (local $w i32) (local $i i32) (local $o i32)
    (local $xr i32) (local $xc i32) (local $dp i32) (local $wr i32) (local $wp i32) (local $yp i32)
    (local $s v128)
    ${locals.join(' ')}
    (local.set $yp (local.get $dy))
    ${at(4, loops)})`;
}

/** Forward blocks: up to this many consecutive output columns at once. */
export const MAX_COLUMNS = 4;

/** The name of the forward-convolution function for `columns` × `vectors` (last: `tail` lanes). */
export function convName(columns: number, vectors: number, tail: number): string {
  return `conv_c${columns}_v${vectors}_t${tail}`;
}

/** A store of the vector `v` of `vectors` to address `ptr`, only `tail` lanes of the last (0 = 4). */
function storeVector(ptr: string, v: number, vectors: number, tail: number, value: string): string {
  const offset = v * 16;
  const last = v === vectors - 1;
  if (!last || tail === 0) return `(v128.store offset=${offset} ${ptr} ${value})`;
  if (tail === 1) return `(v128.store32_lane offset=${offset} 0 ${ptr} ${value})`;
  if (tail === 2) return `(v128.store64_lane offset=${offset} 0 ${ptr} ${value})`;
  return `(v128.store64_lane offset=${offset} 0 ${ptr} ${value}) (v128.store32_lane offset=${offset + 8} 2 ${ptr} ${value})`;
}

/**
 * A convolution (FusedConv2D with a bias and ReLU or none), blocks of `columns` consecutive
 * output columns × `vectors` vectors of output channels:
 *
 *   y[n, ho, wo + c, o0 + 4v ..] = act(bias[..] + Σ_i Σ_q x[n, ho·sh + i, (wo + c)·sw .., q] · W[i, q, ..])
 *
 * where q runs over a filter row's kw·cin values (j, c), consecutive in NHWC (x is padded by the
 * caller). Each W vector is loaded once per (i, q) and used for every column of the block.
 *
 * Arguments (byte addresses and strides):
 *   x, w, bias, y   x at (0, 0, column 0 of the first block); W, bias and y at channel o0
 *   nb, oh, blocks  images, output rows, blocks per output row
 *   kh, k           filter rows, kw·cin
 *   xImg, xRow, xTapRow   how far x moves per image, output row (sh·Wp·cin), filter row (Wp·cin)
 *   xCol            how far x moves per output column (sw·cin); a block moves `columns` of them
 *   wq              how far W moves per q (cout)
 *   yImgRow         how far y moves from the end of one output row's blocks to the next row's
 *   yCol            how far y moves per output column (cout)
 *   floor           the activation as a lower bound: 0 for ReLU, -Infinity for none
 */
function conv(columns: number, vectors: number, tail: number): string {
  const acc = (c: number, v: number): string => `$a${c}_${v}`;
  const locals: string[] = [];
  for (let c = 0; c < columns; c++) {
    locals.push(`(local $xo${c} i32)`);
    for (let v = 0; v < vectors; v++) locals.push(`(local ${acc(c, v)} v128)`);
  }
  for (let v = 0; v < vectors; v++) locals.push(`(local $w${v} v128) (local $b${v} v128)`);
  const init: string[] = [];
  for (let c = 0; c < columns; c++) {
    for (let v = 0; v < vectors; v++) init.push(`(local.set ${acc(c, v)} (local.get $b${v}))`);
  }
  const step: string[] = [];
  for (let v = 0; v < vectors; v++)
    step.push(`(local.set $w${v} ${loadVector('(local.get $wp)', v, vectors, tail)})`);
  for (let c = 0; c < columns; c++) {
    step.push(`(local.set $s (v128.load32_splat (i32.add (local.get $xq) (local.get $xo${c}))))`);
    for (let v = 0; v < vectors; v++) {
      step.push(
        `(local.set ${acc(c, v)} (f32x4.add (local.get ${acc(c, v)}) (f32x4.mul (local.get $s) (local.get $w${v}))))`,
      );
    }
  }
  const stores: string[] = [];
  for (let c = 0; c < columns; c++) {
    const at =
      c === 0 ? '(local.get $yp)' : `(i32.add (local.get $yp) (i32.mul (i32.const ${c}) (local.get $yCol)))`;
    for (let v = 0; v < vectors; v++) {
      stores.push(
        storeVector(at, v, vectors, tail, `(f32x4.max (local.get ${acc(c, v)}) (local.get $floor))`),
      );
    }
  }
  const offsets: string[] = [];
  for (let c = 1; c < columns; c++) {
    offsets.push(`(local.set $xo${c} (i32.mul (i32.const ${c}) (local.get $xCol)))`);
  }
  const loops = countdown('$images', '$n', '(local.get $nb)', [
    '(local.set $xr (local.get $x))',
    countdown('$outRows', '$h', '(local.get $oh)', [
      '(local.set $xb (local.get $xr))',
      countdown('$columnBlocks', '$b', '(local.get $blocks)', [
        ...init,
        '(local.set $wp (local.get $w))',
        '(local.set $xt (local.get $xb))',
        countdown('$tapRows', '$i', '(local.get $kh)', [
          '(local.set $xq (local.get $xt))',
          countdown('$taps', '$q', '(local.get $k)', [
            ...step,
            '(local.set $xq (i32.add (local.get $xq) (i32.const 4)))',
            '(local.set $wp (i32.add (local.get $wp) (local.get $wq)))',
          ]),
          '(local.set $xt (i32.add (local.get $xt) (local.get $xTapRow)))',
        ]),
        ...stores,
        `(local.set $xb (i32.add (local.get $xb) (i32.mul (i32.const ${columns}) (local.get $xCol))))`,
        `(local.set $yp (i32.add (local.get $yp) (i32.mul (i32.const ${columns}) (local.get $yCol))))`,
      ]),
      '(local.set $yp (i32.add (local.get $yp) (local.get $yImgRow)))',
      '(local.set $xr (i32.add (local.get $xr) (local.get $xRow)))',
    ]),
    '(local.set $x (i32.add (local.get $x) (local.get $xImg)))',
  ]);
  const name = convName(columns, vectors, tail);
  return `
  (func $${name} (export "${name}")
    (param $x i32) (param $w i32) (param $bias i32) (param $y i32) (param $nb i32) (param $oh i32)
    (param $blocks i32) (param $kh i32) (param $k i32) (param $xImg i32) (param $xRow i32)
    (param $xTapRow i32) (param $xCol i32) (param $wq i32) (param $yImgRow i32) (param $yCol i32)
    (param $floorValue f32)
    (local $n i32) (local $h i32) (local $b i32) (local $i i32) (local $q i32)
    (local $xr i32) (local $xb i32) (local $xt i32) (local $xq i32) (local $wp i32) (local $yp i32)
    (local $s v128) (local $floor v128)
    ${locals.join(' ')}
    ${Array.from({ length: vectors }, (_, v) => `(local.set $b${v} ${loadVector('(local.get $bias)', v, vectors, tail)})`).join('\n    ')}
    ${offsets.join('\n    ')}
    (local.set $floor (f32x4.splat (local.get $floorValue)))
    (local.set $yp (local.get $y))
    ${at(4, loops)})`;
}

// ---------------------------------------------------------------------------------------------
// The forward convolution on packed weights over flattened output positions (issue 21).

/** Packed-forward blocks: up to this many output positions at once (4 × 2 vectors: 8 accumulators). */
export const MAX_PACKED_COLUMNS = 4;

/** The name of the packed forward convolution for `columns` positions × `vectors` (last: `tail` lanes stored). */
export function packedConvName(columns: number, vectors: number, tail: number): string {
  return `pconv_c${columns}_v${vectors}_t${tail}`;
}

/** The name of the weight packer for panels of `vectors` vectors, the last with `tail` lanes (0: 4). */
export function packPanelName(vectors: number, tail: number): string {
  return `pack_panel_v${vectors}_t${tail}`;
}

/**
 * One panel of packed weights: dst[t, 4v ..] = src[t, 4v ..] for t < taps, the lanes past the
 * last `tail` zero, so that the convolution loads whole vectors with no tail handling and the
 * lanes it computes past cout are zeros it never stores.
 *
 * Arguments: src (W[.., o0]), dst (the panel), taps (kh·kw·cin), srcTap (cout·4 bytes).
 */
function packPanel(vectors: number, tail: number): string {
  const moves = Array.from(
    { length: vectors },
    (_, v) =>
      `(v128.store offset=${v * 16} (local.get $dst) ${loadVector('(local.get $src)', v, vectors, tail)})`,
  );
  const name = packPanelName(vectors, tail);
  return `
  (func $${name} (export "${name}")
    (param $src i32) (param $dst i32) (param $taps i32) (param $srcTap i32)
    (local $t i32)
    ${at(
      4,
      countdown('$taps', '$t', '(local.get $taps)', [
        ...moves,
        '(local.set $src (i32.add (local.get $src) (local.get $srcTap)))',
        `(local.set $dst (i32.add (local.get $dst) (i32.const ${vectors * 16})))`,
      ]),
    )})`;
}

/** The name of the packer of the input gradient's panels (see packFlippedPanel). */
export function packFlippedPanelName(vectors: number, tail: number): string {
  return `pack_flipped_v${vectors}_t${tail}`;
}

/**
 * One panel of the input gradient's filter, Wf[i, j, o, c0 + l] = W[kh-1-i, kw-1-j, c0 + l, o]
 * (flipped in space, channels swapped), for every tap (i, j) and o: a gather of `lanes` values
 * cout apart into each row of the panel, the lanes past the last `tail` zero. For a 3×3 512→512
 * filter: 1.5 ms CPU here against 8.6 ms in the JS loop it replaces (5 % of that layer's input
 * gradient at 4 px, 20 % at 2 px).
 *
 * Arguments: src (W at the last tap (kh-1, kw-1), channel c0, o = 0), dst (the panel), taps
 * (kh·kw), cout, tapBytes (cin·cout·4: how far src moves back per tap).
 */
function packFlippedPanel(vectors: number, tail: number): string {
  const valid = (vectors - 1) * LANES + (tail === 0 ? LANES : tail);
  const pointers: string[] = [];
  for (let l = 0; l < valid; l++) {
    pointers.push(
      `(local.set $p${l} (i32.add (local.get $src) (i32.mul (i32.const ${l * 4}) (local.get $cout))))`,
    );
  }
  const row: string[] = [];
  for (let v = 0; v < vectors; v++) {
    let vector = '(v128.const i32x4 0 0 0 0)';
    for (let lane = 0; lane < LANES && v * LANES + lane < valid; lane++) {
      const l = v * LANES + lane;
      vector = `(f32x4.replace_lane ${lane} ${vector} (f32.load (i32.add (local.get $p${l}) (local.get $off))))`;
    }
    row.push(`(v128.store offset=${v * 16} (local.get $dst) ${vector})`);
  }
  const locals = Array.from({ length: valid }, (_, l) => `(local $p${l} i32)`).join(' ');
  const loops = countdown('$taps', '$t', '(local.get $taps)', [
    ...pointers,
    '(local.set $off (i32.const 0))',
    countdown('$outs', '$o', '(local.get $cout)', [
      ...row,
      `(local.set $dst (i32.add (local.get $dst) (i32.const ${vectors * 16})))`,
      '(local.set $off (i32.add (local.get $off) (i32.const 4)))',
    ]),
    '(local.set $src (i32.sub (local.get $src) (local.get $tapBytes)))',
  ]);
  const name = packFlippedPanelName(vectors, tail);
  return `
  (func $${name} (export "${name}")
    (param $src i32) (param $dst i32) (param $taps i32) (param $cout i32) (param $tapBytes i32)
    (local $t i32) (local $o i32) (local $off i32) ${locals}
    ${at(4, loops)})`;
}

/**
 * A convolution on packed weights, blocks of `columns` output positions × `vectors` vectors of
 * output channels, where the positions are consecutive in the flattened (image, row, column)
 * space but their windows may start anywhere in x (a table gives each one's byte offset), so
 * that 2×2 and 4×4 maps, and strides, fill whole blocks:
 *
 *   y[p + c, o0 + 4v ..] = act(bias + Σ_i Σ_q x[x + table[p + c] + i·xTapRow + 4q] · P[i, q, 4v ..])
 *
 * P is one packed panel ([kh][kw·cin][4·vectors], contiguous), so the weight stream is
 * sequential: 16·vectors bytes a tap (W in place strides cout·4 bytes, 2 KB at cout 512). The
 * sum is the same as conv()'s (and XNNPACK's): the bias first, then i, then q, a multiply then an
 * add, so the two give identical results.
 *
 * Arguments (byte addresses and strides):
 *   table, x    the first block's window offsets (i32 each), and what they are relative to
 *   w, bias, y  the panel (at its first tap row of this call), bias and y at channel o0 of position p
 *   blocks      how many blocks of `columns` positions
 *   kh, k       tap rows, and taps per row (kw·cin)
 *   xTapRow     how far x moves per tap row (Wp·cin)
 *   yCol        how far y moves per position (cout·4)
 *   floor       the activation as a lower bound: 0 for ReLU, -Infinity for none
 */
function packedConv(columns: number, vectors: number, tail: number): string {
  const acc = (c: number, v: number): string => `$a${c}_${v}`;
  const locals: string[] = [];
  for (let c = 0; c < columns; c++) {
    locals.push(`(local $xo${c} i32)`);
    for (let v = 0; v < vectors; v++) locals.push(`(local ${acc(c, v)} v128)`);
  }
  for (let v = 0; v < vectors; v++) locals.push(`(local $w${v} v128) (local $b${v} v128)`);
  const yAt = (c: number): string =>
    c === 0 ? '(local.get $yp)' : `(i32.add (local.get $yp) (i32.mul (i32.const ${c}) (local.get $yCol)))`;
  const offsets: string[] = [];
  for (let c = 0; c < columns; c++) {
    offsets.push(`(local.set $xo${c} (i32.add (local.get $x) (i32.load offset=${c * 4} (local.get $tp))))`);
  }
  const fromBias: string[] = [];
  for (let c = 0; c < columns; c++) {
    for (let v = 0; v < vectors; v++) fromBias.push(`(local.set ${acc(c, v)} (local.get $b${v}))`);
  }
  const step: string[] = [];
  for (let v = 0; v < vectors; v++)
    step.push(`(local.set $w${v} (v128.load offset=${v * 16} (local.get $wp)))`);
  for (let c = 0; c < columns; c++) {
    step.push(`(local.set $s (v128.load32_splat (i32.add (local.get $xo${c}) (local.get $xq))))`);
    for (let v = 0; v < vectors; v++) {
      step.push(
        `(local.set ${acc(c, v)} (f32x4.add (local.get ${acc(c, v)}) (f32x4.mul (local.get $s) (local.get $w${v}))))`,
      );
    }
  }
  const stores: string[] = [];
  for (let c = 0; c < columns; c++) {
    for (let v = 0; v < vectors; v++) {
      stores.push(
        storeVector(yAt(c), v, vectors, tail, `(f32x4.max (local.get ${acc(c, v)}) (local.get $floor))`),
      );
    }
  }
  const loops = countdown('$blocks', '$blk', '(local.get $blocks)', [
    ...offsets,
    ...fromBias,
    '(local.set $wp (local.get $w))',
    '(local.set $xt (i32.const 0))',
    countdown('$tapRows', '$i', '(local.get $kh)', [
      '(local.set $xq (local.get $xt))',
      countdown('$taps', '$q', '(local.get $k)', [
        ...step,
        '(local.set $xq (i32.add (local.get $xq) (i32.const 4)))',
        `(local.set $wp (i32.add (local.get $wp) (i32.const ${vectors * 16})))`,
      ]),
      '(local.set $xt (i32.add (local.get $xt) (local.get $xTapRow)))',
    ]),
    ...stores,
    `(local.set $tp (i32.add (local.get $tp) (i32.const ${columns * 4})))`,
    `(local.set $yp (i32.add (local.get $yp) (i32.mul (i32.const ${columns}) (local.get $yCol))))`,
  ]);
  const name = packedConvName(columns, vectors, tail);
  return `
  (func $${name} (export "${name}")
    (param $table i32) (param $x i32) (param $w i32) (param $bias i32) (param $y i32)
    (param $blocks i32) (param $kh i32) (param $k i32) (param $xTapRow i32) (param $yCol i32)
    (param $floorValue f32)
    (local $blk i32) (local $i i32) (local $q i32) (local $tp i32) (local $xt i32) (local $xq i32)
    (local $wp i32) (local $yp i32) (local $s v128) (local $floor v128)
    ${locals.join(' ')}
    ${Array.from({ length: vectors }, (_, v) => `(local.set $b${v} ${loadVector('(local.get $bias)', v, vectors, tail)})`).join('\n    ')}
    (local.set $floor (f32x4.splat (local.get $floorValue)))
    (local.set $tp (local.get $table))
    (local.set $yp (local.get $y))
    ${at(4, loops)})`;
}

/** The packed forward's functions, for kernelFunctions(). */
function packedConvFunctions(functions: Map<string, () => string>): void {
  for (let vectors = 1; vectors <= MAX_VECTORS; vectors++) {
    for (let tail = 0; tail < LANES; tail++) {
      functions.set(packPanelName(vectors, tail), () => packPanel(vectors, tail));
      functions.set(packFlippedPanelName(vectors, tail), () => packFlippedPanel(vectors, tail));
      for (let columns = 1; columns <= MAX_PACKED_COLUMNS; columns++) {
        functions.set(packedConvName(columns, vectors, tail), () => packedConv(columns, vectors, tail));
      }
    }
  }
}

/** The name of the 2×2 max-pool gradient function whose last channel vector has `tail` lanes. */
export function maxPoolGradName(tail: number): string {
  return `maxpool_grad_2x2_t${tail}`;
}

/**
 * MaxPoolGrad for 2×2 windows at stride 2 without padding (every pool of our networks): each dy
 * value goes to the first of its window's four inputs, in row-major order, that equals the
 * window's maximum y (the forward output), the others get 0. Channels are vectors; `tail` lanes
 * of the last one are real (0 = 4).
 *
 * Returns 1 if any window had no input equal to its maximum or a maximum that is not > -∞ (NaN,
 * all -∞): then the caller redoes the whole gradient with its exact rule for those.
 *
 * Arguments (byte addresses and strides): x, y, dy, dx; nb, oh, ow; vectors (whole vectors of
 * channels before the tail); xImg (H·W·C), xRow (W·C), xCol (C).
 */
function maxPoolGrad(tail: number): string {
  // One vector of channels of one window, at byte offset $off; `lanes` of it are real (0 = 4).
  const window = (lanes: number): string[] => {
    const at = (base: string): string => `(i32.add (local.get ${base}) (local.get $off))`;
    const load = (base: string): string => loadVector(at(base), 0, 1, lanes);
    const store = (base: string, value: string): string => storeVector(at(base), 0, 1, lanes, value);
    return [
      `(local.set $m ${load('$yp')})`,
      `(local.set $d ${load('$dyp')})`,
      `(local.set $e0 (f32x4.eq ${load('$x0')} (local.get $m)))`,
      `(local.set $e1 (v128.andnot (f32x4.eq ${load('$x1')} (local.get $m)) (local.get $e0)))`,
      `(local.set $f (v128.or (local.get $e0) (local.get $e1)))`,
      `(local.set $e2 (v128.andnot (f32x4.eq ${load('$x2')} (local.get $m)) (local.get $f)))`,
      `(local.set $f (v128.or (local.get $f) (local.get $e2)))`,
      `(local.set $e3 (v128.andnot (f32x4.eq ${load('$x3')} (local.get $m)) (local.get $f)))`,
      `(local.set $f (v128.or (local.get $f) (local.get $e3)))`,
      `(local.set $bad (v128.or (local.get $bad) (v128.not (v128.and (local.get $f) (f32x4.gt (local.get $m) (local.get $ninf))))))`,
      store('$d0', '(v128.and (local.get $e0) (local.get $d))'),
      store('$d1', '(v128.and (local.get $e1) (local.get $d))'),
      store('$d2', '(v128.and (local.get $e2) (local.get $d))'),
      store('$d3', '(v128.and (local.get $e3) (local.get $d))'),
    ];
  };
  const corners = [
    '(local.set $x1 (i32.add (local.get $x0) (local.get $xCol)))',
    '(local.set $x2 (i32.add (local.get $x0) (local.get $xRow)))',
    '(local.set $x3 (i32.add (local.get $x2) (local.get $xCol)))',
    '(local.set $d0 (i32.add (local.get $dx) (i32.sub (local.get $x0) (local.get $x))))',
    '(local.set $d1 (i32.add (local.get $d0) (local.get $xCol)))',
    '(local.set $d2 (i32.add (local.get $d0) (local.get $xRow)))',
    '(local.set $d3 (i32.add (local.get $d2) (local.get $xCol)))',
  ];
  const loops = countdown('$images', '$n', '(local.get $nb)', [
    '(local.set $xr (local.get $xi))',
    countdown('$outRows', '$h', '(local.get $oh)', [
      '(local.set $x0 (local.get $xr))',
      countdown('$windows', '$w', '(local.get $ow)', [
        ...corners,
        '(local.set $off (i32.const 0))',
        countdown(
          '$whole',
          '$v',
          '(local.get $vectors)',
          [...window(0), '(local.set $off (i32.add (local.get $off) (i32.const 16)))'],
          true,
        ),
        ...(tail === 0 ? [] : window(tail)),
        '(local.set $yp (i32.add (local.get $yp) (local.get $xCol)))',
        '(local.set $dyp (i32.add (local.get $dyp) (local.get $xCol)))',
        '(local.set $x0 (i32.add (local.get $x0) (i32.shl (local.get $xCol) (i32.const 1))))',
      ]),
      '(local.set $xr (i32.add (local.get $xr) (i32.shl (local.get $xRow) (i32.const 1))))',
    ]),
    '(local.set $xi (i32.add (local.get $xi) (local.get $xImg)))',
  ]);
  const name = maxPoolGradName(tail);
  return `
  (func $${name} (export "${name}")
    (param $x i32) (param $y i32) (param $dy i32) (param $dx i32) (param $nb i32) (param $oh i32)
    (param $ow i32) (param $vectors i32) (param $xImg i32) (param $xRow i32) (param $xCol i32)
    (result i32)
    (local $n i32) (local $h i32) (local $w i32) (local $v i32) (local $off i32)
    (local $xi i32) (local $xr i32) (local $x0 i32) (local $x1 i32) (local $x2 i32) (local $x3 i32)
    (local $d0 i32) (local $d1 i32) (local $d2 i32) (local $d3 i32) (local $yp i32) (local $dyp i32)
    (local $m v128) (local $d v128) (local $e0 v128) (local $e1 v128) (local $e2 v128) (local $e3 v128)
    (local $f v128) (local $bad v128) (local $ninf v128)
    (local.set $ninf (f32x4.splat (f32.const -inf)))
    (local.set $yp (local.get $y))
    (local.set $dyp (local.get $dy))
    (local.set $xi (local.get $x))
    ${at(4, loops)}
    (v128.any_true (local.get $bad)))`;
}

/** The name of the SSA move generator (see normalMoves). */
export const NORMAL_MOVES = 'normal_moves';

/** Byte offsets of the ziggurat's tables (256 f64 each) in the block normalMoves reads. */
export const ZIGGURAT_LAYOUT = { kn: 0, wn: 256 * 8, fn: 512 * 8, scaledWn: 768 * 8, bytes: 1024 * 8 };

/**
 * One xoroshiro128+ step on the state in locals $s01 $s00 $s11 $s10 (the layout of
 * src/shared/rng.ts), its 32-bit output left in $hz: the same arithmetic as rng.ts's step().
 */
const XOROSHIRO_STEP = `
      (local.set $hz (i32.add (local.get $s00) (local.get $s10)))
      (local.set $a0 (i32.xor (local.get $s10) (local.get $s00)))
      (local.set $a1 (i32.xor (local.get $s11) (local.get $s01)))
      (local.set $t00 (local.get $s00))
      (local.set $s00 (i32.xor (i32.xor (i32.xor (i32.shl (local.get $t00) (i32.const 24)) (i32.shr_u (local.get $s01) (i32.const 8))) (local.get $a0)) (i32.shl (local.get $a0) (i32.const 16))))
      (local.set $s01 (i32.xor (i32.xor (i32.xor (i32.shl (local.get $s01) (i32.const 24)) (i32.shr_u (local.get $t00) (i32.const 8))) (local.get $a1)) (i32.or (i32.shl (local.get $a1) (i32.const 16)) (i32.shr_u (local.get $a0) (i32.const 16)))))
      (local.set $s10 (i32.xor (i32.shl (local.get $a1) (i32.const 5)) (i32.shr_u (local.get $a0) (i32.const 27))))
      (local.set $s11 (i32.xor (i32.shl (local.get $a0) (i32.const 5)) (i32.shr_u (local.get $a1) (i32.const 27))))`;

/** rng.ts's openUniform: one step, ((out >>> 0) + 0.5) / 2^32, in (0, 1). */
const OPEN_UNIFORM = `(block (result f64) ${XOROSHIRO_STEP}
      (f64.div (f64.add (f64.convert_i32_u (local.get $hz)) (f64.const 0.5)) (f64.const 4294967296)))`;

/** A table entry: f64 at tables + offset + 8·index. */
const table = (offset: number, index: string): string =>
  `(f64.load offset=${offset} (i32.add (local.get $tables) (i32.shl ${index} (i32.const 3))))`;

/**
 * SSA's moves for one weight tensor: Δ ~ N(0, std²) drawn exactly as rng.ts's fillNormal draws
 * it (Marsaglia and Tsang's ziggurat on xoroshiro128+, the same f64 arithmetic, the same slow
 * path with the host's own Math.exp and Math.log), and plus = w + Δ, minus = w − Δ in f32, as
 * tf.add and tf.sub would give: the same numbers as the JS path, without a copy of Δ, an upload
 * or two more ops per tensor. The generator's state is read from and written back to `state`
 * (4 × i32, rng.ts's layout), so successive tensors continue one stream.
 */
function normalMoves(): string {
  const { kn, wn, fn, scaledWn } = ZIGGURAT_LAYOUT;
  const j = '(f64.convert_i32_s (local.get $j))';
  return `
  (func $${NORMAL_MOVES} (export "${NORMAL_MOVES}")
    (param $w i32) (param $plus i32) (param $minus i32) (param $n i32) (param $tables i32)
    (param $state i32) (param $std f64) (param $R f64)
    (local $s01 i32) (local $s00 i32) (local $s11 i32) (local $s10 i32)
    (local $hz i32) (local $a0 i32) (local $a1 i32) (local $t00 i32) (local $end i32)
    (local $layer i32) (local $j i32) (local $x f64) (local $t f64) (local $y f64) (local $d f32)
    (local $wv f32)
    (local.set $s01 (i32.load offset=0 (local.get $state)))
    (local.set $s00 (i32.load offset=4 (local.get $state)))
    (local.set $s11 (i32.load offset=8 (local.get $state)))
    (local.set $s10 (i32.load offset=12 (local.get $state)))
    (local.set $end (i32.add (local.get $w) (i32.shl (local.get $n) (i32.const 2))))
    (block $empty
      (br_if $empty (i32.eqz (local.get $n)))
      (loop $values
        ${XOROSHIRO_STEP}
        (local.set $layer (i32.shr_u (local.get $hz) (i32.const 24)))
        (local.set $j (i32.shr_s (i32.shl (local.get $hz) (i32.const 8)) (i32.const 8)))
        (local.set $d (f32.demote_f64
          (if (result f64) (f64.lt (f64.abs ${j}) ${table(kn, '(local.get $layer)')})
            (then (f64.mul ${j} ${table(scaledWn, '(local.get $layer)')}))
            (else (f64.mul (local.get $std)
              (block $value (result f64)
                (loop $retry
                  (local.set $x (f64.mul ${j} ${table(wn, '(local.get $layer)')}))
                  (if (i32.eqz (local.get $layer))
                    (then
                      ;; Marsaglia's tail method beyond R.
                      (loop $tail
                        (local.set $t (f64.div (f64.neg (call $log ${OPEN_UNIFORM})) (local.get $R)))
                        (local.set $y (f64.neg (call $log ${OPEN_UNIFORM})))
                        (br_if $tail (f64.lt (f64.add (local.get $y) (local.get $y)) (f64.mul (local.get $t) (local.get $t)))))
                      (br $value (select
                        (f64.add (local.get $R) (local.get $t))
                        (f64.sub (f64.neg (local.get $R)) (local.get $t))
                        (i32.gt_s (local.get $j) (i32.const 0))))))
                  ;; A wedge beside the layer.
                  (br_if $value (local.get $x) (f64.lt
                    (f64.add ${table(fn, '(local.get $layer)')}
                      (f64.mul ${OPEN_UNIFORM}
                        (f64.sub ${table(fn, '(i32.sub (local.get $layer) (i32.const 1))')} ${table(fn, '(local.get $layer)')})))
                    (call $exp (f64.mul (f64.mul (f64.const -0.5) (local.get $x)) (local.get $x)))))
                  ${XOROSHIRO_STEP}
                  (local.set $layer (i32.shr_u (local.get $hz) (i32.const 24)))
                  (local.set $j (i32.shr_s (i32.shl (local.get $hz) (i32.const 8)) (i32.const 8)))
                  (br_if $value (f64.mul ${j} ${table(wn, '(local.get $layer)')})
                    (f64.lt (f64.abs ${j}) ${table(kn, '(local.get $layer)')}))
                  (br $retry))
                (unreachable)))))))
        (local.set $wv (f32.load (local.get $w)))
        (f32.store (local.get $plus) (f32.add (local.get $wv) (local.get $d)))
        (f32.store (local.get $minus) (f32.sub (local.get $wv) (local.get $d)))
        (local.set $plus (i32.add (local.get $plus) (i32.const 4)))
        (local.set $minus (i32.add (local.get $minus) (i32.const 4)))
        (br_if $values (i32.lt_u (local.tee $w (i32.add (local.get $w) (i32.const 4))) (local.get $end)))))
    (i32.store offset=0 (local.get $state) (local.get $s01))
    (i32.store offset=4 (local.get $state) (local.get $s00))
    (i32.store offset=8 (local.get $state) (local.get $s11))
    (i32.store offset=12 (local.get $state) (local.get $s10)))`;
}

/** The name of the SGD update for these options (see sgdUpdate). */
export function sgdUpdateName(momentum: boolean, nesterov: boolean, weightDecay: boolean): string {
  return `sgd_update_m${+momentum}_n${+nesterov}_d${+weightDecay}`;
}

/**
 * One SGD step on one weight tensor with PyTorch's semantics, in one pass over its values:
 *
 *   g ← g + λw;  v ← βv + g;  d ← nesterov ? g + βv : v;  w ← w − ηd
 *
 * with the same f32 operations in the same order as the tf ops it replaces (a multiply and an add
 * each, no fused multiply-add), so the results are identical. Writes w′ and v′ to new buffers.
 * Four values at a time, then the last n mod 4 one by one.
 */
function sgdUpdate(momentum: boolean, nesterov: boolean, weightDecay: boolean): string {
  const body = (t: 'f32x4' | 'f32', load: string, store: string, splat: (x: string) => string): string[] => {
    const get = (x: string): string => `(local.get ${x})`;
    const mul = (a: string, b: string): string => `(${t}.mul ${a} ${b})`;
    const add = (a: string, b: string): string => `(${t}.add ${a} ${b})`;
    const lines: string[] = [];
    const g = weightDecay
      ? add(`(${load} (local.get $g))`, mul(`(${load} (local.get $w))`, splat('$wd')))
      : `(${load} (local.get $g))`;
    lines.push(`(local.set $${t}g ${g})`);
    let d = get(`$${t}g`);
    if (momentum) {
      lines.push(`(local.set $${t}v ${add(mul(`(${load} (local.get $v))`, splat('$beta')), get(`$${t}g`))})`);
      lines.push(`(${store} (local.get $vOut) ${get(`$${t}v`)})`);
      d = nesterov ? add(get(`$${t}g`), mul(get(`$${t}v`), splat('$beta'))) : get(`$${t}v`);
    }
    lines.push(`(${store} (local.get $wOut) (${t}.sub (${load} (local.get $w)) ${mul(d, splat('$lr'))}))`);
    return lines;
  };
  const vector = body('f32x4', 'v128.load', 'v128.store', (x) => `(local.get ${x}4)`);
  const scalar = body('f32', 'f32.load', 'f32.store', (x) => `(local.get ${x})`);
  const advance = (bytes: number): string =>
    ['$w', '$g', '$v', '$wOut', '$vOut']
      .map((p) => `(local.set ${p} (i32.add (local.get ${p}) (i32.const ${bytes})))`)
      .join(' ');
  const name = sgdUpdateName(momentum, nesterov, weightDecay);
  return `
  (func $${name} (export "${name}")
    (param $w i32) (param $g i32) (param $v i32) (param $wOut i32) (param $vOut i32) (param $n i32)
    (param $lr f32) (param $beta f32) (param $wd f32)
    (local $i i32) (local $lr4 v128) (local $beta4 v128) (local $wd4 v128)
    (local $f32x4g v128) (local $f32x4v v128) (local $f32g f32) (local $f32v f32)
    (local.set $lr4 (f32x4.splat (local.get $lr)))
    (local.set $beta4 (f32x4.splat (local.get $beta)))
    (local.set $wd4 (f32x4.splat (local.get $wd)))
    ${at(4, countdown('$vectors', '$i', '(i32.shr_u (local.get $n) (i32.const 2))', [...vector, advance(16)], true))}
    ${at(4, countdown('$rest', '$i', '(i32.and (local.get $n) (i32.const 3))', [...scalar, advance(4)], true))})`;
}

/** Every function of the module, by name: each family over all the block shapes drivers use. */
function kernelFunctions(): Map<string, () => string> {
  const functions = new Map<string, () => string>();
  for (let rows = 1; rows <= FGEMM_ROWS; rows++) {
    functions.set(packRowsName(rows), () => packRows(rows));
    for (let vectors = 1; vectors <= FGEMM_VECTORS; vectors++) {
      functions.set(filterGemmName(rows, vectors), () => filterGemm(rows, vectors));
    }
  }
  for (let vectors = 1; vectors <= FGEMM_VECTORS; vectors++) {
    for (let tail = 0; tail < LANES; tail++)
      functions.set(packDyName(vectors, tail), () => packDy(vectors, tail));
  }
  for (let vectors = 1; vectors <= MAX_INPUT_VECTORS; vectors++) {
    functions.set(inputGradName(vectors), () => inputGrad(vectors));
  }
  for (let columns = 1; columns <= MAX_COLUMNS; columns++) {
    for (let vectors = 1; vectors <= MAX_VECTORS; vectors++) {
      for (let tail = 0; tail < LANES; tail++) {
        functions.set(convName(columns, vectors, tail), () => conv(columns, vectors, tail));
      }
    }
  }
  packedConvFunctions(functions);
  for (let tail = 0; tail < LANES; tail++) functions.set(maxPoolGradName(tail), () => maxPoolGrad(tail));
  functions.set(NORMAL_MOVES, normalMoves);
  for (const [name, text] of depthwiseKernelFunctions()) functions.set(name, text);
  for (const momentum of [false, true]) {
    for (const nesterov of momentum ? [false, true] : [false]) {
      for (const weightDecay of [false, true]) {
        functions.set(sgdUpdateName(momentum, nesterov, weightDecay), () =>
          sgdUpdate(momentum, nesterov, weightDecay),
        );
      }
    }
  }
  for (const [name, text] of batchNormFunctions()) functions.set(name, text);
  return functions;
}

/** The names the module exports. */
export function kernelNames(): string[] {
  return [...kernelFunctions().keys()];
}

/** The whole module's text. */
export function kernelsWat(): string {
  const funcs = [...kernelFunctions().values()].map((text) => text());
  return `(module
  (import "env" "memory" (memory 1 65536))
  (import "math" "exp" (func $exp (param f64) (result f64)))
  (import "math" "log" (func $log (param f64) (result f64)))
${funcs.join('\n')}
)
`;
}

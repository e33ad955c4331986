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

import { batchNormFunctions } from './batchnorm-wat';

/** Lanes of a v128 of f32. */
export const LANES = 4;

/** Block shapes generated: channel-blocks of up to MAX_ROWS values × up to MAX_VECTORS vectors. */
export const MAX_ROWS = 6;
export const MAX_VECTORS = 2;

/**
 * The name of the filter-gradient function for a block of `rows` input values against `vectors`
 * vectors of output channels, the last of which holds `tail` valid lanes (0: all four).
 */
export function filterGradName(rows: number, vectors: number, tail: number): string {
  return `fgrad_r${rows}_v${vectors}_t${tail}`;
}

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

/**
 * out[r][v] += x[r] · dy[v] summed over the output positions p = (n, ho, wo) of nb images:
 *
 *   out[r][v] += Σ_p  x[p's input row + r]  ·  dy[p, 4v .. 4v+3]
 *
 * which is a block of Conv2DBackpropFilter's dW[i, (j, c) = q0 + r, o0 + 4v ..] for one tap row
 * i, when `x` points at that row's first (j, c) of position (0, 0, 0) plus q0: in NHWC the kw·cin
 * values (j, c) a position sees in one filter row are consecutive, so `rows` of them are too.
 *
 * Arguments (byte addresses and strides):
 *   x, dy, out    x of position (0, 0, 0) for this block; dy's first channel of this block; dW
 *   nb, oh, ow    batch and output size
 *   xImg, xRow, xCol   how far x moves per image, per output row (stride·W·cin), per output column
 *   dyCol         how far dy moves per position (cout·4)
 *   outRow        how far out moves per row r (the padded cout·4)
 * The sums stay in registers until the end. Every vector is stored whole: `out` is padded to
 * whole vectors.
 */
function filterGrad(rows: number, vectors: number, tail: number): string {
  const acc = (r: number, v: number): string => `$a${r}_${v}`;
  const locals: string[] = [];
  for (let r = 0; r < rows; r++) for (let v = 0; v < vectors; v++) locals.push(`(local ${acc(r, v)} v128)`);
  for (let v = 0; v < vectors; v++) locals.push(`(local $d${v} v128)`);

  const body: string[] = [];
  for (let v = 0; v < vectors; v++)
    body.push(`(local.set $d${v} ${loadVector('(local.get $dp)', v, vectors, tail)})`);
  for (let r = 0; r < rows; r++) {
    body.push(`(local.set $s (v128.load32_splat offset=${r * 4} (local.get $xp)))`);
    for (let v = 0; v < vectors; v++) {
      body.push(
        `(local.set ${acc(r, v)} (f32x4.add (local.get ${acc(r, v)}) (f32x4.mul (local.get $s) (local.get $d${v}))))`,
      );
    }
  }
  const stores: string[] = [];
  for (let r = 0; r < rows; r++) {
    stores.push(`(local.set $o (i32.add (local.get $out) (i32.mul (i32.const ${r}) (local.get $outRow))))`);
    for (let v = 0; v < vectors; v++) {
      stores.push(
        `(v128.store offset=${v * 16} (local.get $o) (f32x4.add (v128.load offset=${v * 16} (local.get $o)) (local.get ${acc(r, v)})))`,
      );
    }
  }

  const loops = countdown('$images', '$n', '(local.get $nb)', [
    '(local.set $xr (local.get $x))',
    countdown('$outRows', '$h', '(local.get $oh)', [
      '(local.set $xp (local.get $xr))',
      countdown('$positions', '$w', '(local.get $ow)', [
        ...body,
        '(local.set $xp (i32.add (local.get $xp) (local.get $xCol)))',
        '(local.set $dp (i32.add (local.get $dp) (local.get $dyCol)))',
      ]),
      '(local.set $xr (i32.add (local.get $xr) (local.get $xRow)))',
    ]),
    '(local.set $x (i32.add (local.get $x) (local.get $xImg)))',
  ]);
  const name = filterGradName(rows, vectors, tail);
  return `
  (func $${name} (export "${name}")
    (param $x i32) (param $dy i32) (param $out i32) (param $nb i32) (param $oh i32) (param $ow i32)
    (param $xImg i32) (param $xRow i32) (param $xCol i32) (param $dyCol i32) (param $outRow i32)
    (local $n i32) (local $h i32) (local $w i32) (local $xr i32) (local $xp i32) (local $dp i32)
    (local $o i32) (local $s v128)
    ${locals.join(' ')}
    (local.set $dp (local.get $dy))
    ${at(4, loops)}
    ${stores.join('\n    ')})`;
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
  for (let rows = 1; rows <= MAX_ROWS; rows++) {
    for (let vectors = 1; vectors <= MAX_VECTORS; vectors++) {
      for (let tail = 0; tail < LANES; tail++) {
        functions.set(filterGradName(rows, vectors, tail), () => filterGrad(rows, vectors, tail));
      }
    }
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
  for (let tail = 0; tail < LANES; tail++) functions.set(maxPoolGradName(tail), () => maxPoolGrad(tail));
  functions.set(NORMAL_MOVES, normalMoves);
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
  (import "env" "memory" (memory 1))
  (import "math" "exp" (func $exp (param f64) (result f64)))
  (import "math" "log" (func $log (param f64) (result f64)))
${funcs.join('\n')}
)
`;
}

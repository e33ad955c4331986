// The WebAssembly text of the depthwise convolution's kernels, forward and gradients (NHWC,
// channel multiplier 1), included in the module wat.ts builds. In a depthwise convolution each channel only ever meets
// itself, so the channels are the vector lanes: one v128 carries 4 channels through every tap.
//
// Both kernels take their taps as run-time byte offsets, a fixed number of them per function
// (`taps`, at most MAX_DEPTHWISE_TAPS), so one family serves every filter size up to 3×3 and
// every stride: the filter gradient and the forward pass all kh·kw taps of a 3×3 filter, the
// input gradient the taps of one output-parity class (stride 2: 1, 2 or 4 of a 3×3 filter's 9).
// Measured per MobileNetV2 layer (bench/profile-wasm.ts --depthwise --cpu-time, batch 64): the
// gradients 10–50× the JS loops they replaced, the forward 1.1–2.2× XNNPACK's. The last vector of
// a channel count that is not a multiple of 4 goes to a `tail` variant that loads and stores only
// that many lanes, so nothing outside a tensor is read or written.
//
// Neither keeps state between calls or allocates: a call reads and writes heap addresses only.

/** Lanes of a v128 of f32. */
const LANES = 4;

/** Taps per call: 9 accumulators (or 9 weight vectors) + 2 temporaries fit x64's 16 registers. */
export const MAX_DEPTHWISE_TAPS = 9;

/** The filter-gradient function for `taps` taps, its vectors all with `tail` lanes (0: 4). */
export function depthwiseFilterGradName(taps: number, tail: number): string {
  return `dw_fgrad_k${taps}_t${tail}`;
}

/** The gather (input gradient and forward) for `taps` taps, its vectors all with `tail` lanes (0: 4). */
export function depthwiseGatherName(taps: number, tail: number): string {
  return `dw_gather_k${taps}_t${tail}`;
}

/** A v128 load at `addr` (an i32 expression) of `tail` lanes (0: all four; the rest read as 0). */
function load(addr: string, tail: number): string {
  if (tail === 0) return `(v128.load ${addr})`;
  if (tail === 1) return `(v128.load32_zero ${addr})`;
  if (tail === 2) return `(v128.load64_zero ${addr})`;
  return `(v128.load32_lane offset=8 2 ${addr} (v128.load64_zero ${addr}))`;
}

/** A v128 store of `value` (a local: the tail of 3 uses it twice) at `addr`, `tail` lanes only. */
function store(addr: string, value: string, tail: number): string {
  if (tail === 0) return `(v128.store ${addr} ${value})`;
  if (tail === 1) return `(v128.store32_lane 0 ${addr} ${value})`;
  if (tail === 2) return `(v128.store64_lane 0 ${addr} ${value})`;
  return `(v128.store64_lane 0 ${addr} ${value}) (v128.store32_lane offset=8 2 ${addr} ${value})`;
}

/** `(loop …)` that runs `body` `count` times (≥ 1, an i32 local's name), counting it down. */
function repeat(label: string, counter: string, count: string, body: string[]): string[] {
  return [
    `(local.set ${counter} (local.get ${count}))`,
    `(loop ${label}`,
    ...body.map((line) => `  ${line}`),
    `  (br_if ${label} (local.tee ${counter} (i32.sub (local.get ${counter}) (i32.const 1)))))`,
  ];
}

const get = (name: string): string => `(local.get ${name})`;
const advance = (pointer: string, by: string): string =>
  `(local.set ${pointer} (i32.add (local.get ${pointer}) ${by}))`;
const tapParams = (prefix: string, taps: number): string =>
  Array.from({ length: taps }, (_, t) => `(param $${prefix}${t} i32)`).join(' ');

/**
 * DepthwiseConv2dNativeBackpropFilter for `vectors` consecutive vectors of channels:
 *
 *   out[t, c] += Σ_{n, ho, wo}  x[position (n, ho, wo) + off_t, c] · dy[n, ho, wo, c]
 *
 * Each tap's sum stays in a register over every position of the nb images; a vector's sums are
 * added to `out` at the end (so a caller can split the images into chunks). x is laid out so that
 * tap t of a position is `off_t` bytes from it: a copy of the input padded by the convolution's
 * padding, where off_t = (i·Wp + j)·C·4 for tap (i, j).
 *
 * Arguments (byte addresses and strides):
 *   x, dy, out    x of position (0, 0, 0) at the first channel; dy there; dW's tap 0 there
 *   vectors       how many vectors of 4 channels, 16 bytes apart, to do
 *   nb, oh, ow    images and output size
 *   xImg, xRow, xCol   how far x moves per image, per output row (sh·Wp·C·4), per column (sw·C·4)
 *   dyCol         how far dy moves per position (C·4; its positions are consecutive)
 *   outTap        how far out moves per tap (C·4)
 *   off0 …        each tap's byte offset in x from the position
 * Iterations of the vector loop write disjoint channels of out.
 */
function filterGrad(taps: number, tail: number): string {
  const acc = (t: number): string => `$a${t}`;
  const locals = Array.from({ length: taps }, (_, t) => `(local ${acc(t)} v128)`).join(' ');
  const zero = Array.from({ length: taps }, (_, t) => `(local.set ${acc(t)} (v128.const i32x4 0 0 0 0))`);
  const step = [
    `(local.set $d ${load(get('$dp'), tail)})`,
    ...Array.from(
      { length: taps },
      (_, t) =>
        `(local.set ${acc(t)} (f32x4.add ${get(acc(t))} (f32x4.mul ${load(`(i32.add ${get('$xp')} ${get(`$off${t}`)})`, tail)} ${get('$d')})))`,
    ),
    advance('$xp', get('$xCol')),
    advance('$dp', get('$dyCol')),
  ];
  const sums = Array.from({ length: taps }, (_, t) => {
    const addr =
      t === 0 ? get('$out') : `(i32.add ${get('$out')} (i32.mul (i32.const ${t}) ${get('$outTap')}))`;
    return `(local.set $s (f32x4.add ${load(addr, tail)} ${get(acc(t))})) ${store(addr, get('$s'), tail)}`;
  });
  const loops = repeat('$vectors', '$v', '$vectors', [
    ...zero,
    '(local.set $xi (local.get $x))',
    '(local.set $dp (local.get $dy))',
    ...repeat('$images', '$n', '$nb', [
      '(local.set $xr (local.get $xi))',
      ...repeat('$outRows', '$h', '$oh', [
        '(local.set $xp (local.get $xr))',
        ...repeat('$positions', '$w', '$ow', step),
        advance('$xr', get('$xRow')),
      ]),
      advance('$xi', get('$xImg')),
    ]),
    ...sums,
    advance('$x', '(i32.const 16)'),
    advance('$dy', '(i32.const 16)'),
    advance('$out', '(i32.const 16)'),
  ]);
  const name = depthwiseFilterGradName(taps, tail);
  return `
  (func $${name} (export "${name}")
    (param $x i32) (param $dy i32) (param $out i32) (param $vectors i32) (param $nb i32) (param $oh i32)
    (param $ow i32) (param $xImg i32) (param $xRow i32) (param $xCol i32) (param $dyCol i32) (param $outTap i32)
    ${tapParams('off', taps)}
    (local $v i32) (local $n i32) (local $h i32) (local $w i32) (local $xi i32) (local $xr i32)
    (local $xp i32) (local $dp i32) (local $d v128) (local $s v128)
    ${locals}
    ${loops.join('\n    ')})`;
}

/**
 * A tap gather, for `vectors` consecutive vectors of channels:
 *
 *   out[position p, c] = Σ_t  src[p's source position + off_t, c] · w[t, c]
 *
 * over a grid of output positions (rows × cols of nb images, any step between them), each
 * written once, with no read-modify-write; the taps' weight vectors stay in registers for the
 * whole grid. Two kernels are this one:
 *
 * - DepthwiseConv2dNative (the forward): src is x padded by the convolution's padding, the grid
 *   every output position (stepping sh rows and sw columns in x), the taps all kh·kw filter taps.
 * - DepthwiseConv2dNativeBackpropInput: out is dx and src a copy of dy bordered so that every
 *   tap reads inside it. At stride 1 the grid is every dx position and the taps the whole filter;
 *   at stride s the caller makes one call per output-parity class (dx rows ≡ r, columns ≡ q mod
 *   s), whose taps are the filter taps that land on a dy position from it, so no tap multiplies
 *   an inserted zero.
 *
 * Arguments (byte addresses and strides):
 *   src, w, out   src of the grid's first position at the first channel; the filter's first
 *                 channel; out of the grid's first position there
 *   vectors       how many vectors of 4 channels, 16 bytes apart, to do
 *   nb, rows, cols    images and the grid's size
 *   srcImg, srcRow, srcCol   how far src moves per image, per grid row, per grid column
 *   outImg, outRow, outCol   the same for out
 *   w0 …          each tap's byte offset in the filter ((i·kw + j)·C·4)
 *   off0 …        each tap's byte offset in src from the grid position's
 * Iterations of the vector loop, and of the image loop, write disjoint parts of out.
 */
function gather(taps: number, tail: number): string {
  const weight = (t: number): string => `$k${t}`;
  const locals = Array.from({ length: taps }, (_, t) => `(local ${weight(t)} v128)`).join(' ');
  const weights = Array.from(
    { length: taps },
    (_, t) => `(local.set ${weight(t)} ${load(`(i32.add ${get('$w')} ${get(`$w${t}`)})`, tail)})`,
  );
  let sum = '';
  for (let t = 0; t < taps; t++) {
    const term = `(f32x4.mul ${load(`(i32.add ${get('$sp')} ${get(`$off${t}`)})`, tail)} ${get(weight(t))})`;
    sum = t === 0 ? term : `(f32x4.add ${sum} ${term})`;
  }
  const step = [
    `(local.set $s ${sum})`,
    store(get('$op'), get('$s'), tail),
    advance('$sp', get('$srcCol')),
    advance('$op', get('$outCol')),
  ];
  const loops = repeat('$vectors', '$v', '$vectors', [
    ...weights,
    '(local.set $si (local.get $src))',
    '(local.set $oi (local.get $out))',
    ...repeat('$images', '$n', '$nb', [
      '(local.set $sr (local.get $si))',
      '(local.set $or (local.get $oi))',
      ...repeat('$gridRows', '$h', '$rows', [
        '(local.set $sp (local.get $sr))',
        '(local.set $op (local.get $or))',
        ...repeat('$gridCols', '$c', '$cols', step),
        advance('$sr', get('$srcRow')),
        advance('$or', get('$outRow')),
      ]),
      advance('$si', get('$srcImg')),
      advance('$oi', get('$outImg')),
    ]),
    advance('$src', '(i32.const 16)'),
    advance('$w', '(i32.const 16)'),
    advance('$out', '(i32.const 16)'),
  ]);
  const name = depthwiseGatherName(taps, tail);
  return `
  (func $${name} (export "${name}")
    (param $src i32) (param $w i32) (param $out i32) (param $vectors i32) (param $nb i32) (param $rows i32)
    (param $cols i32) (param $srcImg i32) (param $srcRow i32) (param $srcCol i32) (param $outImg i32)
    (param $outRow i32) (param $outCol i32)
    ${tapParams('w', taps)}
    ${tapParams('off', taps)}
    (local $v i32) (local $n i32) (local $h i32) (local $c i32) (local $si i32) (local $sr i32)
    (local $sp i32) (local $oi i32) (local $or i32) (local $op i32) (local $s v128)
    ${locals}
    ${loops.join('\n    ')})`;
}

/** The depthwise kernels, by exported name, for the module's function list in wat.ts. */
export function depthwiseKernelFunctions(): [string, () => string][] {
  const functions: [string, () => string][] = [];
  for (let taps = 1; taps <= MAX_DEPTHWISE_TAPS; taps++) {
    for (let tail = 0; tail < LANES; tail++) {
      functions.push([depthwiseFilterGradName(taps, tail), () => filterGrad(taps, tail)]);
      functions.push([depthwiseGatherName(taps, tail), () => gather(taps, tail)]);
    }
  }
  return functions;
}

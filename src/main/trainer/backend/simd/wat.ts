// The WebAssembly text of our SIMD kernels, generated. Each kernel is a register-blocked
// outer-product loop whose block sizes are fixed at generation time (a wasm function cannot
// index locals at run time), so one template yields a family of functions, one per block shape.
// `npm run build:simd` compiles this text with wabt into kernels.generated.ts; a test checks
// that the committed module is what this file generates.
//
// The module imports TensorFlow.js's own wasm memory, so kernels read and write tensors where
// they live on its heap: no copies in or out. It has no data segments and no memory of its own.

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

/** A v128 load of the vector `v` of `vectors` at `ptr`, only `tail` lanes of the last (0 = 4). */
function loadVector(ptr: string, v: number, vectors: number, tail: number): string {
  const offset = v * 16;
  const last = v === vectors - 1;
  if (!last || tail === 0) return `(v128.load offset=${offset} (local.get ${ptr}))`;
  if (tail === 1) return `(v128.load32_zero offset=${offset} (local.get ${ptr}))`;
  if (tail === 2) return `(v128.load64_zero offset=${offset} (local.get ${ptr}))`;
  return `(v128.load32_lane offset=${offset + 8} 2 (local.get ${ptr}) (v128.load64_zero offset=${offset} (local.get ${ptr})))`;
}

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
  for (let v = 0; v < vectors; v++) body.push(`(local.set $d${v} ${loadVector('$dp', v, vectors, tail)})`);
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

  const name = filterGradName(rows, vectors, tail);
  return `
  (func $${name} (export "${name}")
    (param $x i32) (param $dy i32) (param $out i32) (param $nb i32) (param $oh i32) (param $ow i32)
    (param $xImg i32) (param $xRow i32) (param $xCol i32) (param $dyCol i32) (param $outRow i32)
    (local $n i32) (local $h i32) (local $w i32) (local $xr i32) (local $xp i32) (local $dp i32)
    (local $o i32) (local $s v128)
    ${locals.join(' ')}
    (local.set $dp (local.get $dy))
    (local.set $n (local.get $nb))
    (loop $images
      (local.set $xr (local.get $x))
      (local.set $h (local.get $oh))
      (loop $outRows
        (local.set $xp (local.get $xr))
        (local.set $w (local.get $ow))
        (loop $positions
          ${body.join('\n          ')}
          (local.set $xp (i32.add (local.get $xp) (local.get $xCol)))
          (local.set $dp (i32.add (local.get $dp) (local.get $dyCol)))
          (br_if $positions (local.tee $w (i32.sub (local.get $w) (i32.const 1)))))
        (local.set $xr (i32.add (local.get $xr) (local.get $xRow)))
        (br_if $outRows (local.tee $h (i32.sub (local.get $h) (i32.const 1)))))
      (local.set $x (i32.add (local.get $x) (local.get $xImg)))
      (br_if $images (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
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
    (local.set $n (local.get $nb))
    (loop $images
      (local.set $xr (local.get $dx))
      (local.set $h (local.get $oh))
      (loop $outRows
        (local.set $xc (local.get $xr))
        (local.set $w (local.get $ow))
        (loop $positions
          (local.set $dp (local.get $xc))
          (local.set $wr (local.get $wt))
          (local.set $i (local.get $kh))
          (loop $tapRows
            ${zero.join('\n            ')}
            (local.set $wp (local.get $wr))
            (local.set $o (i32.const 0))
            (loop $channels
              (local.set $s (v128.load32_splat (i32.add (local.get $yp) (i32.shl (local.get $o) (i32.const 2)))))
              ${accumulate.join('\n              ')}
              (local.set $wp (i32.add (local.get $wp) (local.get $wtOut)))
              (br_if $channels (i32.lt_u (local.tee $o (i32.add (local.get $o) (i32.const 1))) (local.get $cout))))
            ${scatter.join('\n            ')}
            (local.set $dp (i32.add (local.get $dp) (local.get $dxTapRow)))
            (local.set $wr (i32.add (local.get $wr) (local.get $wtTapRow)))
            (br_if $tapRows (local.tee $i (i32.sub (local.get $i) (i32.const 1)))))
          (local.set $yp (i32.add (local.get $yp) (i32.shl (local.get $cout) (i32.const 2))))
          (local.set $xc (i32.add (local.get $xc) (local.get $dxCol)))
          (br_if $positions (local.tee $w (i32.sub (local.get $w) (i32.const 1)))))
        (local.set $xr (i32.add (local.get $xr) (local.get $dxRow)))
        (br_if $outRows (local.tee $h (i32.sub (local.get $h) (i32.const 1)))))
      (local.set $dx (i32.add (local.get $dx) (local.get $dxImg)))
      (br_if $images (local.tee $n (i32.sub (local.get $n) (i32.const 1))))))`;
}

/** The whole module's text. */
export function kernelsWat(): string {
  const funcs: string[] = [];
  for (let rows = 1; rows <= MAX_ROWS; rows++) {
    for (let vectors = 1; vectors <= MAX_VECTORS; vectors++) {
      for (let tail = 0; tail < LANES; tail++) funcs.push(filterGrad(rows, vectors, tail));
    }
  }
  for (let vectors = 1; vectors <= MAX_INPUT_VECTORS; vectors++) funcs.push(inputGrad(vectors));
  return `(module
  (import "env" "memory" (memory 1))
${funcs.join('\n')}
)
`;
}

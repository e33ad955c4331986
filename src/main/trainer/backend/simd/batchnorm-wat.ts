// The WebAssembly text of batch-norm's SIMD kernels (training mode), included in the module of
// wat.ts. Data is an [m, c] view of NHWC (channels last): a row is one position's c channels,
// consecutive, so the channels are the lanes: c = 4·vectors + tail, each row's whole vectors
// first, then its `tail` last channels one by one. Per-channel f32 parameters (mean, 1/σ, γ, …)
// are arrays of c4 = 4·⌈c/4⌉ values, `pstride` bytes apart in one block; per-channel sums are
// f64 (a batch of 64 at 32×32 sums 65,536 values per channel: f32 would lose ~16 bits of it).
//
// Every kernel runs over `rows` rows from the pointers it is given, so a driver may split the
// rows (each split writes its own rows of the output and adds into its own sums).
//
//   bn_sum            acc[ch] += Σ_rows x
//   bn_sumsq          acc[ch] += Σ_rows (x − mean)²
//   bn_apply_r?_a?    y = ((x − mean)·inv)·γ + β (+ residual) (then ReLU)
//   bn_grad_sums_r?_z?   dz = dy (·[out > 0] with ReLU, stored with z1); accB += dz, accG += dz·x̂
//   bn_grad_apply_r?  dx = (dz − (x̂·k2 + k1))·scale, x̂ = (x − mean)·inv, dz as above
//
// The f32 arithmetic is that of layers.batchNormTrain's tf ops, in their order (no fused
// multiply-add); only the sums differ (f64, in the drivers' row order), so wasm matches cpu
// within float tolerance.

/** Names of the functions below (the drivers in batchnorm.ts call them by these). */
export const BN_SUM = 'bn_sum';
export const BN_SUMSQ = 'bn_sumsq';
export function bnApplyName(relu: boolean, add: boolean): string {
  return `bn_apply_r${+relu}_a${+add}`;
}
export function bnGradSumsName(relu: boolean, storeDz: boolean): string {
  return `bn_grad_sums_r${+relu}_z${+storeDz}`;
}
export function bnGradApplyName(relu: boolean): string {
  return `bn_grad_apply_r${+relu}`;
}

/** f32 expressions for one vector (f32x4) or one scalar (f32) of channels. */
interface Lanes {
  /** Bytes a pointer moves per step: 16 or 4. */
  bytes: number;
  load(ptr: string): string;
  store(ptr: string, value: string): string;
  sub(a: string, b: string): string;
  mul(a: string, b: string): string;
  add(a: string, b: string): string;
  relu(a: string): string;
  /** a where gate > 0, else 0. */
  gate(a: string, gate: string): string;
  /** The f64 accumulators at `acc` (2 of f64x2, or 1 f64) plus the value. */
  accumulate(acc: string, value: string): string[];
  /** The local type a value of these lanes is held in. */
  type: string;
}

const get = (x: string): string => `(local.get ${x})`;

const VECTOR: Lanes = {
  bytes: 16,
  load: (p) => `(v128.load ${p})`,
  store: (p, v) => `(v128.store ${p} ${v})`,
  sub: (a, b) => `(f32x4.sub ${a} ${b})`,
  mul: (a, b) => `(f32x4.mul ${a} ${b})`,
  add: (a, b) => `(f32x4.add ${a} ${b})`,
  relu: (a) => `(f32x4.max ${a} (v128.const f32x4 0 0 0 0))`,
  gate: (a, g) => `(v128.and ${a} (f32x4.gt ${g} (v128.const f32x4 0 0 0 0)))`,
  accumulate: (acc, value) => [
    `(local.set $vt ${value})`,
    `(v128.store offset=0 ${acc} (f64x2.add (v128.load offset=0 ${acc}) (f64x2.promote_low_f32x4 (local.get $vt))))`,
    `(v128.store offset=16 ${acc} (f64x2.add (v128.load offset=16 ${acc}) ` +
      `(f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $vt) (local.get $vt)))))`,
  ],
  type: 'v128',
};

const SCALAR: Lanes = {
  bytes: 4,
  load: (p) => `(f32.load ${p})`,
  store: (p, v) => `(f32.store ${p} ${v})`,
  sub: (a, b) => `(f32.sub ${a} ${b})`,
  mul: (a, b) => `(f32.mul ${a} ${b})`,
  add: (a, b) => `(f32.add ${a} ${b})`,
  relu: (a) => `(f32.max ${a} (f32.const 0))`,
  gate: (a, g) => `(select ${a} (f32.const 0) (f32.gt ${g} (f32.const 0)))`,
  accumulate: (acc, value) => [`(f64.store ${acc} (f64.add (f64.load ${acc}) (f64.promote_f32 ${value})))`],
  type: 'f32',
};

/** The address of per-channel parameter array `k` (0, 1, …) at the current channel. */
const param = (k: number): string =>
  `(i32.add (local.get $params) (i32.add (local.get $q) (i32.mul (local.get $pstride) (i32.const ${k}))))`;
/** The address of the f64 accumulator at `base` for the current channel. */
const acc64 = (base: string): string =>
  `(i32.add (local.get ${base}) (i32.shl (local.get $q) (i32.const 1)))`;

/**
 * The loop over rows, and within a row over its whole vectors then its tail channels: `body`
 * gives a step's instructions for the lanes, `pointers` are the data pointers that move with the
 * channels (by 16 or 4 bytes a step, on across rows: rows are consecutive); $q is the channel's
 * byte offset into the per-channel arrays, from 0 each row.
 */
function rowLoop(body: (l: Lanes) => string[], pointers: string[]): string {
  const steps = (label: string, count: string, l: Lanes): string[] => [
    `(block ${label}Skip`,
    `  (br_if ${label}Skip (i32.eqz ${count}))`,
    `  (local.set $v ${count})`,
    `  (loop ${label}`,
    ...body(l).map((s) => `    ${s}`),
    ...pointers.map((p) => `    (local.set ${p} (i32.add (local.get ${p}) (i32.const ${l.bytes})))`),
    `    (local.set $q (i32.add (local.get $q) (i32.const ${l.bytes})))`,
    `    (br_if ${label} (local.tee $v (i32.sub (local.get $v) (i32.const 1))))))`,
  ];
  return [
    '(block $rowsSkip',
    '  (br_if $rowsSkip (i32.eqz (local.get $rows)))',
    '  (local.set $r (local.get $rows))',
    '  (loop $row',
    '    (local.set $q (i32.const 0))',
    ...steps('$vectors', '(local.get $vectors)', VECTOR).map((s) => `    ${s}`),
    ...steps('$tails', '(local.get $tail)', SCALAR).map((s) => `    ${s}`),
    '    (br_if $row (local.tee $r (i32.sub (local.get $r) (i32.const 1))))))',
  ].join('\n    ');
}

const LOCALS = '(local $r i32) (local $v i32) (local $q i32) (local $vt v128)';

function func(name: string, params: string[], body: string, locals = ''): string {
  return `
  (func $${name} (export "${name}")
    ${params.map((p) => `(param ${p} i32)`).join(' ')}
    ${LOCALS}${locals ? ` ${locals}` : ''}
    ${body})`;
}

function sum(): string {
  const body = (l: Lanes): string[] => l.accumulate(acc64('$acc'), l.load(get('$x')));
  return func(BN_SUM, ['$x', '$rows', '$vectors', '$tail', '$acc'], rowLoop(body, ['$x']));
}

function sumSquares(): string {
  const body = (l: Lanes): string[] => {
    const d = `$d${l.bytes}`;
    return [
      `(local.set ${d} ${l.sub(l.load(get('$x')), l.load(param(0)))})`,
      ...l.accumulate(acc64('$acc'), l.mul(get(d), get(d))),
    ];
  };
  return func(
    BN_SUMSQ,
    ['$x', '$params', '$pstride', '$rows', '$vectors', '$tail', '$acc'],
    rowLoop(body, ['$x']),
    '(local $d16 v128) (local $d4 f32)',
  );
}

/** x̂ = (x − mean)·inv, with mean and inv the parameter arrays 0 and 1. */
const xhat = (l: Lanes): string => l.mul(l.sub(l.load(get('$x')), l.load(param(0))), l.load(param(1)));

function apply(relu: boolean, add: boolean): string {
  const body = (l: Lanes): string[] => {
    let y = l.add(l.mul(xhat(l), l.load(param(2))), l.load(param(3)));
    if (add) y = l.add(y, l.load(get('$res')));
    if (relu) y = l.relu(y);
    return [l.store(get('$y'), y)];
  };
  return func(
    bnApplyName(relu, add),
    ['$x', '$res', '$y', '$params', '$pstride', '$rows', '$vectors', '$tail'],
    rowLoop(body, add ? ['$x', '$res', '$y'] : ['$x', '$y']),
  );
}

/** dz: dy, or with ReLU dy where the forward's output was > 0. */
const dz = (l: Lanes, relu: boolean): string =>
  relu ? l.gate(l.load(get('$dy')), l.load(get('$out'))) : l.load(get('$dy'));

function gradSums(relu: boolean, storeDz: boolean): string {
  const body = (l: Lanes): string[] => {
    const z = `$z${l.bytes}`;
    return [
      `(local.set ${z} ${dz(l, relu)})`,
      ...(storeDz ? [l.store(get('$dz'), get(z))] : []),
      ...l.accumulate(acc64('$accB'), get(z)),
      ...l.accumulate(acc64('$accG'), l.mul(get(z), xhat(l))),
    ];
  };
  const pointers = ['$dy', '$x', ...(relu ? ['$out'] : []), ...(storeDz ? ['$dz'] : [])];
  return func(
    bnGradSumsName(relu, storeDz),
    ['$dy', '$out', '$x', '$params', '$pstride', '$rows', '$vectors', '$tail', '$accB', '$accG', '$dz'],
    rowLoop(body, pointers),
    '(local $z16 v128) (local $z4 f32)',
  );
}

function gradApply(relu: boolean): string {
  // dx = (dz − (x̂·k2 + k1))·scale, with k2 = dγ/m, k1 = dβ/m, scale = γ·inv in arrays 2, 3, 4.
  const body = (l: Lanes): string[] => [
    l.store(
      get('$dx'),
      l.mul(l.sub(dz(l, relu), l.add(l.mul(xhat(l), l.load(param(2))), l.load(param(3)))), l.load(param(4))),
    ),
  ];
  return func(
    bnGradApplyName(relu),
    ['$dy', '$out', '$x', '$params', '$pstride', '$rows', '$vectors', '$tail', '$dx'],
    rowLoop(body, ['$dy', '$x', '$dx', ...(relu ? ['$out'] : [])]),
  );
}

/** The batch-norm functions of the module, by name (wat.ts adds them to its list). */
export function batchNormFunctions(): Map<string, () => string> {
  const functions = new Map<string, () => string>();
  functions.set(BN_SUM, sum);
  functions.set(BN_SUMSQ, sumSquares);
  for (const relu of [false, true]) {
    for (const add of [false, true]) functions.set(bnApplyName(relu, add), () => apply(relu, add));
    for (const storeDz of relu ? [false, true] : [false]) {
      functions.set(bnGradSumsName(relu, storeDz), () => gradSums(relu, storeDz));
    }
    functions.set(bnGradApplyName(relu), () => gradApply(relu));
  }
  return functions;
}

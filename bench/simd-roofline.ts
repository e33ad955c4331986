// The ceiling of what wasm SIMD can compute on this CPU, beside PyTorch's: how many GFLOP/s a
// register-resident loop of f32x4 multiply-adds reaches in V8 (no memory traffic at all, the best
// any of our kernels could do on one thread), and how many PyTorch reaches on a large matrix
// product (`--torch`, Debian's python3-torch, 1 thread). Their ratio bounds how close a wasm
// kernel can come to PyTorch's on compute-bound convolutions.
//
//   npx tsx bench/simd-roofline.ts [--seconds 2] [--torch]
import { execFileSync } from 'node:child_process';
import wabt from 'wabt';

const seconds = Number(process.argv[process.argv.indexOf('--seconds') + 1]) || 2;
const ACC = 12; // independent accumulators: more than the multiply and add latencies need

/** (func $run (param $n i32)): n iterations of ACC f32x4 multiply-adds on registers. */
function wat(fma: boolean): string {
  const locals = Array.from({ length: ACC }, (_, i) => `(local $a${i} v128)`).join(' ');
  const body = Array.from({ length: ACC }, (_, i) =>
    fma
      ? `(local.set $a${i} (f32x4.relaxed_madd (local.get $x) (local.get $y) (local.get $a${i})))`
      : `(local.set $a${i} (f32x4.add (local.get $a${i}) (f32x4.mul (local.get $x) (local.get $y))))`,
  ).join('\n');
  const sum = Array.from({ length: ACC }, (_, i) => `(local.get $a${i})`).reduce(
    (a, b) => `(f32x4.add ${a} ${b})`,
  );
  return `(module (func (export "run") (param $n i32) (result f32) (local $x v128) (local $y v128) ${locals}
    (local.set $x (f32x4.splat (f32.const 1.0000001)))
    (local.set $y (f32x4.splat (f32.const 0.9999999)))
    (loop $l ${body}
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (f32x4.extract_lane 0 ${sum})))`;
}

async function gflops(fma: boolean): Promise<number | null> {
  const toolkit = await wabt();
  const module = toolkit.parseWat('roofline.wat', wat(fma), { simd: true, relaxed_simd: fma } as never);
  let bytes: Uint8Array;
  try {
    bytes = module.toBinary({}).buffer;
  } finally {
    module.destroy();
  }
  const api = (
    globalThis as unknown as {
      WebAssembly: {
        Module: new (b: Uint8Array) => object;
        Instance: new (m: object, i: object) => { exports: { run(n: number): number } };
      };
    }
  ).WebAssembly;
  let run: (n: number) => number;
  try {
    run = new api.Instance(new api.Module(bytes), {}).exports.run;
  } catch {
    return null; // relaxed SIMD not enabled in this Node
  }
  const n = 1 << 22;
  run(n);
  let best = Infinity;
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end) {
    const t0 = process.cpuUsage();
    run(n);
    const cpu = process.cpuUsage(t0);
    best = Math.min(best, (cpu.user + cpu.system) / 1e6);
  }
  return (n * ACC * 4 * 2) / best / 1e9;
}

const plain = await gflops(false);
const fused = await gflops(true);
console.log(`wasm f32x4 mul+add, registers only: ${plain!.toFixed(1)} GFLOP/s (1 thread, best CPU time)`);
console.log(
  fused == null
    ? 'wasm relaxed-SIMD fma: not available (node --experimental-wasm-relaxed-simd)'
    : `wasm relaxed-SIMD f32x4 fma: ${fused.toFixed(1)} GFLOP/s`,
);
if (process.argv.includes('--torch')) {
  // A convolution (oneDNN in PyTorch's CPU build) and a matrix product (whatever BLAS it links).
  const script = `
import time, torch
torch.set_num_threads(1)
x = torch.randn(64, 64, 32, 32); w = torch.randn(64, 64, 3, 3)
a = torch.randn(1024, 1024); b = torch.randn(1024, 1024)
def best(f):
    for _ in range(2): f()
    t = 1e9; end = time.time() + ${seconds}
    while time.time() < end:
        t0 = time.process_time(); f(); t = min(t, time.process_time() - t0)
    return t
conv = 2 * 64 * 32 * 32 * 64 * 64 * 9 / best(lambda: torch.nn.functional.conv2d(x, w, padding=1)) / 1e9
mm = 2 * 1024 ** 3 / best(lambda: a @ b) / 1e9
print(f"{conv:.1f} {mm:.1f}")`;
  const [conv, mm] = execFileSync('/usr/bin/python3', ['-c', script], { encoding: 'utf8' })
    .trim()
    .split(' ')
    .map(Number);
  console.log(
    `PyTorch conv2d 3×3 64→64 on 64×32×32, 1 thread: ${conv!.toFixed(1)} GFLOP/s (${(conv! / plain!).toFixed(2)}× the wasm ceiling)`,
  );
  console.log(`PyTorch 1024×1024 matmul, 1 thread: ${mm!.toFixed(1)} GFLOP/s`);
}

// Where a training step and a forward pass of the real networks spend their time on a backend:
// kernel time by kernel name (tf.profile), and the wall time around it, whose remainder is
// JavaScript: op dispatch, gradient bookkeeping, tidy. Not part of the test suite.
//
//   npx tsx bench/profile-step.ts [--models lenet5,convnet] [--backend wasm] [--batch 64]
//                                 [--steps N] [--warmup N] [--detail] [--shapes]
//                                 [--native Sum,Add] [--input 32x32x3] [--threads N]
//
// --shapes sums the kernel time by kernel name and input shapes (which convolution layer costs
// what), largest first; the thesis's CIFAR networks: --input 32x32x3 --models vgg16,resnet18.
import * as tf from '@tensorflow/tfjs-core';
import { parseArgs } from 'node:util';
import type { ModelId } from '../src/shared/ids';
import { initBackend } from '../src/main/trainer/backend/select';
import { setKernelThreads } from '../src/main/trainer/backend/kernel-threads';
import { parseBenchThreads } from '../src/main/bench/threads';
import {
  forceConvMethods,
  forceDepthwiseForward,
  forceDepthwiseLoop,
  restoreWasmKernels,
  type DepthwiseForwardMethod,
  type ForwardMethod,
} from '../src/main/trainer/backend/wasm-kernels';
import { crossEntropy } from '../src/main/trainer/objective';
import { parseInput, syntheticBatch } from './synthetic-batch';

const { values } = parseArgs({
  options: {
    models: { type: 'string', default: 'mlp,lenet5,convnet' },
    backend: { type: 'string', default: 'wasm' },
    batch: { type: 'string', default: '64' },
    steps: { type: 'string', default: '20' },
    warmup: { type: 'string', default: '3' },
    detail: { type: 'boolean', default: false },
    shapes: { type: 'boolean', default: false },
    /** Step times only, no tf.profile pass afterwards. */
    'no-kernels': { type: 'boolean', default: false },
    input: { type: 'string', default: '28x28x1' },
    /** Only one of the two passes: train or forward. */
    only: { type: 'string', default: '' },
    /** A forward formulation for every convolution (simd or xnnpack), to compare with the rule. */
    'force-forward': { type: 'string', default: '' },
    /** The JS loop for every depthwise gradient instead of the SIMD kernels, to compare. */
    'depthwise-loop': { type: 'boolean', default: false },
    /** A forward formulation for every depthwise convolution (simd or xnnpack), to compare. */
    'depthwise-forward': { type: 'string', default: '' },
    /** Kernels to put back to wasm's own (see wasm-kernels.ts), to compare. */
    native: { type: 'string', default: '' },
    /**
     * Threads for the SIMD kernels (wasm). CPU time then sums every thread's: the wall median,
     * printed beside it, is what shows the speed-up.
     */
    threads: { type: 'string', default: '1' },
  },
});
const [threads = 1, ...more] = parseBenchThreads(values.threads!);
if (more.length > 0)
  throw new Error('--threads takes one count here (annealab bench --threads takes a list)');
const { backend } = await initBackend(values.backend as 'wasm');
if (backend === 'wasm') await setKernelThreads(threads);
else if (threads > 1)
  console.log(`--threads ${threads} ignored: the threads split the SIMD kernels of wasm only`);
if (values.native) restoreWasmKernels(values.native.split(','));
if (values['depthwise-loop']) forceDepthwiseLoop(true);
if (values['depthwise-forward']) forceDepthwiseForward(values['depthwise-forward'] as DepthwiseForwardMethod);
if (values['force-forward']) forceConvMethods({ forward: values['force-forward'] as ForwardMethod });
const batch = Number(values.batch);
const input = parseInput(values.input!);

for (const model of values.models!.split(',') as ModelId[]) {
  const { net, x, y, params } = syntheticBatch(model, input, batch, 'profile');
  const train = () =>
    tf.tidy(() => {
      const { value, grads } = tf.valueAndGrads((...ws: tf.Tensor[]) =>
        crossEntropy(net.apply(ws, x, true), y),
      )(params);
      params.forEach((w, i) => w.assign(tf.sub(w, tf.mul(grads[i]!, 0.01))));
      value.dataSync();
    });
  // Training mode, as the bench's forward (SSA's passes): batch-norm on the batch's statistics.
  const forward = () => tf.tidy(() => crossEntropy(net.apply(params, x, true), y).dataSync());
  for (const [label, f] of [
    ['train', train],
    ['forward', forward],
  ] as const) {
    if (values.only && values.only !== label) continue;
    for (let i = 0; i < Number(values.warmup); i++) f();
    const steps = Number(values.steps);
    // Per-step CPU time: its minimum is what the step costs when nothing else interferes (this
    // machine is shared), its median what it costs on a typical run.
    const times: number[] = [];
    const walls: number[] = [];
    for (let i = 0; i < steps; i++) {
      const c0 = process.cpuUsage();
      const w0 = performance.now();
      f();
      walls.push(performance.now() - w0);
      const c = process.cpuUsage(c0);
      times.push((c.user + c.system) / 1000);
    }
    walls.sort((a, b) => a - b);
    const wallMedian = walls[walls.length >> 1]!;
    // Wall time too: CPU time adds up every thread's, so only wall time shows what threads buy.
    console.log(
      `${model} ${label}: ${threads} thread${threads === 1 ? '' : 's'}, wall median ${wallMedian.toFixed(2)} ms/step, best ${walls[0]!.toFixed(2)} ms (${((batch / walls[0]!) * 1000).toFixed(1)} img/s)`,
    );
    times.sort((a, b) => a - b);
    const wall = times[times.length >> 1]!;
    const best = times[0]!;
    if (values['no-kernels']) {
      console.log(
        `${model} ${label}: median ${wall.toFixed(2)} ms/step (${((batch / wall) * 1000).toFixed(0)} img/s), ` +
          `best ${best.toFixed(2)} ms (${((batch / best) * 1000).toFixed(0)} img/s), CPU time`,
      );
      continue;
    }
    const reps = Math.max(1, Math.min(10, Math.round(200 / wall)));
    const info = await tf.profile(() => {
      for (let i = 0; i < reps; i++) f();
    });
    // Per step: the profiled steps' kernel times divided by their number.
    const perStep = info.kernels.length / reps;
    for (const k of info.kernels) if (typeof k.kernelTimeMs === 'number') k.kernelTimeMs /= reps;
    const byName = new Map<string, [number, number]>();
    for (const k of info.kernels) {
      const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
      const e = byName.get(k.name) ?? [0, 0];
      byName.set(k.name, [e[0] + ms, e[1] + 1]);
    }
    const kernelMs = [...byName.values()].reduce((a, b) => a + b[0], 0);
    console.log(
      `${model} ${label}: median ${wall.toFixed(2)} ms/step (${((batch / wall) * 1000).toFixed(0)} img/s), ` +
        `best ${best.toFixed(2)} ms (${((batch / best) * 1000).toFixed(0)} img/s), CPU time; ` +
        `kernels ${kernelMs.toFixed(2)} ms in ${perStep} calls`,
    );
    if (values.detail) {
      for (const k of info.kernels.slice(0, perStep)) {
        const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs * reps : 0;
        if (ms < 0.05) continue;
        const shapes = k.inputShapes.map((s) => `[${s.join(',')}]`).join(' ');
        console.log(
          `    ${k.name.padEnd(22)} ${ms.toFixed(2).padStart(7)} ms  ${shapes} -> [${k.outputShapes[0]?.join(',')}]`,
        );
      }
    }
    if (values.shapes) {
      const byShape = new Map<string, [number, number]>();
      for (const k of info.kernels) {
        const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
        const key = `${k.name} ${k.inputShapes.map((s) => `[${s.join(',')}]`).join(' ')}`;
        const e = byShape.get(key) ?? [0, 0];
        byShape.set(key, [e[0] + ms, e[1] + 1]);
      }
      for (const [key, [ms, n]] of [...byShape].sort((a, b) => b[1][0] - a[1][0]).slice(0, 30)) {
        const pct = ((100 * ms) / kernelMs).toFixed(1).padStart(5);
        console.log(`    ${ms.toFixed(2).padStart(9)} ms ${pct} %  ×${n / reps}  ${key}`);
      }
    }
    for (const [name, [ms, n]] of [...byName].sort((a, b) => b[1][0] - a[1][0]).slice(0, 12)) {
      const pct = ((100 * ms) / kernelMs).toFixed(1).padStart(5);
      console.log(`  ${name.padEnd(24)} ${ms.toFixed(2).padStart(9)} ms ${pct} %  ×${n / reps}`);
    }
  }
  tf.dispose([x, y, ...params]);
}

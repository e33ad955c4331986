// Throughput of one SGD training step (forward + backward + update) of LeNet-5 and the thesis's
// convnet, on wasm with this directory's kernels, on wasm with alternatives, and on cpu; then the
// kernels that take the time. It is how the choices in wasm-kernels.ts were made.
//
//   npx tsx bench/profile-wasm.ts [--steps N] [--batch N] [--rounds N] [--cpu]
//   npx tsx bench/profile-wasm.ts --grid [--kernel 3|5] [--stride 1|2]
//   npx tsx bench/profile-wasm.ts --grid --cifar [--cpu-time]
//   npx tsx bench/profile-wasm.ts --depthwise [--cpu-time]
//
// --depthwise times MobileNetV2's depthwise layers (32×32×3 input): the forward by the SIMD
// kernel and by XNNPACK, each gradient by the SIMD kernels and by the JS loop they replaced.
//
//   npx tsx bench/profile-wasm.ts --grid --cifar --filter-only [--only 2,8] [--shape 1,1,32,16,96] [--cpu-time]
//   npx tsx bench/profile-wasm.ts --grid --cifar [--cpu-time] [--only 1,7,8] [--columns 4]
//   npx tsx bench/profile-wasm.ts --grid --cifar --cpu-time --ab forward|input [--rounds 5]
//
// --cifar times the convolution layers of the thesis's CIFAR networks (VGG, ResNet, AlexNet,
// 32×32×3) instead of the grid; --cpu-time takes the best CPU time of this process instead of
// wall time (steadier on a shared, loaded machine).
//
// --filter-only times only the filter gradient's formulations, shape by shape, with GFLOP/s;
// --only picks rows of the shape list (1-based); --shape k,stride,size,cin,cout (repeatable)
// times these shapes instead (e.g. MobileNetV2's 1×1 layers).
//
// --grid times the two formulations of Conv2DBackpropFilter and of Conv2DBackpropInput over a grid
// of layer shapes instead, and shows which ones convMethods picks (the data behind its rule).
//
// Not part of the test suite; it exercises src/main/trainer/backend's internals, where
// `annealab bench` is the user-facing benchmark.

import * as tf from '@tensorflow/tfjs-core';
import {
  BatchMatMul,
  Conv2DBackpropFilter,
  Conv2DBackpropInput,
  DepthwiseConv2dNative,
  DepthwiseConv2dNativeBackpropFilter,
  DepthwiseConv2dNativeBackpropInput,
  FusedConv2D,
} from '@tensorflow/tfjs-core';
import { parseArgs } from 'node:util';
import { initBackend } from '../src/main/trainer/backend/select';
import {
  convMethods,
  forceConvMethods,
  forceDepthwiseForward,
  forceDepthwiseLoop,
  registerWasmKernels,
  restoreWasmKernels,
} from '../src/main/trainer/backend/wasm-kernels';
import type { ForwardMethod, InputGradMethod } from '../src/main/trainer/backend/wasm-kernels';
import { conv2DPackedSimd } from '../src/main/trainer/backend/simd/packed-conv';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

type Net = 'lenet5' | 'convnet';

interface Layer {
  kind: 'conv' | 'pool' | 'dense';
  w?: tf.Variable;
  b?: tf.Variable;
  pad?: 'same' | 'valid';
}

function build(net: Net): Layer[] {
  const conv = (k: number, cin: number, cout: number, pad: 'same' | 'valid'): Layer => ({
    kind: 'conv',
    pad,
    w: tf.variable(tf.randomNormal([k, k, cin, cout], 0, Math.sqrt(2 / (k * k * cin)), 'float32', 1)),
    b: tf.variable(tf.zeros([cout])),
  });
  const dense = (nin: number, nout: number): Layer => ({
    kind: 'dense',
    w: tf.variable(tf.randomNormal([nin, nout], 0, Math.sqrt(2 / nin), 'float32', 2)),
    b: tf.variable(tf.zeros([nout])),
  });
  const pool: Layer = { kind: 'pool' };
  return net === 'lenet5'
    ? [
        conv(5, 1, 6, 'same'),
        pool,
        conv(5, 6, 16, 'valid'),
        pool,
        dense(400, 120),
        dense(120, 84),
        dense(84, 10),
      ]
    : [conv(5, 1, 32, 'same'), pool, conv(5, 32, 64, 'same'), pool, dense(3136, 1000), dense(1000, 10)];
}

function forward(layers: Layer[], x: tf.Tensor4D): tf.Tensor2D {
  let h: tf.Tensor = x;
  const last = layers.length - 1;
  layers.forEach((l, i) => {
    if (l.kind === 'pool') {
      h = tf.maxPool(h as tf.Tensor4D, 2, 2, 'valid');
    } else if (l.kind === 'conv') {
      h = tf.relu(tf.add(tf.conv2d(h as tf.Tensor4D, l.w as tf.Variable<tf.Rank.R4>, 1, l.pad!), l.b!));
    } else {
      if (h.rank !== 2) h = tf.reshape(h, [h.shape[0]!, -1]);
      h = tf.add(tf.matMul(h as tf.Tensor2D, l.w as tf.Variable<tf.Rank.R2>), l.b!);
      if (i !== last) h = tf.relu(h);
    }
  });
  return h as tf.Tensor2D;
}

function step(layers: Layer[], x: tf.Tensor4D, y: tf.Tensor2D, lr: number): number {
  const vars = layers.flatMap((l) => (l.w ? [l.w, l.b!] : []));
  return tf.tidy(() => {
    const { value, grads } = tf.variableGrads(
      () => tf.losses.softmaxCrossEntropy(y, forward(layers, x)) as tf.Scalar,
      vars,
    );
    for (const v of vars) v.assign(tf.sub(v, tf.mul(grads[v.name]!, lr)));
    return value.dataSync()[0]!;
  });
}

function imagesPerSecond(net: Net, batch: number, steps: number): number {
  const layers = build(net);
  const x = tf.randomUniform([batch, 28, 28, 1], 0, 1, 'float32', 3) as tf.Tensor4D;
  const y = tf.oneHot(tf.randomUniform([batch], 0, 10, 'int32', 4) as tf.Tensor1D, 10) as tf.Tensor2D;
  step(layers, x, y, 0.01); // warm-up: XNNPACK operator creation, heap growth
  const tensors = tf.memory().numTensors;
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) step(layers, x, y, 0.01);
  const seconds = (performance.now() - t0) / 1000;
  if (tf.memory().numTensors !== tensors) console.warn(`  (${net}: tensors leaked during the steps)`);
  tf.dispose([x, y, ...layers.flatMap((l) => (l.w ? [l.w, l.b!] : []))]);
  return (steps * batch) / seconds;
}

async function topKernels(net: Net, batch: number): Promise<string> {
  const layers = build(net);
  const x = tf.randomUniform([batch, 28, 28, 1], 0, 1, 'float32', 3) as tf.Tensor4D;
  const y = tf.oneHot(tf.randomUniform([batch], 0, 10, 'int32', 4) as tf.Tensor1D, 10) as tf.Tensor2D;
  step(layers, x, y, 0.01);
  const info = await tf.profile(() => {
    step(layers, x, y, 0.01);
  });
  const byName = new Map<string, number>();
  for (const k of info.kernels) {
    const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
    byName.set(k.name, (byName.get(k.name) ?? 0) + ms);
  }
  tf.dispose([x, y, ...layers.flatMap((l) => (l.w ? [l.w, l.b!] : []))]);
  return [...byName]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 6)
    .map(([name, ms]) => `${name} ${ms.toFixed(1)}ms`)
    .join(', ');
}

let useCpuTime = false;

/** Milliseconds since an arbitrary start: this process's CPU time with --cpu-time, else wall. */
function nowMs(): number {
  if (!useCpuTime) return performance.now();
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** Best of `reps` times (ms) of f, after one untimed call. */
function bestMs(f: () => void, reps = 5): number {
  f();
  let best = Infinity;
  for (let i = 0; i < reps; i++) {
    const t0 = nowMs();
    f();
    best = Math.min(best, nowMs() - t0);
  }
  return best;
}

/** A convolution layer: kernel, stride, input size (square), in and out channels. */
type ConvShape = [k: number, stride: number, size: number, cin: number, cout: number];

/** The distinct convolution layers of VGG11/16, ResNet18/34 and reduced AlexNet on 32×32×3. */
const CIFAR_SHAPES: ConvShape[] = [
  [3, 1, 32, 3, 64],
  [3, 1, 32, 64, 64],
  [3, 1, 16, 64, 128],
  [3, 1, 16, 128, 128],
  [3, 1, 8, 128, 256],
  [3, 1, 8, 256, 256],
  [3, 1, 4, 256, 512],
  [3, 1, 4, 512, 512],
  [3, 1, 2, 512, 512],
  [3, 2, 32, 64, 128],
  [3, 2, 16, 128, 256],
  [3, 2, 8, 256, 512],
  [1, 2, 32, 64, 128],
  [1, 2, 16, 128, 256],
  [1, 2, 8, 256, 512],
  [11, 4, 32, 3, 64],
  [5, 1, 4, 64, 192],
  [3, 1, 2, 192, 384],
  [3, 1, 2, 384, 256],
  [3, 1, 2, 256, 256],
];

function gridShapes(kernels: number[], strides: number[]): ConvShape[] {
  const shapes: ConvShape[] = [];
  for (const k of kernels)
    for (const stride of strides)
      for (const size of [28, 14, 7])
        for (const cin of [1, 3, 8, 16, 32, 64])
          for (const cout of [6, 16, 32, 64]) shapes.push([k, stride, size, cin, cout]);
  return shapes;
}

/**
 * Times the two formulations of a convolution and of each of its gradients (see wasm-kernels.ts) over a grid of
 * layer shapes, and what convMethods picks.
 */
function convGradGrid(batch: number, shapes: ConvShape[], columns?: number): void {
  const totals = {
    forward: { chosen: 0, best: 0 },
    filter: { chosen: 0, best: 0 },
    input: { chosen: 0, best: 0 },
  };
  const time = (f: () => tf.Tensor): number => bestMs(() => tf.dispose(f()));
  for (const [k, stride, size, cin, cout] of shapes) {
    {
      {
        {
          {
            const x = tf.randomNormal([batch, size, size, cin]) as tf.Tensor4D;
            const filterShape: [number, number, number, number] = [k, k, cin, cout];
            const filter = tf.randomNormal(filterShape);
            const info = tf.backend_util.computeConv2DInfo(x.shape, filterShape, stride, 1, 'same');
            // ('same': the networks' output sizes; at stride > 1 its padding sits more on the far side.)
            const dy = tf.randomNormal(info.outShape);
            const attrs = { strides: stride, pad: 'same', dataFormat: 'NHWC' };
            const filterGrad = (): tf.Tensor =>
              tf.engine().runKernel(Conv2DBackpropFilter, { x, dy }, { ...attrs, filterShape }) as tf.Tensor;
            const inputGrad = (): tf.Tensor =>
              tf
                .engine()
                .runKernel(
                  Conv2DBackpropInput,
                  { dy, filter },
                  { ...attrs, inputShape: x.shape },
                ) as tf.Tensor;
            const forward = (): tf.Tensor =>
              tf
                .engine()
                .runKernel(
                  FusedConv2D,
                  { x, filter },
                  { ...attrs, dilations: 1, activation: 'relu' },
                ) as tf.Tensor;
            const ms = {
              forward: { simd: 0, packed: 0, xnnpack: 0 } as Record<string, number>,
              filter: { simd: 0, dilated: 0 } as Record<string, number>,
              input: { simd: 0, conv: 0, packed: 0 } as Record<string, number>,
            };
            if (columns != null) {
              // The packed kernel with another block width (same sums, so same results).
              const backend = tf.backend() as BackendWasm;
              ms.forward[`packed${columns}`] = time(() => {
                const y = conv2DPackedSimd(backend, x, filter, null, info, 'relu', columns);
                return tf.engine().makeTensorFromTensorInfo(y);
              });
            }
            for (const method of ['simd', 'packed', 'xnnpack'] as const) {
              forceConvMethods({ forward: method });
              ms.forward[method] = time(forward);
            }
            for (const method of ['simd', 'dilated'] as const) {
              forceConvMethods({ filter: method });
              ms.filter[method] = time(filterGrad);
            }
            for (const method of ['simd', 'conv', 'packed'] as const) {
              forceConvMethods({ input: method });
              ms.input[method] = time(inputGrad);
            }
            forceConvMethods({});
            const pick = convMethods(info);
            const cells: string[] = [];
            for (const kind of ['forward', 'filter', 'input'] as const) {
              const times = ms[kind];
              const fastest = Math.min(...Object.values(times));
              totals[kind].chosen += times[pick[kind]]!;
              totals[kind].best += fastest;
              const listed = Object.entries(times).map(([m, t]) => `${m} ${t.toFixed(2).padStart(7)}`);
              const slow = times[pick[kind]]! > 1.1 * fastest ? ' (>10 % slower)' : '';
              cells.push(`${kind}: ${listed.join(' ')} → ${pick[kind]}${slow}`);
            }
            const flop = 2 * batch * info.outHeight * info.outWidth * cout * k * k * cin;
            const gflops = (kind: 'forward' | 'input', m: string): string =>
              (flop / ms[kind][m]! / 1e6).toFixed(1);
            cells.push(
              `GFLOP/s fwd ${Object.keys(ms.forward)
                .map((m) => `${m} ${gflops('forward', m)}`)
                .join(' ')}, input packed ${gflops('input', 'packed')}`,
            );
            console.log(
              `k ${k} stride ${stride} ${String(size).padStart(2)}px ${String(cin).padStart(2)}→${String(cout).padEnd(2)}  ${cells.join('   ')}`,
            );
            tf.dispose([x, dy, filter]);
          }
        }
      }
    }
  }
  for (const kind of ['forward', 'filter', 'input'] as const) {
    const ratio = (totals[kind].chosen / totals[kind].best).toFixed(3);
    console.log(`${kind} gradient: total time with the rule / with the faster method each time: ${ratio}`);
  }
}

/** MobileNetV2's distinct depthwise layers on 32×32×3 (CIFAR strides): size, channels, stride; 3×3, pad 1. */
const MOBILENETV2_DEPTHWISE: [size: number, channels: number, stride: number][] = [
  [32, 32, 1],
  [32, 96, 1],
  [32, 144, 1],
  [32, 144, 2],
  [16, 192, 1],
  [16, 192, 2],
  [8, 384, 1],
  [8, 576, 1],
  [8, 576, 2],
  [4, 960, 1],
];

/** Times the depthwise forward (SIMD, XNNPACK) and both gradients (SIMD, the JS loop) per layer. */
function depthwiseLayers(batch: number): void {
  const pad = [
    [0, 0],
    [1, 1],
    [1, 1],
    [0, 0],
  ];
  const time = (f: () => tf.Tensor): number => bestMs(() => tf.dispose(f()));
  for (const [size, c, stride] of MOBILENETV2_DEPTHWISE) {
    const x = tf.randomNormal([batch, size, size, c]) as tf.Tensor4D;
    const filterShape: [number, number, number, number] = [3, 3, c, 1];
    const filter = tf.randomNormal(filterShape);
    const info = tf.backend_util.computeConv2DInfo(x.shape, filterShape, stride, 1, 1, undefined, true);
    const dy = tf.randomNormal(info.outShape);
    const attrs = { strides: stride, pad, dilations: 1 };
    const forward = (): tf.Tensor =>
      tf
        .engine()
        .runKernel(DepthwiseConv2dNative, { x, filter }, { ...attrs, dataFormat: 'NHWC' }) as tf.Tensor;
    const filterGrad = (): tf.Tensor =>
      tf
        .engine()
        .runKernel(DepthwiseConv2dNativeBackpropFilter, { x, dy }, { ...attrs, filterShape }) as tf.Tensor;
    const inputGrad = (): tf.Tensor =>
      tf
        .engine()
        .runKernel(
          DepthwiseConv2dNativeBackpropInput,
          { dy, filter },
          { ...attrs, inputShape: x.shape },
        ) as tf.Tensor;
    const ms = { forward: time(forward), filterSimd: time(filterGrad), inputSimd: time(inputGrad) };
    forceDepthwiseForward('xnnpack');
    const xnnpack = time(forward);
    forceDepthwiseForward(null);
    forceDepthwiseLoop(true);
    const loop = { filter: time(filterGrad), input: time(inputGrad) };
    forceDepthwiseLoop(false);
    const cell = (simd: number, js: number): string =>
      `simd ${simd.toFixed(2).padStart(7)} loop ${js.toFixed(2).padStart(8)} (${(js / simd).toFixed(1)}×)`;
    console.log(
      `3×3/${stride} ${String(size).padStart(2)}px ${String(c).padStart(3)} ch  forward: simd ${ms.forward.toFixed(2).padStart(6)} xnnpack ${xnnpack.toFixed(2).padStart(6)} (${(xnnpack / ms.forward).toFixed(1)}×)   filter: ${cell(ms.filterSimd, loop.filter)}   input: ${cell(ms.inputSimd, loop.input)}`,
    );
    tf.dispose([x, dy, filter]);
  }
}

/**
 * --ab: the formulations of one kind (forward or input gradient) on each shape, interleaved call
 * by call for `rounds` rounds, so that a changing load hits all alike; the median per formulation.
 */
function interleaved(batch: number, shapes: ConvShape[], kind: 'forward' | 'input', rounds: number): void {
  const methods =
    kind === 'forward' ? (['simd', 'packed', 'xnnpack'] as const) : (['simd', 'conv', 'packed'] as const);
  for (const [k, stride, size, cin, cout] of shapes) {
    const x = tf.randomNormal([batch, size, size, cin]) as tf.Tensor4D;
    const filterShape: [number, number, number, number] = [k, k, cin, cout];
    const filter = tf.randomNormal(filterShape);
    const info = tf.backend_util.computeConv2DInfo(x.shape, filterShape, stride, 1, 'same');
    const dy = tf.randomNormal(info.outShape);
    const attrs = { strides: stride, pad: 'same', dataFormat: 'NHWC' };
    const call = (): tf.Tensor =>
      kind === 'forward'
        ? (tf
            .engine()
            .runKernel(
              FusedConv2D,
              { x, filter },
              { ...attrs, dilations: 1, activation: 'relu' },
            ) as tf.Tensor)
        : (tf
            .engine()
            .runKernel(Conv2DBackpropInput, { dy, filter }, { ...attrs, inputShape: x.shape }) as tf.Tensor);
    const times = new Map<string, number[]>(methods.map((m) => [m, []]));
    for (let r = -1; r < rounds; r++) {
      for (const method of methods) {
        forceConvMethods(
          kind === 'forward' ? { forward: method as ForwardMethod } : { input: method as InputGradMethod },
        );
        const t0 = nowMs();
        tf.dispose(call());
        if (r >= 0) times.get(method)!.push(nowMs() - t0);
      }
    }
    forceConvMethods({});
    const flop = 2 * batch * info.outHeight * info.outWidth * cout * k * k * cin;
    const cells = methods.map((m) => {
      const sorted = times.get(m)!.sort((a, b) => a - b);
      const median = sorted[Math.floor(sorted.length / 2)]!;
      return `${m} ${median.toFixed(1).padStart(6)} ms ${(flop / median / 1e6).toFixed(1).padStart(5)} GFLOP/s`;
    });
    const pick = convMethods(info)[kind];
    console.log(
      `${kind} k ${k}/${stride} ${String(size).padStart(2)}px ${cin}→${cout}  ${cells.join('  ')}  → ${pick}`,
    );
    tf.dispose([x, dy, filter]);
  }
}

/** The filter gradient's formulations on each shape: CPU or wall ms and GFLOP/s. */
function filterGradOnly(batch: number, shapes: ConvShape[]): void {
  const time = (f: () => tf.Tensor): number => bestMs(() => tf.dispose(f()));
  for (const [k, stride, size, cin, cout] of shapes) {
    const x = tf.randomNormal([batch, size, size, cin]) as tf.Tensor4D;
    const filterShape: [number, number, number, number] = [k, k, cin, cout];
    const info = tf.backend_util.computeConv2DInfo(x.shape, filterShape, stride, 1, 'same');
    const dy = tf.randomNormal(info.outShape);
    const attrs = { strides: stride, pad: 'same', dataFormat: 'NHWC', filterShape };
    const run = (): tf.Tensor => tf.engine().runKernel(Conv2DBackpropFilter, { x, dy }, attrs) as tf.Tensor;
    const gflop = (2 * batch * info.outHeight * info.outWidth * k * k * cin * cout) / 1e9;
    const cells: string[] = [];
    for (const method of ['simd', 'dilated'] as const) {
      forceConvMethods({ filter: method });
      const ms = time(run);
      cells.push(
        `${method} ${ms.toFixed(1).padStart(6)} ms ${(gflop / (ms / 1000)).toFixed(1).padStart(5)} GF/s`,
      );
    }
    forceConvMethods({});
    console.log(
      `k ${k} s ${stride} ${String(size).padStart(2)}px ${String(cin).padStart(3)}→${String(cout).padEnd(3)} → ${convMethods(info).filter.padEnd(7)} ${cells.join(' | ')}`,
    );
    tf.dispose([x, dy]);
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      steps: { type: 'string', default: '10' },
      batch: { type: 'string', default: '64' },
      cpu: { type: 'boolean', default: false },
      rounds: { type: 'string', default: '3' },
      grid: { type: 'boolean', default: false },
      depthwise: { type: 'boolean', default: false },
      cifar: { type: 'boolean', default: false },
      'cpu-time': { type: 'boolean', default: false },
      kernel: { type: 'string', multiple: true },
      stride: { type: 'string', multiple: true },
      'filter-only': { type: 'boolean', default: false },
      only: { type: 'string' },
      shape: { type: 'string', multiple: true },
      columns: { type: 'string' },
      ab: { type: 'string' },
    },
  });
  const steps = Number(values.steps);
  const batch = Number(values.batch);
  if (values.depthwise) {
    await initBackend('wasm');
    useCpuTime = values['cpu-time'] ?? false;
    console.log(
      `MobileNetV2's depthwise layers, batch ${batch}, best ms a call (${useCpuTime ? 'CPU' : 'wall'})`,
    );
    depthwiseLayers(batch);
    return;
  }
  if (values.grid) {
    await initBackend('wasm');
    useCpuTime = values['cpu-time'] ?? false;
    const shapes = values.cifar
      ? CIFAR_SHAPES
      : gridShapes((values.kernel ?? ['3', '5']).map(Number), (values.stride ?? ['1', '2']).map(Number));
    // --only 1,8: just those rows of the shape list (1-based); --shape k,stride,size,cin,cout
    // (repeatable): these shapes instead.
    const picked = values.shape
      ? values.shape.map((text) => text.split(',').map(Number) as ConvShape)
      : values.only
        ? values.only.split(',').map((i) => shapes[Number(i) - 1]!)
        : shapes;
    if (values['filter-only']) {
      filterGradOnly(batch, picked);
      return;
    }
    if (values.ab === 'forward' || values.ab === 'input') {
      interleaved(batch, picked, values.ab, Number(values.rounds));
      return;
    }
    convGradGrid(batch, picked, values.columns == null ? undefined : Number(values.columns));
    return;
  }
  const nets: Net[] = ['lenet5', 'convnet'];
  const info = await initBackend('wasm');
  console.log(
    `${info.backend} on ${info.device}; batch ${batch}; best of ${values.rounds} rounds of ${steps} steps`,
  );
  const configs: [string, () => void][] = [
    ['wasm + all kernels here (conv grads chosen by shape)', () => {}],
    ['  filter grad always by dilated conv2d (DESIGN.md)', () => forceConvMethods({ filter: 'dilated' })],
    ['  input grad always by XNNPACK conv2d', () => forceConvMethods({ input: 'conv' })],
    ["  wasm's own BatchMatMul for transposed products", () => restoreWasmKernels([BatchMatMul])],
    [
      "  ... and wasm's own Conv2DBackpropInput",
      () => restoreWasmKernels([BatchMatMul, Conv2DBackpropInput]),
    ],
  ];
  const best = new Map<string, number[]>();
  for (let round = 0; round < Number(values.rounds); round++) {
    for (const [label, setup] of configs) {
      setup();
      const rates = nets.map((n) => imagesPerSecond(n, batch, steps));
      forceConvMethods({});
      registerWasmKernels();
      const prev = best.get(label);
      best.set(label, prev ? prev.map((r, i) => Math.max(r, rates[i]!)) : rates);
    }
  }
  for (const [label] of configs) {
    const cells = best.get(label)!.map((r, i) => `${nets[i]} ${r.toFixed(0).padStart(5)} img/s`);
    console.log(`${label.padEnd(56)} ${cells.join('   ')}`);
  }
  for (const net of nets) console.log(`${net} kernel time in one step: ${await topKernels(net, batch)}`);

  if (values.cpu) {
    await initBackend('cpu');
    const cells = nets.map((n) => `${n} ${imagesPerSecond(n, batch, 1).toFixed(0).padStart(5)} img/s`);
    console.log(`${'cpu backend (1 step)'.padEnd(56)} ${cells.join('   ')}`);
  }
}

await main();

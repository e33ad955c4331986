// Where a training step's memory goes on a backend: what the tape saved when the backward pass
// starts (buffers counted once, summed by the kernel that saved them), tfjs's tensor bytes then
// and at their peak during the step (tf.memory().numBytes, which counts a buffer once per tensor
// sharing it, so it overstates what is allocated), the kernel at which that peak came, the wasm
// heap's size (it never shrinks: its high-water mark, fragmentation included) and the process's
// RSS. Not part of the test suite.
//
//   npx tsx bench/memory-step.ts [--models resnet18] [--backend wasm] [--batch 64]
//                                [--input 32x32x3] [--steps 3]
import * as tf from '@tensorflow/tfjs-core';
import { parseArgs } from 'node:util';
import type { ModelId } from '../src/shared/ids';
import { initBackend } from '../src/main/trainer/backend/select';
import { crossEntropy } from '../src/main/trainer/objective';
import { parseInput, syntheticBatch } from './synthetic-batch';

const { values } = parseArgs({
  options: {
    models: { type: 'string', default: 'resnet18' },
    backend: { type: 'string', default: 'wasm' },
    batch: { type: 'string', default: '64' },
    input: { type: 'string', default: '32x32x3' },
    steps: { type: 'string', default: '3' },
    /** The kernels around the peak, with the live bytes after each. */
    trace: { type: 'boolean', default: false },
  },
});
await initBackend(values.backend as 'wasm');
const batch = Number(values.batch);
const input = parseInput(values.input!);
const MB = 1024 * 1024;
const mb = (bytes: number) => (bytes / MB).toFixed(1);

interface TapeNode {
  kernelName: string;
  saved?: tf.Tensor[];
  outputs: tf.Tensor[];
}
const engine = tf.engine() as unknown as {
  state: { activeTape: TapeNode[] | null };
  backend: { wasm?: { HEAPU8: Uint8Array } };
};
const heapBytes = () => engine.backend.wasm?.HEAPU8.length ?? 0;

/** Bytes the tape holds for the backward pass, by the kernel that saved them (each buffer once). */
function savedByKernel(): Map<string, [number, number]> {
  const seen = new Set<object>();
  const by = new Map<string, [number, number]>();
  for (const node of engine.state.activeTape ?? []) {
    for (const t of node.saved ?? []) {
      if (t.isDisposed || seen.has(t.dataId)) continue;
      seen.add(t.dataId);
      const e = by.get(node.kernelName) ?? [0, 0];
      by.set(node.kernelName, [e[0] + t.size * 4, e[1] + 1]);
    }
  }
  return by;
}

for (const model of values.models!.split(',') as ModelId[]) {
  const { net, x, y, params } = syntheticBatch(model, input, batch, 'memory');
  const paramBytes = params.reduce((n, p) => n + p.size * 4, 0);
  let atBackward = 0;
  let saved = new Map<string, [number, number]>();
  // The loss through an identity whose gradient runs first in the backward pass: the forward
  // pass's scope has ended by then, so what is live is what the tape keeps (and the weights).
  const markBackwardStart = tf.customGrad((...args) => ({
    value: tf.clone(args[0] as tf.Tensor),
    gradFunc: (dy: tf.Tensor) => {
      atBackward = tf.memory().numBytes;
      saved = savedByKernel();
      return tf.clone(dy);
    },
  }));
  const step = () =>
    tf.tidy(() => {
      const { value, grads } = tf.valueAndGrads(
        (...ws: tf.Tensor[]) => markBackwardStart(crossEntropy(net.apply(ws, x, true), y)) as tf.Scalar,
      )(params);
      params.forEach((w, i) => w.assign(tf.sub(w, tf.mul(grads[i]!, 0.01))));
      value.dataSync();
    });
  console.log(
    `${model}: parameters ${mb(paramBytes)} MB; before the first step: live ${mb(tf.memory().numBytes)} MB, heap ${mb(heapBytes())} MB`,
  );
  for (let s = 0; s < Number(values.steps); s++) {
    const before = tf.memory().numBytes;
    const info = await tf.profile(step);
    // The kernel after which the live bytes were at their highest.
    let peakAt = '';
    let peak = 0;
    for (const k of info.kernels) {
      if (k.totalBytesSnapshot > peak) {
        peak = k.totalBytesSnapshot;
        peakAt = k.name;
      }
    }
    if (values.trace) {
      const i = info.kernels.findIndex((k) => k.totalBytesSnapshot === peak);
      for (const k of info.kernels.slice(Math.max(0, i - 25), i + 5)) {
        console.log(
          `    ${k.name.padEnd(28)} ${mb(k.totalBytesSnapshot).padStart(8)} MB  +${mb(k.bytesAdded)}  [${k.outputShapes[0]?.join(',')}]`,
        );
      }
    }
    console.log(
      `  step ${s + 1}: tensor bytes before ${mb(before)} MB, at backward start ${mb(atBackward)} MB, ` +
        `peak ${mb(info.peakBytes)} MB (after ${peakAt}), heap ${mb(heapBytes())} MB, ` +
        `rss ${mb(process.memoryUsage().rss)} MB, max rss ${mb(process.resourceUsage().maxRSS * 1024)} MB`,
    );
  }
  const savedTotal = [...saved.values()].reduce((n, [b]) => n + b, 0);
  console.log(`  saved for the backward pass: ${mb(savedTotal)} MB`);
  for (const [name, [bytes, n]] of [...saved].sort((a, b) => b[1][0] - a[1][0])) {
    console.log(`    ${name.padEnd(24)} ${mb(bytes).padStart(8)} MB in ${n} tensors`);
  }
  tf.dispose([x, y, ...params]);
}

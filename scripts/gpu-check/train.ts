// The training part of scripts/gpu-check.sh, bundled with esbuild: one short run of each method
// through the real training loop (src/main/trainer/loop.ts) on the backend asked for, on seeded
// synthetic images whose class shows as a brighter row (so the loss can fall), printing each
// epoch's record as a JSON line and a summary line per method.
//
//   node train.mjs --backend webgpu --model lenet5 --input 28x28x1 --train 2048 --epochs 2 --batch 64
import * as tf from '@tensorflow/tfjs-core';
import { parseArgs } from 'node:util';
import { Rng } from '../../src/shared/rng';
import { validateSpec } from '../../src/shared/spec';
import type { BackendRequest, ModelId } from '../../src/shared/ids';
import { parseInputShape } from '../../src/main/bench/input-shape';
import { initBackend } from '../../src/main/trainer/backend/select';
import { uploadSplit, type DeviceSplit } from '../../src/main/trainer/data/batches';
import { trainRun, type PreparedData, type RunPlan } from '../../src/main/trainer/loop';
import type { InputShape } from '../../src/main/trainer/models';

const { values: o } = parseArgs({
  options: {
    backend: { type: 'string', default: 'webgpu' },
    model: { type: 'string', default: 'lenet5' },
    input: { type: 'string', default: '28x28x1' },
    train: { type: 'string', default: '2048' },
    test: { type: 'string', default: '512' },
    epochs: { type: 'string', default: '2' },
    batch: { type: 'string', default: '64' },
  },
});
const input = parseInputShape(o.input!);
const CLASSES = 10;

function synthetic(count: number, seed: number, shape: InputShape): DeviceSplit {
  const rng = Rng.fromSeed(seed, 'gpu-check');
  const { height, width, channels } = shape;
  const pixels = rng.fillNormal(new Float32Array(count * height * width * channels), 1);
  const labels = Uint8Array.from({ length: count }, (_, n) => n % CLASSES);
  for (let n = 0; n < count; n++) {
    const row = labels[n]! % height;
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < channels; c++) pixels[((n * height + row) * width + x) * channels + c]! += 1.5;
    }
  }
  return uploadSplit(pixels, labels, shape, CLASSES);
}

const info = await initBackend(o.backend as BackendRequest);
process.stdout.write(`backend ${info.backend} on ${info.device}: ${info.reason}\n`);
if (o.backend !== 'auto' && info.backend !== o.backend)
  throw new Error(`asked for ${o.backend}, got ${info.backend}`);
const methods = [
  { id: 'sgd', lr: 0.05 },
  { id: 'scheduled-sgd', lr: 0.05, milestones: [1], gamma: 0.1 },
  { id: 'restart', lr: 0.01, momentum: 0.9, restartEpsilon: 1e-4 },
  { id: 'ssa', epsilon: 0.01 },
  { id: 'sgd-sa', lrSet: 'H2' },
  { id: 'adam', lr: 0.001 },
];
const spec = validateSpec({
  name: 'gpu-check',
  dataset: { id: 'synthetic' },
  models: [o.model],
  methods,
  seeds: [1],
  epochs: Number(o.epochs),
  batchSize: Number(o.batch),
  estimateBatches: 2,
});
if (!spec.ok) throw new Error(JSON.stringify(spec.problems));
const data: PreparedData = {
  train: synthetic(Number(o.train), 1, input),
  test: synthetic(Number(o.test), 2, input),
  input,
  numClasses: CLASSES,
};
let failed = 0;
for (let m = 0; m < methods.length; m++) {
  const plan: RunPlan = {
    experimentId: 'gpu-check',
    runId: `m${m}`,
    spec: spec.spec,
    methodIndex: m,
    model: o.model as ModelId,
    seed: 1,
  };
  const tensors: number[] = [];
  const t0 = performance.now();
  try {
    const outcome = await trainRun(plan, data, {
      onEpoch: async (record, checkpoint) => {
        await checkpoint();
        tensors.push(tf.memory().numTensors);
        process.stdout.write(
          `${JSON.stringify({ ...record, backend: info.backend, device: info.device })}\n`,
        );
      },
    });
    tf.dispose(outcome.bestWeights ?? []);
    const seconds = (performance.now() - t0) / 1000;
    // The summary on stdout too, beside the JSON records: gpu-check.sh shows what is not JSON.
    process.stdout.write(
      `${methods[m]!.id} on ${info.backend}: ${outcome.epochs} epochs in ${seconds.toFixed(1)} s, best val accuracy ` +
        `${outcome.best?.accuracy.toFixed(3)}, tensors after each epoch ${tensors.join(', ')}\n`,
    );
  } catch (error) {
    failed++;
    process.stderr.write(`${methods[m]!.id} FAILED: ${(error as Error).stack}\n`);
  }
}
process.exit(failed > 0 ? 1 : 0);

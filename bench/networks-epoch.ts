// One epoch of SGD per network on CIFAR-shaped data: 1,000 random but fixed 32×32×3 images in
// minibatches of 64, through the same step the training loop runs (gather the minibatch, one
// forward + backward pass, the update, batch-norm's running statistics). Prints images/s.
//
//   npx tsx bench/networks-epoch.ts [--backend wasm|cpu] [--models alexnet,vgg16] [--images 1000]
//                                   [--batch 64] [--json]
//
// Each network runs in a process of its own, so that one network's wasm heap (which only grows,
// up to wasm's 4 GB) does not count against the next. One warm-up step (XNNPACK's operator setup,
// heap growth) runs before the timed epoch and is reported apart. Not part of the test suite.
import * as tf from '@tensorflow/tfjs-core';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { MODEL_IDS, type ModelId } from '../src/shared/ids';
import { Rng } from '../src/shared/rng';
import { methodSchema } from '../src/shared/spec';
import { initBackend } from '../src/main/trainer/backend/select';
import {
  disposeBatch,
  disposeSplit,
  epochBatches,
  gatherBatch,
  uploadSplit,
  type DeviceSplit,
} from '../src/main/trainer/data/batches';
import { createMethod, type MethodContext } from '../src/main/trainer/methods';
import {
  bindBuffers,
  buildNetwork,
  initialBuffers,
  initialValues,
  parameterCount,
} from '../src/main/trainer/models';

const { values: args } = parseArgs({
  options: {
    backend: { type: 'string', default: 'wasm' },
    models: { type: 'string', default: MODEL_IDS.join(',') },
    images: { type: 'string', default: '1000' },
    batch: { type: 'string', default: '64' },
    json: { type: 'boolean', default: false },
    /** Internal: measure the one model given and print its row as JSON. */
    worker: { type: 'boolean', default: false },
  },
});

const images = Number(args.images);
const batchSize = Number(args.batch);
const models = args.models!.split(',').map((m) => m.trim()) as ModelId[];
for (const m of models) {
  if (!(MODEL_IDS as readonly string[]).includes(m)) throw new Error(`unknown model ${m}`);
}

const input = { height: 32, width: 32, channels: 3 };

async function loadData() {
  const info = await initBackend(args.backend as 'wasm' | 'cpu');
  const rng = Rng.fromSeed(2024, 'bench-images');
  const pixels = rng.fillNormal(new Float32Array(images * 32 * 32 * 3), 1);
  const labels = Uint8Array.from({ length: images }, () => rng.int(10));
  return { info, split: uploadSplit(pixels, labels, input, 10) };
}

interface Row {
  model: ModelId;
  /** Why the epoch did not run (the wasm heap ran out, say); the numbers are then NaN. */
  error?: string;
  parameters: number;
  steps: number;
  warmupSeconds: number;
  epochSeconds: number;
  imagesPerSecond: number;
  msPerStep: number;
  rssMiB: number;
}

function measure(model: ModelId, split: DeviceSplit): Row {
  const net = buildNetwork(model, input, 10);
  const params = tf.tidy(() =>
    initialValues(net.params, Rng.fromSeed(1, 'init'), 'pytorch').map((v, i) =>
      tf.variable(tf.tensor(v, net.params[i]!.shape)),
    ),
  );
  const buffers = tf.tidy(() => initialBuffers(net).map((t) => tf.variable(t, false)));
  const streams = new Map<string, Rng>();
  const ctx: MethodContext = {
    net: bindBuffers(net, buffers),
    params,
    counters: { forward: 0, backward: 0, updates: 0 },
    rng: (name) => {
      if (!streams.has(name)) streams.set(name, Rng.fromSeed(1, name));
      return streams.get(name)!;
    },
    reinitialize: () => {},
    estimateTrain: () => ({ loss: NaN, accuracy: NaN, lossThesis: NaN }),
  };
  // Plain SGD at a small rate, so that no network diverges during the epoch.
  const method = createMethod(ctx, methodSchema.parse({ id: 'sgd', lr: 0.01 }));
  const step = (indices: Int32Array, s: number) => {
    const batch = gatherBatch(split, indices);
    try {
      method.step(batch, s);
    } finally {
      disposeBatch(batch);
    }
  };
  method.beginEpoch(1);
  const shuffle = Rng.fromSeed(1, 'shuffle');
  let t0 = performance.now();
  step(epochBatches(images, batchSize, shuffle, true)[0]!, 1);
  params[0]!.dataSync(); // wait for the device
  const warmupSeconds = (performance.now() - t0) / 1000;
  const batches = epochBatches(images, batchSize, shuffle, false);
  t0 = performance.now();
  batches.forEach((b, s) => step(b, s + 1));
  params[0]!.dataSync();
  const epochSeconds = (performance.now() - t0) / 1000;
  const row: Row = {
    model,
    parameters: parameterCount(net),
    steps: batches.length,
    warmupSeconds,
    epochSeconds,
    imagesPerSecond: images / epochSeconds,
    msPerStep: (epochSeconds * 1000) / batches.length,
    rssMiB: process.memoryUsage().rss / 2 ** 20,
  };
  method.dispose();
  tf.dispose([...params, ...buffers]);
  return row;
}

if (args.worker) {
  const loaded = await loadData();
  const row = measure(models[0]!, loaded.split);
  disposeSplit(loaded.split);
  process.stdout.write(`${JSON.stringify({ device: loaded.info.device, row })}\n`);
} else {
  const header = ['model', 'parameters', 'images/s', 'ms/step', 'epoch s', 'warm-up s', 'RSS MiB'];
  const rows: Row[] = [];
  let device = '';
  for (const model of models) {
    const passOn = ['--backend', args.backend!, '--images', String(images), '--batch', String(batchSize)];
    const child = spawnSync(
      process.execPath,
      [...process.execArgv, fileURLToPath(import.meta.url), '--worker', '--models', model, ...passOn],
      { encoding: 'utf8', maxBuffer: 1 << 24 },
    );
    const line = child.stdout.trim().split('\n').at(-1) ?? '';
    let row: Row;
    if (child.status === 0 && line.startsWith('{')) {
      const parsed = JSON.parse(line) as { device: string; row: Row };
      device = parsed.device;
      row = parsed.row;
    } else {
      const why = child.stderr.split('\n').find((l) => /Error|out of memory|out of bounds/.test(l)) ?? '';
      const error = /out of bounds|Aborted|out of memory/i.test(child.stderr)
        ? `ran out of wasm memory (4 GB) at batch ${batchSize}`
        : `failed: ${why.trim().slice(0, 200) || `exit ${child.status}`}`;
      const none = {
        steps: NaN,
        warmupSeconds: NaN,
        epochSeconds: NaN,
        imagesPerSecond: NaN,
        msPerStep: NaN,
        rssMiB: NaN,
      };
      row = { model, parameters: NaN, error, ...none };
    }
    rows.push(row);
    if (!args.json) {
      if (rows.length === 1) {
        console.log(`${args.backend}: ${device || '?'}; ${images} images 32×32×3, batch ${batchSize}, SGD`);
        console.log(header.join('\t'));
      }
      console.log(
        row.error
          ? `${row.model}\t${row.error}`
          : [
              row.model,
              row.parameters.toLocaleString('en-US'),
              row.imagesPerSecond.toFixed(1),
              row.msPerStep.toFixed(0),
              row.epochSeconds.toFixed(1),
              row.warmupSeconds.toFixed(1),
              row.rssMiB.toFixed(0),
            ].join('\t'),
      );
    }
  }
  if (args.json) console.log(JSON.stringify({ backend: args.backend, device, images, batchSize, rows }));
}

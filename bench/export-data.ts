// Writes the exact arrays an Annealab run trains and validates on, for tools outside the project
// (bench/sgd_parity.py, bench/thesis_crosscheck.py) to read with numpy alone. The data go through
// the trainer's own `prepareData` (load, stratified subset, normalisation, upload) and are read
// back from the tensors it made, so nothing here re-implements the dataset code. Not a test.
//
//   npx tsx bench/export-data.ts --out DIR [--data-dir D] [--dataset mnist] [--train-size 2000]
//        [--test-size 500] [--dataset-seed 0] [--seeds 1,2] [--model lenet5] [--batch-size 64]
//        [--epochs 10] [--drop-last]
//
// DIR/meta.json          what was exported and how (layout, normalisation, counts)
// DIR/train_x.npy        float32 [N, H, W, C], NHWC as Annealab holds it (for C = 1 the bytes are
// DIR/test_x.npy         the same as NCHW [N, 1, H, W]: reshape, no transpose)
// DIR/train_y.npy, test_y.npy   int32 [N] class indices
// With --seeds, per seed S (what a run with that seed starts from and draws; see trainRun):
// DIR/seed-S/init/<param>.npy   the initial weights of --model from the 'init' stream, in
//                               Annealab's layout (conv [kh, kw, cin, out], dense [in, out])
// DIR/seed-S/order.npy          int32 [epochs, N]: each epoch's shuffled order from the 'shuffle'
//                               stream; minibatch b is order[e, b*batch : (b+1)*batch]
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../src/shared/rng';
import type { ModelId } from '../src/shared/ids';
import { normalizationFor } from '../src/main/datasets';
import { initBackend } from '../src/main/trainer/backend/select';
import { epochBatches } from '../src/main/trainer/data/batches';
import { prepareData } from '../src/main/trainer/data/prepare';
import { buildNetwork, initialValues } from '../src/main/trainer/models';
import { resolveDataDir } from '../src/main/cli/data-dir';

const { values } = parseArgs({
  options: {
    out: { type: 'string' },
    'data-dir': { type: 'string' },
    dataset: { type: 'string', default: 'mnist' },
    'train-size': { type: 'string', default: '2000' },
    'test-size': { type: 'string', default: '500' },
    'dataset-seed': { type: 'string', default: '0' },
    seeds: { type: 'string', default: '' },
    model: { type: 'string', default: 'lenet5' },
    'batch-size': { type: 'string', default: '64' },
    epochs: { type: 'string', default: '10' },
    'drop-last': { type: 'boolean', default: false },
  },
});

function whole(name: string, text: string | undefined, min: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min)
    throw new Error(`--${name} must be a whole number >= ${min}, got "${text}"`);
  return n;
}

if (!values.out) throw new Error('--out DIR is required: the folder the arrays are written to');
const out = values.out;
// The CLI's rule (--data-dir, ANNEALAB_DATA_DIR, the app-data folder), so both read one cache.
const dataDir = resolveDataDir(values['data-dir']);
const dataset = {
  id: values.dataset!,
  trainSize: whole('train-size', values['train-size'], 1),
  testSize: whole('test-size', values['test-size'], 1),
  seed: whole('dataset-seed', values['dataset-seed'], 0),
};
const seeds = values.seeds ? values.seeds.split(',').map((s) => whole('seeds', s, 0)) : [];
const batchSize = whole('batch-size', values['batch-size'], 1);
const epochs = whole('epochs', values.epochs, 1);

/** A .npy file (format 1.0) by hand: magic, header length, a Python dict literal padded to 64 bytes. */
function npy(data: Float32Array | Int32Array, shape: readonly number[]): Buffer {
  const descr = data instanceof Float32Array ? '<f4' : '<i4';
  const dims = shape.length === 1 ? `${shape[0]},` : shape.join(', ');
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${dims}), }`;
  const unpadded = 10 + header.length + 1;
  header += ' '.repeat((64 - (unpadded % 64)) % 64) + '\n';
  const head = Buffer.alloc(10);
  head.write('\x93NUMPY', 0, 'latin1');
  head[6] = 1;
  head[7] = 0;
  head.writeUInt16LE(header.length, 8);
  return Buffer.concat([
    head,
    Buffer.from(header, 'latin1'),
    Buffer.from(data.buffer, data.byteOffset, data.byteLength),
  ]);
}

// The cpu backend: the arrays are the host's float32 either way, and it needs no wasm start-up.
await initBackend('cpu');
const { data, info } = await prepareData(dataDir, dataset, (m) => process.stderr.write(`${m}\n`));
for (const note of info.notes) process.stderr.write(`note: ${note}\n`);
await mkdir(out, { recursive: true });
const { height, width, channels } = data.input;
for (const [name, split] of [
  ['train', data.train],
  ['test', data.test],
] as const) {
  await writeFile(
    join(out, `${name}_x.npy`),
    npy(split.x.dataSync() as Float32Array, [split.count, height, width, channels]),
  );
  await writeFile(join(out, `${name}_y.npy`), npy(split.labels.dataSync() as Int32Array, [split.count]));
}

const net = buildNetwork(values.model as ModelId, data.input, data.numClasses);
for (const seed of seeds) {
  const dir = join(out, `seed-${seed}`);
  await mkdir(join(dir, 'init'), { recursive: true });
  // The same stream names and draw order as trainRun: 'init' for initialValues, 'shuffle' for
  // one epochBatches call per epoch. The spec's default init is 'pytorch'.
  const init = initialValues(net.params, Rng.fromSeed(seed, 'init'), 'pytorch');
  for (const [i, p] of net.params.entries())
    await writeFile(join(dir, 'init', `${p.name}.npy`), npy(init[i]!, p.shape));
  const shuffle = Rng.fromSeed(seed, 'shuffle');
  const order = new Int32Array(epochs * data.train.count);
  for (let e = 0; e < epochs; e++) {
    const batches = epochBatches(data.train.count, batchSize, shuffle, values['drop-last']!);
    let at = e * data.train.count;
    for (const b of batches) {
      order.set(b, at);
      at += b.length;
    }
  }
  await writeFile(join(dir, 'order.npy'), npy(order, [epochs, data.train.count]));
}

const meta = {
  dataset,
  dataDir,
  layout: 'NHWC',
  input: data.input,
  numClasses: data.numClasses,
  normalization: normalizationFor(dataset.id, channels),
  trainCount: data.train.count,
  testCount: data.test.count,
  notes: info.notes,
  model: values.model,
  params: net.params.map((p) => ({ name: p.name, shape: p.shape, kind: p.kind })),
  seeds,
  batchSize,
  epochs,
  dropLast: values['drop-last'],
};
await writeFile(join(out, 'meta.json'), JSON.stringify(meta, null, 2) + '\n');
tf.dispose([data.train.x, data.train.y, data.train.labels, data.test.x, data.test.y, data.test.labels]);
process.stderr.write(`wrote ${data.train.count} train and ${data.test.count} test examples to ${out}\n`);

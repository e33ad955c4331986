// Plain SGD on LeNet-5, Annealab (its CLI, wasm) against PyTorch (bench/sgd_parity.py) on the same
// exported data: same network, PyTorch's default initialisation on both sides, batch size,
// a shuffle per epoch, the short last batch kept, mean cross-entropy, validation over the test
// split after each epoch. Prints mean ± SD of the final and best validation accuracy and loss per
// side and Welch's t-test. Not a test: a tool for users who want to check us.
//
//   npx tsx bench/sgd-parity.ts [--seeds 1,2,3,4,5,6,7,8] [--epochs 10] [--batch 64] [--lr 0.1]
//        [--train-size 2000] [--test-size 500] [--work /tmp/annealab-sgd-parity] [--python PY]
//        [--identical 1,2] [--json]
//
// --identical SEEDS: for those seeds, also start both sides from Annealab's initial weights and
// feed both Annealab's batch order (export-data.ts --seeds), and print the minibatch losses at
// steps 1, 10 and 100 and the validation per epoch. The Annealab side of that is the trainer's
// own pieces in this process (buildNetwork, initialValues, epochBatches, SgdStepper on wasm); it
// is checked against the CLI run of the same seed, which must give the same validation figures.
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../src/shared/rng';
import { initBackend } from '../src/main/trainer/backend/select';
import { disposeBatch, epochBatches, gatherBatch } from '../src/main/trainer/data/batches';
import { prepareData } from '../src/main/trainer/data/prepare';
import { validate } from '../src/main/trainer/evaluate';
import { SgdStepper } from '../src/main/trainer/methods/sgd-step';
import type { MethodContext } from '../src/main/trainer/methods';
import { buildNetwork, initialValues } from '../src/main/trainer/models';
import { crossEntropy } from '../src/main/trainer/objective';
import {
  annealabRun,
  exportData,
  jsonLines,
  mnistWorkspace,
  REPO,
  torchPython,
  wholeAtLeast,
  type EpochEvent,
} from './run-tools';
import { mean, sampleStd as sd, welchTTest as welch } from '../src/shared/stats';

const { values } = parseArgs({
  options: {
    seeds: { type: 'string', default: '1,2,3,4,5,6,7,8' },
    epochs: { type: 'string', default: '10' },
    batch: { type: 'string', default: '64' },
    lr: { type: 'string', default: '0.1' },
    'train-size': { type: 'string', default: '2000' },
    'test-size': { type: 'string', default: '500' },
    work: { type: 'string', default: '/tmp/annealab-sgd-parity' },
    python: { type: 'string' },
    identical: { type: 'string', default: '' },
    json: { type: 'boolean', default: false },
  },
});
const seeds = values.seeds!.split(',').map(Number);
const identical = values.identical ? values.identical.split(',').map(Number) : [];
const epochs = Number(values.epochs);
const batch = Number(values.batch);
const lr = Number(values.lr);
wholeAtLeast('epochs', epochs, 1);
wholeAtLeast('batch', batch, 1);
for (const s of [...seeds, ...identical]) wholeAtLeast('seeds', s, 0);
if (!(lr > 0)) throw new Error(`--lr must be a number > 0, got ${values.lr}`);
if (seeds.length < 2) throw new Error(`--seeds: Welch's test needs at least 2 seeds, got ${seeds.length}`);
// --identical compares with the CLI run of the seed, so it must be one of --seeds.
for (const s of identical) {
  if (!seeds.includes(s)) throw new Error(`--identical ${s} is not among --seeds ${seeds.join(',')}`);
}
const { dataset, work, dataDir, exported } = mnistWorkspace(values);
const python = torchPython(values.python);
const TRACE_STEPS = [1, 10, 100];
const JITTER = 1e-7;

interface SideRun {
  seed: number;
  epochs: { epoch: number; loss: number; accuracy: number }[];
  trace?: Record<string, number>;
}

function summary(runs: readonly SideRun[]) {
  const final = runs.map((r) => r.epochs.at(-1)!);
  // Annealab's "best": the highest accuracy, ties to the lower loss (loop.ts).
  const best = runs.map((r) =>
    r.epochs.reduce((b, e) =>
      e.accuracy > b.accuracy || (e.accuracy === b.accuracy && e.loss < b.loss) ? e : b,
    ),
  );
  const minLoss = runs.map((r) => Math.min(...r.epochs.map((e) => e.loss)));
  return {
    finalAcc: final.map((e) => e.accuracy * 100),
    finalLoss: final.map((e) => e.loss),
    bestAcc: best.map((e) => e.accuracy * 100),
    minLoss,
  };
}

/** Annealab's SGD from its own initial weights and order, step by step, with the losses the steps see. */
async function annealabTrace(seed: number): Promise<SideRun> {
  const { data } = await prepareData(dataDir, dataset);
  const net = buildNetwork('lenet5', data.input, data.numClasses);
  const params = tf.tidy(() =>
    initialValues(net.params, Rng.fromSeed(seed, 'init'), 'pytorch').map((v, i) =>
      tf.variable(tf.tensor(v, net.params[i]!.shape), true),
    ),
  );
  const ctx = {
    net,
    params,
    counters: { forward: 0, backward: 0, updates: 0 },
    rng: (name: string) => Rng.fromSeed(seed, name),
  } as unknown as MethodContext; // SgdStepper reads only these (no restarts, no estimate)
  const stepper = new SgdStepper(ctx, { momentum: 0, nesterov: false, weightDecay: 0 });
  const shuffle = Rng.fromSeed(seed, 'shuffle');
  const trace: Record<string, number> = {};
  const out: SideRun['epochs'] = [];
  let step = 0;
  for (let e = 1; e <= epochs; e++) {
    for (const indices of epochBatches(data.train.count, batch, shuffle, false)) {
      const b = gatherBatch(data.train, indices);
      step++;
      if (TRACE_STEPS.includes(step)) {
        trace[step] = tf.tidy(() => crossEntropy(net.apply(params, b.x, true), b.y).dataSync()[0]!);
      }
      stepper.step(b, lr);
      disposeBatch(b);
    }
    const v = validate(net, params, data.test, batch);
    out.push({ epoch: e, loss: v.loss, accuracy: v.accuracy });
  }
  stepper.dispose();
  tf.dispose(params);
  return { seed, epochs: out, trace };
}

const fmt = (xs: readonly number[], digits: number) =>
  `${mean(xs).toFixed(digits)} ± ${sd(xs).toFixed(digits)}`;

await exportData(exported, dataDir, [
  '--train-size',
  String(dataset.trainSize),
  '--test-size',
  String(dataset.testSize),
  '--batch-size',
  String(batch),
  '--epochs',
  String(epochs),
  ...(identical.length ? ['--seeds', identical.join(',')] : []),
]);
const spec = {
  name: `sgd-parity-${Date.now()}`,
  dataset,
  models: ['lenet5'],
  methods: [{ id: 'sgd', lr, momentum: 0 }],
  seeds,
  epochs,
  batchSize: batch,
};
const events = await annealabRun(spec, work, dataDir);
const annealab: SideRun[] = seeds.map((seed) => ({
  seed,
  epochs: events
    .filter((e: EpochEvent) => e.seed === seed)
    .sort((a, b) => a.epoch - b.epoch)
    .map((e) => ({ epoch: e.epoch, loss: e.val.loss, accuracy: e.val.accuracy })),
}));
for (const r of annealab) {
  if (r.epochs.length !== epochs)
    throw new Error(`the CLI reported ${r.epochs.length} epochs for seed ${r.seed}, expected ${epochs}`);
}
const pyArgs = [
  join(REPO, 'bench/sgd_parity.py'),
  '--data',
  exported,
  '--epochs',
  String(epochs),
  '--batch',
  String(batch),
  '--lr',
  String(lr),
];
const pytorch = (await jsonLines(python, [...pyArgs, '--seeds', seeds.join(',')])) as SideRun[];

const a = summary(annealab);
const p = summary(pytorch);
const rows = (
  [
    ['final val accuracy %', 'finalAcc', 2],
    ['best val accuracy %', 'bestAcc', 2],
    ['final val loss', 'finalLoss', 4],
    ['min val loss', 'minLoss', 4],
  ] as const
).map(([name, key, digits]) => ({
  name,
  annealab: a[key],
  pytorch: p[key],
  digits,
  test: welch(a[key], p[key]),
}));

let identicalRuns: {
  seed: number;
  annealab: SideRun;
  pytorch: SideRun;
  jittered: SideRun;
  cli: SideRun | undefined;
}[] = [];
if (identical.length) {
  await initBackend('wasm');
  const identicalArgs = [
    ...pyArgs,
    '--seeds',
    identical.join(','),
    '--identical',
    '--trace-steps',
    TRACE_STEPS.join(','),
  ];
  const pyIdentical = (await jsonLines(python, identicalArgs)) as SideRun[];
  // The yardstick: PyTorch against itself from weights differing by float32 rounding (1e-7 relative).
  const pyJittered = (await jsonLines(python, [...identicalArgs, '--jitter', String(JITTER)])) as SideRun[];
  identicalRuns = [];
  for (const seed of identical) {
    identicalRuns.push({
      seed,
      annealab: await annealabTrace(seed),
      pytorch: pyIdentical.find((r) => r.seed === seed)!,
      jittered: pyJittered.find((r) => r.seed === seed)!,
      cli: annealab.find((r) => r.seed === seed),
    });
  }
}

if (values.json) {
  console.log(JSON.stringify({ spec, annealab, pytorch, rows, identical: identicalRuns }));
} else {
  console.log(
    `LeNet-5, MNIST ${dataset.trainSize}/${dataset.testSize}, SGD lr ${lr}, batch ${batch}, ${epochs} epochs, seeds ${seeds.join(',')}`,
  );
  console.log('| | Annealab (wasm) | PyTorch 1.13 | Welch t | df | p |');
  console.log('|---|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    console.log(
      `| ${r.name} | ${fmt(r.annealab, r.digits)} | ${fmt(r.pytorch, r.digits)} | ${r.test.statistic.toFixed(2)} | ${r.test.df.toFixed(1)} | ${r.test.pValue.toFixed(3)} |`,
    );
  }
  console.log('\nper seed, final val accuracy %: seed annealab pytorch');
  for (const [i, seed] of seeds.entries()) {
    console.log(`  ${seed} ${a.finalAcc[i]!.toFixed(1)} ${p.finalAcc[i]!.toFixed(1)}`);
  }
  for (const r of identicalRuns) {
    console.log(`\nidentical initial weights and batch order, seed ${r.seed}: minibatch loss before step`);
    console.log(
      `  (pytorch±: PyTorch from the same weights × (1 + ${JITTER}·U(−1, 1)), how far rounding alone carries)`,
    );
    for (const s of TRACE_STEPS) {
      const x = r.annealab.trace![s];
      const y = r.pytorch.trace![s];
      const z = r.jittered.trace![s];
      if (x === undefined || y === undefined || z === undefined) continue; // a run shorter than s steps
      const d = (u: number, v: number) => Math.abs(u - v).toExponential(2);
      console.log(
        `  step ${s}: annealab ${x.toFixed(6)}  pytorch ${y.toFixed(6)}  pytorch± ${z.toFixed(6)}` +
          `  |annealab − pytorch| ${d(x, y)}  |pytorch± − pytorch| ${d(z, y)}`,
      );
    }
    console.log('  epoch  val acc % and val loss: annealab in-process / annealab CLI / pytorch / pytorch±');
    for (const [i, e] of r.annealab.epochs.entries()) {
      const c = r.cli?.epochs[i];
      const t = r.pytorch.epochs[i]!;
      const j = r.jittered.epochs[i]!;
      const acc = [e, c, t, j].map((v) => (v ? (v.accuracy * 100).toFixed(1) : '-')).join(' / ');
      const loss = [e, c, t, j].map((v) => (v ? v.loss.toFixed(4) : '-')).join(' / ');
      console.log(`  ${e.epoch}  ${acc}   ${loss}`);
    }
  }
}

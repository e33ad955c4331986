// SSA and SGD-SA: the thesis's published code (a checkout of strmet/thesis, driven by
// bench/thesis_crosscheck.py without editing it) beside Annealab's CLI on the same exported data
// and seeds, Annealab on both loss scales. Prints, per method, a table of the moves summed over
// each run (better / accepted worse / rejected worse), the mean acceptance probability of the
// worsening moves, SSA's ε drops and the final and best validation accuracy. Not a test.
//
//   npx tsx bench/thesis-crosscheck.ts --thesis CHECKOUT [--seeds 1,2,3] [--epochs 10] [--batch 64]
//        [--train-size 2000] [--test-size 500] [--methods ssa,sgd-sa] [--work DIR] [--python PY]
//        [--per-epoch] [--json]
//
// A checkout: git clone https://github.com/strmet/thesis, or from a mirror
//   mkdir /tmp/thesis && git -C MIRROR archive HEAD | tar -x -C /tmp/thesis
// Settings (the thesis's experiments): SSA ε0 0.01, T0 1, α 0.97, bound 0.6; SGD-SA H2, T0 1, α 0.93.
// Their code and ours draw different random numbers, so runs agree in distribution, not per seed.
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
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

const { values } = parseArgs({
  options: {
    thesis: { type: 'string' },
    seeds: { type: 'string', default: '1,2,3' },
    epochs: { type: 'string', default: '10' },
    batch: { type: 'string', default: '64' },
    'train-size': { type: 'string', default: '2000' },
    'test-size': { type: 'string', default: '500' },
    methods: { type: 'string', default: 'ssa,sgd-sa' },
    work: { type: 'string', default: '/tmp/annealab-thesis-crosscheck' },
    python: { type: 'string' },
    'per-epoch': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
});
if (!values.thesis)
  throw new Error(
    '--thesis CHECKOUT is required: a checkout of strmet/thesis (its src/utils.py is imported)',
  );
const thesis = resolve(values.thesis);
const seeds = values.seeds!.split(',').map(Number);
const epochs = Number(values.epochs);
const batch = Number(values.batch);
const methods = values.methods!.split(',') as ('ssa' | 'sgd-sa')[];
wholeAtLeast('epochs', epochs, 1);
wholeAtLeast('batch', batch, 1);
for (const v of seeds) wholeAtLeast('seeds', v, 0);
for (const m of methods)
  if (m !== 'ssa' && m !== 'sgd-sa') throw new Error(`--methods: unknown "${m}"; use ssa and/or sgd-sa`);
const { dataset, work, dataDir, exported } = mnistWorkspace(values);

const SETTINGS = {
  ssa: { id: 'ssa', epsilon: 0.01, temperature: 1, cooling: 0.97, acceptedBound: 0.6 },
  'sgd-sa': { id: 'sgd-sa', lrSet: 'H2', temperature: 1, cooling: 0.93 },
} as const;

type Epoch = Pick<
  EpochEvent,
  'seed' | 'epoch' | 'val' | 'moves' | 'acceptance' | 'temperature' | 'epsilon' | 'epsilonDropped'
>;

await exportData(exported, dataDir, [
  '--train-size',
  String(dataset.trainSize),
  '--test-size',
  String(dataset.testSize),
]);

const impls: { method: string; impl: string; epochs: Epoch[] }[] = [];
for (const method of methods) {
  const s = SETTINGS[method];
  const args = [
    join(REPO, 'bench/thesis_crosscheck.py'),
    '--thesis',
    thesis,
    '--data',
    exported,
    '--method',
    method,
  ];
  args.push('--seeds', seeds.join(','), '--epochs', String(epochs), '--batch', String(batch));
  args.push('--temperature', String(s.temperature), '--cooling', String(s.cooling));
  if (s.id === 'ssa') args.push('--epsilon', String(s.epsilon), '--accepted-bound', String(s.acceptedBound));
  else args.push('--lr-set', s.lrSet);
  impls.push({
    method,
    impl: 'thesis code',
    epochs: (await jsonLines(torchPython(values.python), args)) as Epoch[],
  });
}
const scales = ['thesis', 'mean'] as const;
const spec = {
  name: `thesis-crosscheck-${Date.now()}`,
  dataset,
  models: ['lenet5'],
  methods: methods.flatMap((m) =>
    scales.map((lossScale) => ({ ...SETTINGS[m], lossScale, label: `${m} ${lossScale}` })),
  ),
  seeds,
  epochs,
  batchSize: batch,
};
const events = await annealabRun(spec, work, dataDir);
for (const m of methods) {
  for (const scale of scales) {
    impls.push({
      method: m,
      impl: `Annealab "${scale}"`,
      epochs: events.filter((e) => e.label === `${m} ${scale}`),
    });
  }
}

interface Row {
  seed: number | 'mean';
  better: number;
  acceptedWorse: number;
  rejectedWorse: number;
  meanP: number | null;
  drops: number;
  finalAcc: number;
  bestAcc: number;
}

function runRow(seed: number, es: Epoch[]): Row {
  es = es.filter((e) => e.seed === seed).sort((a, b) => a.epoch - b.epoch);
  if (es.length !== epochs) throw new Error(`seed ${seed}: ${es.length} epochs reported, expected ${epochs}`);
  const sum = (f: (e: Epoch) => number) => es.reduce((a, e) => a + f(e), 0);
  const count = sum((e) => e.acceptance?.count ?? 0);
  // The run's mean p over all its worsening moves: each epoch's mean weighted by its count.
  const pSum = sum((e) => (e.acceptance?.count ?? 0) * (e.acceptance?.mean ?? 0));
  return {
    seed,
    better: sum((e) => e.moves!.better),
    acceptedWorse: sum((e) => e.moves!.acceptedWorse),
    rejectedWorse: sum((e) => e.moves!.rejectedWorse),
    meanP: count > 0 ? pSum / count : null,
    drops: sum((e) => (e.epsilonDropped ? 1 : 0)),
    finalAcc: es.at(-1)!.val.accuracy * 100,
    bestAcc: Math.max(...es.map((e) => e.val.accuracy)) * 100,
  };
}

function meanRow(rows: Row[]): Row {
  const m = (f: (r: Row) => number) => rows.reduce((a, r) => a + f(r), 0) / rows.length;
  const ps = rows.filter((r) => r.meanP !== null);
  return {
    seed: 'mean',
    better: m((r) => r.better),
    acceptedWorse: m((r) => r.acceptedWorse),
    rejectedWorse: m((r) => r.rejectedWorse),
    meanP: ps.length ? ps.reduce((a, r) => a + r.meanP!, 0) / ps.length : null,
    drops: m((r) => r.drops),
    finalAcc: m((r) => r.finalAcc),
    bestAcc: m((r) => r.bestAcc),
  };
}

const tables = impls.map((i) => {
  const rows = seeds.map((s) => runRow(s, i.epochs));
  return { ...i, rows: [...rows, meanRow(rows)] };
});

if (values.json) {
  console.log(JSON.stringify({ spec, tables }));
} else {
  const n = (x: number, d = 0) => (Number.isInteger(x) ? String(x) : x.toFixed(d || 1));
  console.log(
    `LeNet-5, MNIST ${dataset.trainSize}/${dataset.testSize}, batch ${batch}, ${epochs} epochs, seeds ${seeds.join(',')}; moves summed over each run`,
  );
  for (const method of methods) {
    console.log(
      `\n${method === 'ssa' ? 'SSA (ε0 0.01, T0 1, α 0.97, bound 0.6)' : 'SGD-SA (H2, T0 1, α 0.93)'}`,
    );
    console.log(
      '| implementation | seed | better | accepted worse | rejected worse | mean p | ε drops | final acc % | best acc % |',
    );
    console.log('|---|---|---:|---:|---:|---:|---:|---:|---:|');
    for (const t of tables.filter((t) => t.method === method)) {
      for (const r of t.rows) {
        const drops = method === 'ssa' ? n(r.drops) : '–';
        console.log(
          `| ${t.impl} | ${r.seed} | ${n(r.better)} | ${n(r.acceptedWorse)} | ${n(r.rejectedWorse)} | ` +
            `${r.meanP === null ? '–' : r.meanP.toFixed(3)} | ${drops} | ${r.finalAcc.toFixed(1)} | ${r.bestAcc.toFixed(1)} |`,
        );
      }
    }
    if (values['per-epoch']) {
      for (const t of tables.filter((t) => t.method === method)) {
        console.log(`\n${t.impl}, per epoch (seed: better/accepted/rejected, mean p, ε, val acc %)`);
        for (const e of t.epochs.slice().sort((a, b) => a.seed - b.seed || a.epoch - b.epoch)) {
          const mv = e.moves!;
          console.log(
            `  s${e.seed} e${e.epoch}: ${mv.better}/${mv.acceptedWorse}/${mv.rejectedWorse}  p ${e.acceptance?.mean?.toFixed(3) ?? '–'}` +
              `  T ${e.temperature?.toPrecision(3)}${e.epsilon !== null ? `  ε ${e.epsilon}${e.epsilonDropped ? ' (dropped)' : ''}` : ''}` +
              `  ${(e.val.accuracy * 100).toFixed(1)}`,
          );
        }
      }
    }
  }
}

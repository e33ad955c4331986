// Two runs in parallel trainer processes against the same two one after the other, as a
// ratio of total wall time (the queue's default is one run per core on wasm/cpu).
//
//   npx tsx bench/parallel-runs.ts [--model lenet5] [--train 2000] [--epochs 3]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'lenet5' },
    train: { type: 'string', default: '2000' },
    epochs: { type: 'string', default: '3' },
  },
});
const bin = fileURLToPath(new URL('../bin/annealab.mjs', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'annealab-bench-'));
const spec = join(dir, 'spec.json');
writeFileSync(
  spec,
  JSON.stringify({
    name: 'parallel-bench',
    dataset: { id: 'mnist', trainSize: Number(values.train), testSize: 500 },
    models: [values.model],
    methods: [{ id: 'sgd', lr: 0.1 }],
    seeds: [1, 2],
    epochs: Number(values.epochs),
    batchSize: 64,
  }),
);

function wallSeconds(concurrency: number): number {
  const t0 = performance.now();
  const r = spawnSync(
    process.execPath,
    [
      bin,
      'run',
      spec,
      '--json',
      '--concurrency',
      String(concurrency),
      '--data-dir',
      join(dir, `data-${concurrency}`),
    ],
    {
      encoding: 'utf8',
    },
  );
  if (r.status !== 0) throw new Error(r.stderr);
  return (performance.now() - t0) / 1000;
}

// Warm the dataset cache first so neither timing pays for the conversion.
spawnSync(process.execPath, [bin, 'datasets', 'list', '--data-dir', join(dir, 'data-1')]);
const sequential = wallSeconds(1);
const parallel = wallSeconds(2);
console.log(
  JSON.stringify({
    type: 'bench-parallel',
    model: values.model,
    trainSize: Number(values.train),
    epochs: Number(values.epochs),
    runs: 2,
    sequentialSeconds: +sequential.toFixed(2),
    parallelSeconds: +parallel.toFixed(2),
    speedup: +(sequential / parallel).toFixed(2),
  }),
);
rmSync(dir, { recursive: true, force: true });

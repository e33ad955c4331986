// The bench part of scripts/gpu-check.sh, bundled with esbuild: what `annealab bench` does (one
// worker process per network and backend, PyTorch's numbers beside them), run from the packed
// bundles on a machine with no checkout and no network. The workers are the real bench worker
// (src/main/bench/worker.ts), bundled beside this file as bench-worker.mjs.
//
//   node bench.mjs --models lenet5,convnet --backends webgpu,wasm --input 28x28x1 --batch 64 \
//     [--python python3] [--pytorch-script FILE] [--repeats 3] [--min-seconds 0.5] [--no-methods]
import { execFile, spawn } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { parseInputShape } from '../../src/main/bench/input-shape';
import { benchTable, type BenchLine } from '../../src/main/bench/table';
import type { BenchJob } from '../../src/main/bench/worker';

const here = dirname(fileURLToPath(import.meta.url));
const { values: o } = parseArgs({
  options: {
    models: { type: 'string', default: 'lenet5,convnet' },
    backends: { type: 'string', default: 'webgpu,wasm' },
    input: { type: 'string', default: '28x28x1' },
    batch: { type: 'string', default: '64' },
    repeats: { type: 'string', default: '3' },
    'min-seconds': { type: 'string', default: '0.5' },
    'no-methods': { type: 'boolean', default: false },
    python: { type: 'string' },
    'pytorch-script': { type: 'string' },
    jsonl: { type: 'string' },
  },
});
const input = parseInputShape(o.input!);
const list = (s: string) =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);

function worker(job: BenchJob): Promise<BenchLine> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(here, 'bench-worker.mjs'), JSON.stringify(job)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => {
      err += d;
      process.stderr.write(d);
    });
    child.on('close', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (code === 0 && line) resolve(JSON.parse(line) as BenchLine);
      else reject(new Error(`${job.model} on ${job.backend}: ${err.trim().split('\n').slice(-2).join(' ')}`));
    });
  });
}

async function pytorch(model: string, batch: number): Promise<BenchLine> {
  const { stdout } = await promisify(execFile)(
    o.python!,
    [
      o['pytorch-script']!,
      ...['--models', model, '--batch', String(batch), '--input', o.input!, '--device', 'auto'],
      ...['--repeats', o.repeats!, '--min-seconds', o['min-seconds']!],
    ],
    { maxBuffer: 1 << 24 },
  );
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as BenchLine;
}

const lines: BenchLine[] = [];
const record = (line: BenchLine) => {
  lines.push(line);
  if (o.jsonl) appendFileSync(o.jsonl, `${JSON.stringify(line)}\n`);
  process.stderr.write(
    `  ${line.model} ${line.backend} (${line.device}): train ${line.trainImagesPerSec.toFixed(1)} img/s, forward ${line.forwardImagesPerSec.toFixed(1)} img/s\n`,
  );
};
for (const batch of list(o.batch!).map(Number)) {
  for (const model of list(o.models!)) {
    for (const backend of list(o.backends!) as BenchJob['backend'][]) {
      process.stderr.write(`measuring ${model} on ${backend}, batch ${batch}, ${o.input}…\n`);
      try {
        record(
          await worker({
            model: model as BenchJob['model'],
            backend,
            batchSize: batch,
            input,
            repeats: Number(o.repeats),
            minSeconds: Number(o['min-seconds']),
            methods: !o['no-methods'],
          }),
        );
      } catch (error) {
        // One failed measurement is a finding, not the end of the check.
        process.stderr.write(`FAILED: ${(error as Error).message}\n`);
      }
    }
    if (o.python && o['pytorch-script']) {
      try {
        record(await pytorch(model, batch));
      } catch (error) {
        process.stderr.write(
          `PyTorch FAILED for ${model}: ${(error as Error).message.split('\n').slice(-3).join(' ')}\n`,
        );
      }
    }
  }
}
// One table per batch size: benchTable pairs each row with PyTorch's of the same model.
for (const batch of list(o.batch!).map(Number)) {
  process.stdout.write(
    `\nbatch ${batch}, input ${o.input}\n${benchTable(lines.filter((l) => l.batchSize === batch))}\n`,
  );
}

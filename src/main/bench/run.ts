// `annealab bench`: training and forward throughput, peak memory and per-method minibatch
// rates for each network and backend, each measured in its own process; PyTorch's numbers
// for the same networks side by side when a python3 with torch is found.
import { execFile, spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { appRoot, nodeBuildFile } from '../services/app-root';
import { MODEL_IDS } from '../../shared/ids';
import type { InputShape } from '../trainer/models';
import type { BenchLine } from './table';
import type { BenchJob } from './worker';
import { processesAtOnce } from './threads';

export { benchTable, type BenchLine } from './table';
export { parseInputShape } from './input-shape';
export { parseBenchThreads } from './threads';

/** The networks bench/pytorch_reference.py defines, for 28×28×1 inputs. */
const PYTORCH_MODELS = new Set(['mlp', 'lenet5', 'convnet']);
/** …and every other network of the registry, for 3-channel inputs of any size (the thesis's CIFAR networks). */
const PYTORCH_RGB_MODELS = new Set<string>(MODEL_IDS.filter((id) => !PYTORCH_MODELS.has(id)));

/** The bench's input when none is given: MNIST's, which mlp, lenet5 and convnet were built for. */
export const DEFAULT_BENCH_INPUT: InputShape = { height: 28, width: 28, channels: 1 };

const inputText = (s: InputShape) => `${s.height}x${s.width}x${s.channels}`;

/** Whether bench/pytorch_reference.py has `model` for inputs of this shape. */
function hasPytorchReference(model: string, input: InputShape): boolean {
  if (input.channels === 3 && PYTORCH_RGB_MODELS.has(model)) return true;
  return PYTORCH_MODELS.has(model) && inputText(input) === inputText(DEFAULT_BENCH_INPUT);
}

export interface BenchOptions {
  models: string[];
  backends: BenchJob['backend'][];
  /** Image shape (default DEFAULT_BENCH_INPUT); the batch is random pixels of this shape. */
  input?: InputShape;
  batchSize: number;
  repeats: number;
  minSeconds: number;
  methods: boolean;
  /** Thread counts for the wasm rows, one row each (default [1]); other backends are measured once. */
  threads?: number[];
  /** Also measure one process per core at once, for the aggregate throughput. */
  parallel: boolean;
  pytorch: boolean;
  /** Where PyTorch runs: its GPU when torch.cuda.is_available() (auto), or as asked. */
  pytorchDevice?: 'auto' | 'cpu' | 'cuda';
}

function runWorker(job: BenchJob): Promise<BenchLine> {
  return new Promise((resolve, reject) => {
    // Built and started as trainers are (plain node, out/node/), so that its memory is a trainer's.
    let worker: string;
    try {
      worker = nodeBuildFile('bench-worker.mjs');
    } catch (err) {
      return reject(err as Error);
    }
    const child = spawn(process.execPath, [worker, JSON.stringify(job)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (code === 0 && line) resolve(JSON.parse(line) as BenchLine);
      else
        reject(
          new Error(
            `bench of ${job.model} on ${job.backend} failed: ${err.trim().split('\n').slice(-2).join(' ')}`,
          ),
        );
    });
  });
}

/** A python3 that can import torch: the one on PATH, else Debian's. */
export async function findTorchPython(): Promise<string | null> {
  for (const py of ['python3', '/usr/bin/python3']) {
    try {
      await promisify(execFile)(py, ['-c', 'import torch']);
      return py;
    } catch {
      // try the next
    }
  }
  return null;
}

async function runPytorch(python: string, model: string, o: BenchOptions): Promise<BenchLine> {
  const { stdout } = await promisify(execFile)(python, [
    join(appRoot(), 'bench', 'pytorch_reference.py'),
    '--models',
    model,
    '--batch',
    String(o.batchSize),
    '--input',
    inputText(o.input ?? DEFAULT_BENCH_INPUT),
    '--device',
    o.pytorchDevice ?? 'auto',
    '--repeats',
    String(o.repeats),
    '--min-seconds',
    String(o.minSeconds),
  ]);
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as BenchLine;
}

/** Processes measured at once as one row: their throughputs add up, memory is the largest one's. */
function aggregate(lines: readonly BenchLine[]): BenchLine {
  return {
    ...lines[0]!,
    processes: lines.length,
    trainImagesPerSec: lines.reduce((sum, l) => sum + l.trainImagesPerSec, 0),
    forwardImagesPerSec: lines.reduce((sum, l) => sum + l.forwardImagesPerSec, 0),
    peakRssMb: Math.max(...lines.map((l) => l.peakRssMb)),
  };
}

export async function runBench(
  o: BenchOptions,
  onLine: (line: BenchLine) => void,
  log: (s: string) => void,
): Promise<BenchLine[]> {
  const lines: BenchLine[] = [];
  const emit = (l: BenchLine) => {
    lines.push(l);
    onLine(l);
  };
  const python = o.pytorch ? await findTorchPython() : null;
  if (o.pytorch && !python)
    log('PyTorch not found (Debian: apt-get install python3-torch): no reference numbers');
  for (const model of o.models) {
    for (const backend of o.backends) {
      // Threads split only our SIMD kernels, which only wasm has: the other backends once.
      for (const threads of backend === 'wasm' ? (o.threads ?? [1]) : [undefined]) {
        const at = threads === undefined ? '' : `, ${threads} thread${threads === 1 ? '' : 's'}`;
        log(`measuring ${model} on ${backend}${at}…`);
        const job: BenchJob = {
          model: model as BenchJob['model'],
          backend,
          ...(o.input ? { input: o.input } : {}),
          batchSize: o.batchSize,
          repeats: o.repeats,
          minSeconds: o.minSeconds,
          methods: o.methods,
          ...(threads === undefined ? {} : { threads }),
        };
        emit(await runWorker(job));
        // As many processes as fit the cores at this many threads each, none sharing a core.
        const n = processesAtOnce(availableParallelism(), threads ?? 1);
        if (o.parallel && n > 1) {
          log(`measuring ${model} on ${backend}${at}, ${n} processes at once…`);
          emit(
            aggregate(
              await Promise.all(Array.from({ length: n }, () => runWorker({ ...job, methods: false }))),
            ),
          );
        }
      }
    }
    const reference = hasPytorchReference(model, o.input ?? DEFAULT_BENCH_INPUT);
    if (python && !reference) log(`no PyTorch reference for ${model} on this input`);
    if (python && reference) {
      log(`measuring ${model} in PyTorch…`);
      emit(await runPytorch(python, model, o));
      if (o.parallel && availableParallelism() > 1) {
        // The same aggregate for PyTorch: one process per core, each with its default threads.
        const n = availableParallelism();
        log(`measuring ${model} in PyTorch, ${n} processes at once…`);
        emit(aggregate(await Promise.all(Array.from({ length: n }, () => runPytorch(python, model, o)))));
      }
    }
  }
  return lines;
}

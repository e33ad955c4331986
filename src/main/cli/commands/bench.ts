// `annealab bench`: see src/main/bench/run.ts.
import type { Command } from 'commander';
import { benchTable, parseBenchThreads, parseInputShape, runBench, type BenchOptions } from '../../bench/run';
import { UserError } from '../errors';

const list = (v: string) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

export function registerBenchCommand(program: Command): void {
  program
    .command('bench')
    .description(
      'training and forward images/s, peak memory and per-method rates, beside PyTorch when it is installed',
    )
    .option('--json', 'one JSON line per measurement on stdout')
    .option('--models <ids>', 'comma-separated model ids', 'mlp,lenet5,convnet')
    .option('--backends <ids>', 'comma-separated backends (wasm, cpu, tensorflow, webgpu)', 'wasm')
    .option('--batch <n>', 'batch size', '64')
    .option('--input <HxWxC>', 'image shape, e.g. 32x32x3 for the CIFAR networks', '28x28x1')
    .option(
      '--threads <list>',
      'comma-separated thread counts for the SIMD kernels on wasm, one row each (e.g. 1,2)',
      '1',
    )
    .option('--repeats <n>', 'timed repetitions (median reported)', '5')
    .option('--min-seconds <s>', 'minimum length of one repetition', '0.5')
    .option('--no-methods', 'skip the per-method minibatch rates')
    .option('--no-parallel', 'skip the one-process-per-core aggregate')
    .option('--no-pytorch', 'skip the PyTorch reference')
    .option('--pytorch-device <where>', 'auto (CUDA when torch.cuda.is_available()), cpu or cuda', 'auto')
    .action(async (o: Record<string, string | boolean>) => {
      const backends = list(String(o.backends));
      for (const b of backends)
        if (!['wasm', 'cpu', 'tensorflow', 'webgpu'].includes(b))
          throw new UserError(`unknown backend "${b}": use wasm, cpu, tensorflow or webgpu`);
      let input;
      try {
        input = parseInputShape(String(o.input));
      } catch (error) {
        throw new UserError((error as Error).message);
      }
      let threads;
      try {
        threads = parseBenchThreads(String(o.threads));
      } catch (error) {
        throw new UserError((error as Error).message);
      }
      const pytorchDevice = String(o.pytorchDevice);
      if (!['auto', 'cpu', 'cuda'].includes(pytorchDevice))
        throw new UserError(`--pytorch-device is "${pytorchDevice}": use auto, cpu or cuda`);
      const options: BenchOptions = {
        models: list(String(o.models)),
        backends: backends as BenchOptions['backends'],
        batchSize: Number(o.batch),
        input,
        repeats: Number(o.repeats),
        minSeconds: Number(o.minSeconds),
        methods: Boolean(o.methods),
        threads,
        parallel: Boolean(o.parallel),
        pytorch: Boolean(o.pytorch),
        pytorchDevice: pytorchDevice as BenchOptions['pytorchDevice'],
      };
      const lines = await runBench(
        options,
        (l) => o.json && process.stdout.write(`${JSON.stringify(l)}\n`),
        (s) => process.stderr.write(`${s}\n`),
      );
      if (!o.json) process.stdout.write(`${benchTable(lines)}\n`);
    });
}

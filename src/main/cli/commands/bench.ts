// `annealab bench`: see src/main/bench/run.ts.
import type { Command } from 'commander';
import { benchTable, runBench, type BenchOptions } from '../../bench/run';
import { UserError } from '../errors';
import { parseInputShape } from './models';

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
    .option('--backends <ids>', 'comma-separated backends (wasm, cpu, tensorflow)', 'wasm')
    .option('--input <HxWxC>', 'input image shape (e.g. 32x32x3 for the CIFAR networks)', parseInputShape)
    .option('--batch <n>', 'batch size', '64')
    .option('--repeats <n>', 'timed repetitions (median reported)', '5')
    .option('--min-seconds <s>', 'minimum length of one repetition', '0.5')
    .option('--no-methods', 'skip the per-method minibatch rates')
    .option('--no-parallel', 'skip the one-process-per-core aggregate')
    .option('--no-pytorch', 'skip the PyTorch reference')
    .action(async (o: Record<string, string | boolean>) => {
      const backends = list(String(o.backends));
      for (const b of backends)
        if (!['wasm', 'cpu', 'tensorflow'].includes(b)) throw new UserError(`unknown backend "${b}"`);
      const options: BenchOptions = {
        models: list(String(o.models)),
        backends: backends as BenchOptions['backends'],
        ...(o.input ? { input: o.input as unknown as NonNullable<BenchOptions['input']> } : {}),
        batchSize: Number(o.batch),
        repeats: Number(o.repeats),
        minSeconds: Number(o.minSeconds),
        methods: Boolean(o.methods),
        parallel: Boolean(o.parallel),
        pytorch: Boolean(o.pytorch),
      };
      const lines = await runBench(
        options,
        (l) => o.json && process.stdout.write(`${JSON.stringify(l)}\n`),
        (s) => process.stderr.write(`${s}\n`),
      );
      if (!o.json) process.stdout.write(`${benchTable(lines)}\n`);
    });
}

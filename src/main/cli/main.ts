// The `annealab` command: the same services as the UI, from a terminal.
import { Command } from 'commander';
import { ContractError } from '../../shared/contract';
import { ANNEALAB_VERSION } from '../services/version';
import { resolveDataDir } from './data-dir';
import { UserError } from './errors';
import { concurrencyOption, threadsOption } from './options';
import type { ThreadsRequest } from '../../shared/threads';
import { registerExportCommands } from './commands/export';
import { registerAnalyzeCommands } from './commands/analyze';
import { executorFromFlags, withSlurmFlags, type SlurmFlags } from './executor-options';
import { registerBenchCommand } from './commands/bench';
import { registerDatasetCommands } from './commands/datasets';
import { registerExperimentCommands } from './commands/experiments';
import { registerModelCommands } from './commands/models';
import { registerQueueCommands } from './commands/queue';
import { registerRunCommands } from './commands/runs';
import { runCommand } from './commands/run';
import { registerServeCommand } from './commands/serve';

const program = new Command('annealab')
  .description(
    'Run and compare training methods for deep neural networks (SGD, scheduled SGD, restarts, SSA, SGD-SA).',
  )
  .version(ANNEALAB_VERSION)
  .showHelpAfterError('(run with --help for usage)')
  // Commander exits 1 for a missing option or argument; bad input is 2 here, as everywhere
  // (1 means a run failed). Help and --version keep their 0. Subcommands inherit this.
  .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2));

const dataDirOption = [
  '--data-dir <dir>',
  'where results, datasets and checkpoints live (default: $ANNEALAB_DATA_DIR or the app-data folder)',
] as const;

withSlurmFlags(
  program
    .command('run')
    .description(
      'validate experiment specs, run their grids (methods × models × seeds) together and print each comparison table',
    )
    .argument('<spec...>', 'experiment specs (JSON); all are validated before any runs')
    .option('--json', 'write one JSON object per event on stdout instead of progress')
    .option(...dataDirOption)
    .option(
      '--concurrency <n>',
      'runs in parallel (default: one per core on wasm/cpu, one on a GPU)',
      concurrencyOption,
    )
    .option(
      '--backend <backend>',
      'tensorflow, webgpu, wasm, cpu or auto (overrides ANNEALAB_BACKEND and the spec)',
    )
    .option(
      '--threads <n>',
      'threads per run for the SIMD kernels on wasm, or auto: the cores ÷ the runs at once (overrides the spec)',
      threadsOption,
    )
    .option('--allow-large', 'accept a spec of more than 1,000 runs (models × methods × seeds)')
    .option(
      '--executor <executor>',
      'local (trainer processes here) or slurm (one Slurm job per run); default: `annealab queue executor`',
    ),
).action(
  async (
    specs: string[],
    o: SlurmFlags & {
      json?: boolean;
      dataDir?: string;
      concurrency?: number;
      backend?: string;
      threads?: ThreadsRequest;
      allowLarge?: boolean;
      executor?: string;
    },
  ) => {
    const executor = executorFromFlags(o.executor, o);
    process.exitCode = await runCommand(specs, {
      json: o.json,
      concurrency: o.concurrency,
      backend: o.backend,
      threads: o.threads,
      allowLarge: o.allowLarge,
      executor,
      dataDir: resolveDataDir(o.dataDir),
    });
  },
);

registerExportCommands(program, resolveDataDir);
registerQueueCommands(program, resolveDataDir);
registerExperimentCommands(program, resolveDataDir);
registerRunCommands(program, resolveDataDir);
registerAnalyzeCommands(program, resolveDataDir);
registerServeCommand(program, resolveDataDir);
registerBenchCommand(program);
registerModelCommands(program);

registerDatasetCommands(program, resolveDataDir);

// `annealab runs list | head` closes the pipe early: that is not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

try {
  await program.parseAsync(process.argv);
} catch (err) {
  // A service's refusal (a run that is not queued, an unknown experiment) is the user's to fix,
  // like a UserError; only `internal` ones are bugs and keep their stack.
  if (err instanceof UserError || (err instanceof ContractError && err.code !== 'internal')) {
    process.stderr.write(`annealab: ${err.message}\n`);
    process.exitCode = err instanceof UserError ? err.exitCode : 2;
  } else {
    throw err;
  }
}

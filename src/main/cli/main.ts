// The `annealab` command: the same services as the UI, from a terminal.
import { Command, InvalidArgumentError } from 'commander';
import { ContractError } from '../../shared/contract';
import { ANNEALAB_VERSION } from '../services/version';
import { resolveDataDir } from './data-dir';
import { UserError } from './errors';
import { concurrencyOption } from './options';
import { executorFromFlags, withSlurmFlags, type SlurmFlags } from './executor-options';
import { exportCommand, figureCommand } from './commands/export';
import { registerBenchCommand } from './commands/bench';
import { registerDatasetCommands } from './commands/datasets';
import { registerModelCommands } from './commands/models';
import { registerQueueCommands } from './commands/queue';
import { registerRunCommands } from './commands/runs';
import { runCommand } from './commands/run';
import { registerServeCommand } from './commands/serve';

const fraction = (v: string) => {
  const n = Number(v);
  if (!(n > 0 && n <= 1)) throw new InvalidArgumentError('must be a fraction in (0, 1], e.g. 0.9');
  return n;
};

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
    .option('--backend <backend>', 'tensorflow, wasm, cpu or auto (overrides ANNEALAB_BACKEND and the spec)')
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
      allowLarge?: boolean;
      executor?: string;
    },
  ) => {
    const executor = executorFromFlags(o.executor, o);
    process.exitCode = await runCommand(specs, {
      json: o.json,
      concurrency: o.concurrency,
      backend: o.backend,
      allowLarge: o.allowLarge,
      executor,
      dataDir: resolveDataDir(o.dataDir),
    });
  },
);

program
  .command('export')
  .description('the comparison table of one or more experiments (by name or id)')
  .argument('<experiment...>', 'experiment names or ids')
  .requiredOption('--format <format>', 'csv, latex, markdown or text')
  .option('--stat <stat>', 'best (min loss / max accuracy over epochs, the thesis) or final', 'best')
  .option('--norm <norm>', 'loss as mean cross-entropy (mean) or as the thesis printed it (thesis)', 'mean')
  .option(
    '--baseline <method>',
    'test every method against this one (label, method id, or row number from 1)',
  )
  .option('--test <test>', 'significance test: welch, paired (t-test seed by seed) or mannwhitney', 'welch')
  .option(
    '--target <accuracy>',
    'add time-to-target columns for this validation accuracy (fraction)',
    fraction,
  )
  .option('--per-seed', 'CSV: add the per-seed values')
  .option('--out <file>', 'write to a file instead of stdout')
  .option(...dataDirOption)
  .action((experiments: string[], o: Parameters<typeof exportCommand>[1] & { dataDir?: string }) => {
    process.exitCode = exportCommand(experiments, { ...o, dataDir: resolveDataDir(o.dataDir) });
  });

program
  .command('figure')
  .description('a figure of one or more experiments, as SVG or PNG')
  .argument('<experiment...>', 'experiment names or ids')
  .requiredOption('--kind <kind>', 'which figure (see the README for the kinds)')
  .option('--format <format>', 'svg or png', 'svg')
  .option('--out <file>', 'write to a file instead of stdout')
  .option(...dataDirOption)
  .action(
    async (experiments: string[], o: { kind: string; format: string; out?: string; dataDir?: string }) => {
      process.exitCode = await figureCommand(experiments, { ...o, dataDir: resolveDataDir(o.dataDir) });
    },
  );

registerQueueCommands(program, resolveDataDir);
registerRunCommands(program, resolveDataDir);
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

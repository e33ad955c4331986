// `annealab runs …`: runs and their per-epoch records, from the store.
import type { Command } from 'commander';
import { findExperiment } from '../../services/experiments';
import {
  DATA_DIR_HELP as dataDirHelp,
  DATA_DIR_OPTION as dataDirOption,
  type DataDirResolver,
} from '../options';
import { describeRun, findRun, printRuns, refused } from '../runs-output';
import { withStore } from '../store';

export function registerRunCommands(program: Command, resolveDataDir: DataDirResolver): void {
  const runs = program.command('runs').description('runs and their per-epoch records');
  runs
    .command('list')
    .description('every run, newest experiment first')
    .option('--experiment <name>', 'only this experiment (name or id)')
    .option('--json', 'as JSON')
    .option(dataDirOption, dataDirHelp)
    .action((o: { experiment?: string; json?: boolean; dataDir?: string }) =>
      withStore(resolveDataDir(o.dataDir), (store) => {
        let list = store.experiments.list().flatMap((e) => store.runs.forExperiment(e.id));
        if (o.experiment) {
          const e = refused(() => findExperiment(store, o.experiment!));
          list = store.runs.forExperiment(e.id);
        }
        printRuns(store, list, Boolean(o.json));
      }),
    );
  runs
    .command('show')
    .description('one run with all its epoch records')
    .argument('<run>', 'run id or a unique prefix')
    .option('--json', 'as JSON (the run and its records in the epoch-record shape)')
    .option(dataDirOption, dataDirHelp)
    .action((key: string, o: { json?: boolean; dataDir?: string }) =>
      withStore(resolveDataDir(o.dataDir), (store) => {
        const run = findRun(store, key);
        const experiment = store.experiments.get(run.experimentId)!;
        const epochs = store.epochs.forRun(run.id);
        const out = {
          ...describeRun(run, experiment.name),
          environment: run.environment,
          summary: run.summary,
          notes: run.notes,
          epochs,
        };
        if (o.json) {
          process.stdout.write(`${JSON.stringify(out)}\n`);
          return;
        }
        process.stdout.write(
          `${run.label} · ${run.model} · seed ${run.seed} — ${run.status}${run.error ? `: ${run.error}` : ''}\n`,
        );
        if (run.environment)
          process.stdout.write(`on ${run.environment.backend}: ${run.environment.device}\n`);
        const job = run.environment?.slurm;
        if (job) {
          process.stdout.write(
            `Slurm job ${job.jobId} on ${job.node ?? '?'} (partition ${job.partition ?? '?'})` +
              `${job.restarts ? `, requeued ${job.restarts}×` : ''}\n`,
          );
        }
        for (const e of epochs) {
          process.stdout.write(
            `epoch ${String(e.epoch).padStart(3)}  val ${(e.val.accuracy * 100).toFixed(2)}% loss ${e.val.loss.toFixed(4)}  train loss ${e.train.loss.toFixed(4)}  ${e.counters.seconds.toFixed(1)} s\n`,
          );
        }
      }),
    );
}

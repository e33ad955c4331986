// `annealab runs …`: runs and their per-epoch records, from the store.
import type { Command } from 'commander';
import { findExperiment } from '../../services/experiments';
import { exportWeights } from '../../services/run-weights';
import { deleteRun, withLiveStatus } from '../../services/runs';
import type { RunRow } from '../../store';
import { printDeletion, refusedAsync } from './experiments';
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
    .description('every run, newest experiment first, with its best validation accuracy and duration')
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
        printRuns(store, list, Boolean(o.json), { results: true });
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
        const [run] = withLiveStatus(store, [findRun(store, key)]) as [RunRow];
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
        const threads = run.environment?.threads;
        if (threads)
          process.stdout.write(
            `threads: ${threads.count === null ? threads.reason : `${threads.count} (${threads.reason})`}\n`,
          );
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
  runs
    .command('export-weights')
    .description(
      'write a run’s best weights (or its last checkpoint’s) with batch-norm buffers, see docs/weights-format.md',
    )
    .argument('<run>', 'run id or a unique prefix')
    .requiredOption('--out <file>', 'the file to write (its folder must exist)')
    .option('--last', 'the last checkpoint’s weights instead of the best ones (a run that has not finished)')
    .option('--json', 'report what was written as JSON')
    .option(dataDirOption, dataDirHelp)
    .action((key: string, o: { out: string; last?: boolean; json?: boolean; dataDir?: string }) => {
      const dataDir = resolveDataDir(o.dataDir);
      return withStore(dataDir, async (store) => {
        const written = await exportWeights(store, dataDir, key, { out: o.out, last: Boolean(o.last) });
        for (const note of written.notes) process.stderr.write(`note: ${note}\n`);
        if (o.json) {
          process.stdout.write(`${JSON.stringify(written)}\n`);
          return;
        }
        const val = written.validation
          ? `, val accuracy ${(written.validation.accuracy * 100).toFixed(2)}% loss ${written.validation.loss.toFixed(4)}`
          : '';
        const buffers = written.buffers === 'included' ? '' : ', without batch-norm running statistics';
        process.stdout.write(
          `wrote the ${written.kind === 'best' ? 'best' : 'last checkpoint’s'} weights of run ${written.runId.slice(0, 8)} ` +
            `(${written.model}, epoch ${written.epoch ?? '?'}${val}${buffers}) to ${written.path}\n`,
        );
      });
    });
  runs
    .command('delete')
    .description('delete a run with its epochs, checkpoints and best weights (refused while it is running)')
    .argument('<run>', 'run id or a unique prefix')
    .option('--cancel', 'cancel it first if it is queued or running, and wait for it to stop')
    .option('--json', 'say what was deleted as JSON')
    .option(dataDirOption, dataDirHelp)
    .action((key: string, o: { cancel?: boolean; json?: boolean; dataDir?: string }) => {
      const dataDir = resolveDataDir(o.dataDir);
      return withStore(dataDir, async (store) => {
        const run = findRun(store, key);
        const d = await refusedAsync(() => deleteRun(store, dataDir, run.id, { cancel: o.cancel }));
        printDeletion(d, `run ${run.id.slice(0, 8)} of ${d.name}`, Boolean(o.json));
      });
    });
}

// `annealab queue …`: the persistent queue from a terminal. Commands change rows in the
// store; whichever process executes the queue (a CLI or the UI host) picks the changes up
// within a second.
import type { Command } from 'commander';
import type { RunnerEvent } from '../../../shared/events';
import { currentExecutor } from '../../services/executor-lease';
import { QueueRunner } from '../../services/queue';
import { withLiveStatus } from '../../services/runs';
import {
  cancelRun,
  isPaused,
  moveRun,
  parseConcurrency,
  pauseQueue,
  resumeQueue,
  retryRun,
  retryTargets,
  setConcurrency,
} from '../../services/queue-control';
import type { RunRow } from '../../store';
import { handleCtrlC } from '../ctrl-c';
import { UserError } from '../errors';
import { concurrencyOption } from '../options';
import { ProgressView } from '../progress';
import { findRun, printRuns, refused } from '../runs-output';
import { withStore } from '../store';
import { executorFromFlags, withSlurmFlags, type SlurmFlags } from '../executor-options';
import { describeExecutor } from '../../../shared/executor';
import { setExecutor, storedExecutor } from '../../services/executors';
import { readJobRecord } from '../../services/executors/job-files';

import {
  DATA_DIR_HELP as dataDirHelp,
  DATA_DIR_OPTION as dataDirOption,
  type DataDirResolver,
} from '../options';

/** "abc12345 after epoch 2" for a run with a checkpoint, "abc12345 from the start" without. */
function startingPoint(run: RunRow): string {
  return `${run.id.slice(0, 8)} ${run.checkpointEpoch === null ? 'from the start' : `after epoch ${run.checkpointEpoch}`}`;
}

/** At most `max` runs named, then how many more: a thousand ids help nobody. */
function someRuns(runs: RunRow[], max = 10): string {
  const named = runs.slice(0, max).map(startingPoint).join(', ');
  return runs.length > max ? `${named}, and ${runs.length - max} more` : named;
}

export function registerQueueCommands(program: Command, resolveDataDir: DataDirResolver): void {
  const queue = program.command('queue').description('the persistent run queue');

  queue
    .command('list')
    .description('every run in queue order, with status, progress and ETA')
    .option('--json', 'as JSON')
    .option(dataDirOption, dataDirHelp)
    .action((o: { json?: boolean; dataDir?: string }) =>
      withStore(resolveDataDir(o.dataDir), (store) => {
        if (!o.json) {
          const executor = currentExecutor(store);
          const paused = isPaused(store);
          process.stdout.write(
            `queue ${paused ? 'PAUSED' : 'active'} · ${executor ? `executed by ${executor.role} (pid ${executor.pid})` : 'no process executes it now (annealab queue resume)'}\n`,
          );
        }
        printRuns(store, store.runs.all(), Boolean(o.json));
      }),
    );

  queue
    .command('pause')
    .description('start no new runs (running ones go on)')
    .option(dataDirOption, dataDirHelp)
    .action((o: { dataDir?: string }) =>
      withStore(resolveDataDir(o.dataDir), (store) => {
        pauseQueue(store);
        process.stdout.write('queue paused: no new run starts; running runs go on (annealab queue resume)\n');
      }),
    );

  queue
    .command('resume')
    .description('un-pause, continue interrupted runs from their checkpoints, and run the queue')
    .option('--wait', 'when another process executes the queue, wait until it is empty')
    .option('--json', 'one JSON object per event on stdout')
    .option('--concurrency <n>', 'runs in parallel', concurrencyOption)
    .option(dataDirOption, dataDirHelp)
    .action(async (o: { wait?: boolean; json?: boolean; concurrency?: number; dataDir?: string }) => {
      const dataDir = resolveDataDir(o.dataDir);
      await withStore(dataDir, async (store) => {
        const runner = QueueRunner.start(
          store,
          { dataDir, concurrency: o.concurrency },
          'annealab queue resume',
        );
        // Only the executor may decide a 'running' run is orphaned; start() did that, so the
        // orphans are among the interrupted runs that resuming puts back in the queue.
        const requeued = resumeQueue(store);
        const say = (s: string) => process.stderr.write(`${s}\n`);
        // What this resume takes on: the queued runs, the interrupted ones among them now (the
        // runner may have started some already, so running ones count too).
        const todo = store.runs.all().filter((r) => r.status === 'queued' || r.status === 'running');
        const attached = new Set(runner?.reattached ?? []);
        const resumed = todo.filter((r) => r.checkpointEpoch !== null && !attached.has(r.id));
        if (attached.size > 0) {
          say(
            `re-attached to the Slurm jobs of ${attached.size} run${attached.size === 1 ? '' : 's'} still in Slurm: ` +
              todo
                .filter((r) => attached.has(r.id))
                .map((r) => `${r.id.slice(0, 8)} (job ${readJobRecord(dataDir, r.id)?.jobId ?? '?'})`)
                .join(', '),
          );
        }
        if (todo.length === 0) {
          say('nothing to do: no run is queued, running or interrupted (annealab queue list shows them all)');
        } else if (todo.length > attached.size) {
          say(
            `${todo.length} run${todo.length === 1 ? '' : 's'} to run` +
              (requeued > 0 ? ` (${requeued} of them interrupted)` : '') +
              (resumed.length > 0
                ? `; continuing from checkpoints: ${someRuns(resumed)}`
                : '; all from the start'),
          );
        }
        if (!runner) {
          const executor = currentExecutor(store);
          say(`another Annealab process (${executor?.role}, pid ${executor?.pid}) executes the queue`);
          if (o.wait) {
            // A run whose executor died reads interrupted (live-status.ts): no waiting for ever.
            const busy = () =>
              withLiveStatus(store, store.runs.all()).some(
                (r) => r.status === 'queued' || r.status === 'running',
              );
            while (busy()) {
              await new Promise((r) => setTimeout(r, 1000));
            }
          }
          return;
        }
        if (todo.length === 0) {
          await runner.stop({ cancel: false });
          return;
        }
        const ctrlC = handleCtrlC(say);
        ctrlC.attach(runner);
        runner.onLost((lost) => say(lost.message));
        const pending = todo.length;
        const view = o.json ? null : new ProgressView(process.stderr, pending, Boolean(process.stderr.isTTY));
        runner.on((e: RunnerEvent) => {
          if (!o.json) return view!.handle(e);
          if (e.type !== 'progress' && e.type !== 'log') process.stdout.write(`${JSON.stringify(e)}\n`);
        });
        runner.tick();
        try {
          await runner.waitUntil(() =>
            ctrlC.pressed
              ? runner.runningIds().length === 0
              : runner.runningIds().length === 0 && (runner.paused || !store.runs.nextQueued()),
          );
          await runner.stop({ cancel: false });
        } finally {
          ctrlC.dispose();
        }
        if (runner.diskError) throw runner.diskError;
        if (runner.lost || ctrlC.pressed) {
          const left = store.runs.all().filter((r) => r.status === 'interrupted' || r.status === 'queued');
          if (ctrlC.pressed)
            say(
              `stopped: ${left.length} runs left interrupted or queued (annealab queue resume continues them)`,
            );
          process.exitCode = 1;
          return;
        }
        // Only what this resume ran decides: a run that failed last week is not its failure.
        const ran = new Set(todo.map((r) => r.id));
        const failed = store.runs.all().filter((r) => ran.has(r.id) && r.status === 'failed');
        if (failed.length > 0)
          say(`${failed.length} of ${todo.length} runs failed (annealab queue list says why)`);
        else say(`${todo.length} run${todo.length === 1 ? '' : 's'} done`);
        process.exitCode = failed.length > 0 ? 1 : 0;
      });
    });

  queue
    .command('cancel')
    .description('cancel a queued run, or stop a running one within a minibatch')
    .argument('<run>', 'run id or a unique prefix')
    .option(dataDirOption, dataDirHelp)
    .action((key: string, o: { dataDir?: string }) =>
      withStore(resolveDataDir(o.dataDir), (store) => {
        const run = findRun(store, key);
        const { outcome } = refused(() => cancelRun(store, run.id));
        process.stdout.write(
          outcome === 'cancelled'
            ? `cancelled ${run.id.slice(0, 8)}\n`
            : `asked ${run.id.slice(0, 8)} to stop; it ends within a minibatch\n`,
        );
      }),
    );

  queue
    .command('retry')
    .description(
      'queue failed, cancelled or interrupted runs again (from scratch, or --resume from their checkpoints): ' +
        "one run, an experiment's, or with --failed every failed one",
    )
    .argument('[run-or-experiment]', 'run id or unique prefix, or experiment name, id or unique id prefix')
    .option('--failed', 'only failed runs; without a run or experiment, every failed run in the data dir')
    .option('--resume', 'continue from the last checkpoint instead of starting over')
    .option(dataDirOption, dataDirHelp)
    .action((key: string | undefined, o: { failed?: boolean; resume?: boolean; dataDir?: string }) => {
      const dataDir = resolveDataDir(o.dataDir);
      withStore(dataDir, (store) => {
        const targets = refused(() => retryTargets(store, key, { failed: Boolean(o.failed) }));
        if (targets.length === 0) {
          process.stdout.write(
            `nothing to retry: no ${o.failed ? 'failed' : 'failed, cancelled or interrupted'} run${key ? ` in "${key}"` : ''}\n`,
          );
          return;
        }
        // Every target is failed, cancelled or interrupted (a single run named is checked by the
        // store), so none of these refuses after another was queued.
        const again = targets.map((run) =>
          refused(() => retryRun(store, dataDir, run.id, { resume: Boolean(o.resume) })),
        );
        const executing = currentExecutor(store);
        const what = o.resume
          ? someRuns(again)
          : someRuns(again).replaceAll(/ (from the start|after epoch \d+)/g, '');
        process.stdout.write(
          `queued ${again.length} run${again.length === 1 ? '' : 's'} again${o.resume ? '' : ' from the start'}: ${what}` +
            `${executing ? '' : ' (nothing executes the queue now: annealab queue resume)'}\n`,
        );
      });
    });

  queue
    .command('move')
    .description('move a queued run to a place in the queue (0 = next)')
    .argument('<run>', 'run id or a unique prefix')
    .argument('<index>', 'new place among the queued runs', (v) => Number(v))
    .option(dataDirOption, dataDirHelp)
    .action((key: string, index: number, o: { dataDir?: string }) =>
      withStore(resolveDataDir(o.dataDir), (store) => {
        if (!Number.isInteger(index) || index < 0) throw new UserError('index must be a whole number >= 0');
        const run = findRun(store, key);
        refused(() => moveRun(store, run.id, index));
        process.stdout.write(`moved ${run.id.slice(0, 8)} to place ${index}\n`);
      }),
    );

  queue
    .command('concurrency')
    .description('how many runs execute in parallel (default: one per core on wasm/cpu, one on a GPU)')
    .argument('<n>', 'a whole number >= 1, or "auto"')
    .option(dataDirOption, dataDirHelp)
    .action((n: string, o: { dataDir?: string }) =>
      withStore(resolveDataDir(o.dataDir), (store) => {
        let value: number | null;
        try {
          value = parseConcurrency(n, { auto: true });
        } catch (err) {
          throw new UserError(`concurrency ${(err as Error).message}`);
        }
        setConcurrency(store, value);
        process.stdout.write(`concurrency: ${n}\n`);
      }),
    );

  withSlurmFlags(
    queue
      .command('executor')
      .description(
        "how the queue's runs get a process: local (trainer processes here) or slurm (one Slurm job per run); " +
          'without an argument, the current one',
      )
      .argument('[executor]', 'local or slurm'),
  )
    .option(dataDirOption, dataDirHelp)
    .action((kind: string | undefined, o: SlurmFlags & { dataDir?: string }) =>
      withStore(resolveDataDir(o.dataDir), (store) => {
        const setting = executorFromFlags(kind, o, 'name the executor: annealab queue executor slurm …');
        if (setting) setExecutor(store, setting);
        process.stdout.write(`executor: ${describeExecutor(setting ?? storedExecutor(store))}\n`);
      }),
    );
}

// `annealab run SPEC.json`: validate, run the grid in trainer processes, print the table.
import { readFileSync } from 'node:fs';
import { parseSpecText, type ExperimentSpec } from '../../../shared/spec';
import type { RunnerEvent } from '../../../shared/events';
import { currentExecutor } from '../../services/executor-lease';
import { experimentFinished, submitExperiment, validateExperiment } from '../../services/experiments';
import { tableText } from '../../services/exports';
import { followRuns } from '../../services/follower';
import { QueueRunner } from '../../services/queue';
import { isPaused } from '../../services/queue-control';
import { Store, type ExperimentRow, type RunRow } from '../../store';
import { diskErrorOf } from '../store';
import { handleCtrlC } from '../ctrl-c';
import { UserError } from '../errors';
import { fmtDuration } from '../format';
import { ProgressView } from '../progress';
import { describeExecutor, type ExecutorSetting } from '../../../shared/executor';
import type { ThreadsRequest } from '../../../shared/threads';

export interface RunCommandOptions {
  json?: boolean;
  dataDir: string;
  concurrency?: number;
  backend?: string;
  /** --threads, over each spec's `threads`. */
  threads?: ThreadsRequest;
  /** Accept a spec of more than MAX_RUNS_PER_SPEC runs. */
  allowLarge?: boolean;
  /** --executor and its Slurm flags, over the stored setting. */
  executor?: ExecutorSetting;
}

export async function loadSpecFile(
  path: string,
  dataDir: string,
  options: { allowLarge?: boolean } = {},
): Promise<ExperimentSpec> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new UserError(
      `cannot read the spec ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
  const parsed = parseSpecText(text);
  if (!parsed.ok) throw new UserError(`${path} is not valid JSON: ${parsed.message}`);
  const result = await validateExperiment(dataDir, parsed.value, { allowLarge: options.allowLarge });
  if (!result.ok) {
    const lines = result.problems.map((p) => `  ${p.path}: ${p.message}`);
    throw new UserError(`${path} is not a valid experiment spec:\n${lines.join('\n')}`);
  }
  return result.spec;
}

const ENDED = new Set(['finished', 'failed', 'cancelled']);

/**
 * Several specs share one queue: their runs fill the cores together, so no core idles at the tail
 * of one spec while the next waits. Every spec is validated before anything is written.
 */
export async function runCommand(specPaths: string[], options: RunCommandOptions): Promise<number> {
  const specs: ExperimentSpec[] = [];
  const problems: string[] = [];
  for (const path of specPaths) {
    try {
      specs.push(await loadSpecFile(path, options.dataDir, { allowLarge: options.allowLarge }));
    } catch (err) {
      if (!(err instanceof UserError)) throw err;
      problems.push(err.message);
    }
  }
  if (problems.length > 0) {
    const nothing =
      specPaths.length > 1 ? '\nnothing was run: fix these specs and run all of them again' : '';
    throw new UserError(`${problems.join('\n')}${nothing}`);
  }
  const started = performance.now();
  const store = Store.open(options.dataDir);
  let submitted: { spec: ExperimentSpec; experiment: ExperimentRow; runs: RunRow[] }[];
  try {
    submitted = specs.map((spec) => ({ spec, ...submitExperiment(store, spec) }));
  } catch (err) {
    store.close();
    throw diskErrorOf(err, options.dataDir);
  }
  const experimentIds = new Set(submitted.map((s) => s.experiment.id));
  const ids = submitted.flatMap((s) => s.runs.map((r) => r.id));
  const view = options.json
    ? null
    : new ProgressView(process.stderr, ids.length, Boolean(process.stderr.isTTY));
  const emit = (event: RunnerEvent) => {
    if (!experimentIds.has(event.experimentId)) return;
    if (!options.json) return view!.handle(event);
    // The JSON stream carries DESIGN.md's events only; progress is for eyes, logs go to stderr.
    if (event.type === 'log') process.stderr.write(`${event.message}\n`);
    else if (event.type !== 'progress') process.stdout.write(`${JSON.stringify(event)}\n`);
  };
  const say = (line: string) => process.stderr.write(`${line}\n`);
  // Ctrl-C once: the runs stop after their minibatch, interrupted with their checkpoints; the
  // tables are still printed. Twice: quit now (ctrl-c.ts). Following another executor, Ctrl-C
  // only stops following: the runs are that process's.
  const following = new AbortController();
  const ctrlC = handleCtrlC(say, () => following.abort());
  try {
    if (!options.json) {
      for (const { spec, runs } of submitted) {
        say(
          `experiment "${spec.name}": ${runs.length} runs (${spec.methods.length} methods × ${spec.models.length} models × ` +
            `${spec.seeds.length} seeds), ${spec.epochs} epochs each`,
        );
      }
    }
    const queue = QueueRunner.start(
      store,
      {
        dataDir: options.dataDir,
        concurrency: options.concurrency,
        backendFlag: options.backend,
        threadsFlag: options.threads,
        executor: options.executor,
      },
      'annealab run',
    );
    if (queue && options.executor && !options.json) say(`executor: ${describeExecutor(options.executor)}`);
    ctrlC.attach(queue);
    if (isPaused(store)) {
      say('the queue is paused: these runs wait until `annealab queue resume`');
    }
    if (queue) {
      const off = queue.on(emit);
      queue.onLost((lost) => say(lost.message));
      await queue.waitUntil(() =>
        ctrlC.pressed
          ? queue.runningIds().length === 0
          : ids.every((id) => ENDED.has(store.runs.get(id)!.status)),
      );
      off();
      await queue.stop({ cancel: false });
      // A full disk: exit 2 with where and how much room; the runs resume once there is room.
      if (queue.diskError) throw queue.diskError;
      if (queue.lost) {
        say(`its runs go on there (annealab queue list); experiment ids ${[...experimentIds].join(', ')}`);
        return 1;
      }
    } else {
      const executor = currentExecutor(store);
      say(
        `another Annealab process (${executor?.role ?? 'unknown'}, pid ${executor?.pid ?? '?'}) runs the queue; following it`,
      );
      if (options.executor) {
        say(
          `--executor ${options.executor.kind} does not apply: that process runs these with its own executor`,
        );
      }
      if (options.threads !== undefined) {
        say('--threads does not apply: that process starts these runs with the threads of their specs');
      }
      const { interrupted } = await followRuns(store, ids, emit, { signal: following.signal });
      if (ctrlC.pressed) say('stopped following: the runs go on in the process that executes the queue');
      else if (interrupted.length > 0) {
        say(
          `${interrupted.length} run${interrupted.length === 1 ? ' was' : 's were'} interrupted where they ran ` +
            '(that process stopped or died); annealab queue resume continues them from their checkpoints',
        );
      }
      for (const { experiment } of submitted) {
        const finished = experimentFinished(store, experiment.id);
        if (finished) emit(finished);
      }
    }
    if (!options.json) {
      for (const { experiment } of submitted) {
        const table = tableText(store.results(experiment), 'text', { stat: 'best', norm: 'mean' });
        process.stdout.write(`\n${table}\n`);
        say(`experiment id ${experiment.id} · data dir ${options.dataDir}`);
      }
      say(`${ids.length} runs in ${fmtDuration((performance.now() - started) / 1000)} wall time`);
    }
    const final = submitted.flatMap((s) => store.runs.forExperiment(s.experiment.id));
    const interrupted = final.filter((r) => r.status === 'interrupted').length;
    if (interrupted > 0 && queue)
      say(
        `${interrupted} run${interrupted === 1 ? '' : 's'} interrupted: annealab queue resume continues them`,
      );
    return final.every((r) => r.status === 'finished') ? 0 : 1;
  } finally {
    ctrlC.dispose();
    store.close();
  }
}

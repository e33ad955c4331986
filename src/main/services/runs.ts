// Runs: finding one by id or prefix, the view of a run the queue and the run view show, one
// run with its records, and the runs (with their epochs) a comparison or an export covers.
import { ContractError, type Deletion, type RunDetail, type RunView } from '../../shared/contract';
import { runEta, type RunResult } from '../../shared/results';
import { StoreRefusal, type ExperimentRow, type RunRow, type Store } from '../store';
import { deleteRuns, type DeleteOptions } from './deletion';
import { findExperiment } from './experiments';
import { withLiveStatus } from './live-status';

export { withLiveStatus } from './live-status';

/** A run by its id or a unique prefix of it. */
export function findRun(store: Store, key: string): RunRow {
  try {
    return store.runs.find(key);
  } catch (err) {
    if (err instanceof StoreRefusal) throw new ContractError(err.message, 'not-found');
    throw err;
  }
}

export function runView(run: RunRow, experiment: ExperimentRow, epochsDone: number): RunView {
  return {
    ...run,
    experimentName: experiment.name,
    epochsDone,
    epochs: experiment.spec.epochs,
    batchSize: experiment.spec.batchSize,
    etaSeconds: runEta(run),
  };
}

/** Every run in queue order, as the queue shows it. */
export function queuedRunViews(store: Store): RunView[] {
  const experiments = new Map(store.experiments.list().map((e) => [e.id, e]));
  const counts = store.epochs.countsByRun();
  return withLiveStatus(store, store.runs.all()).flatMap((r) => {
    const e = experiments.get(r.experimentId);
    return e ? [runView(r, e, counts.get(r.id) ?? 0)] : [];
  });
}

export function runDetail(store: Store, key: string): RunDetail {
  const [run] = withLiveStatus(store, [findRun(store, key)]) as [RunRow];
  const experiment = findExperiment(store, run.experimentId);
  const result = withLiveStatus(store, store.results(experiment)).find((r) => r.runId === run.id)!;
  return {
    run: runView(run, experiment, result.epochs.length),
    experiment: { id: experiment.id, name: experiment.name, spec: experiment.spec },
    result,
  };
}

/** Runs of the selection with their epochs: whole experiments, narrowed to `runIds` if given. */
export function selectResults(
  store: Store,
  selection: { experimentIds: readonly string[]; runIds?: readonly string[] },
): RunResult[] {
  const experimentIds = new Set(selection.experimentIds);
  for (const id of selection.runIds ?? []) experimentIds.add(findRun(store, id).experimentId);
  const wanted = selection.runIds ? new Set(selection.runIds) : null;
  return [...experimentIds].flatMap((id) =>
    experimentResults(store, id).filter((r) => !wanted || wanted.has(r.runId)),
  );
}

/** Every run of one experiment (by id or name) with its epochs. */
export function experimentResults(store: Store, key: string): RunResult[] {
  return withLiveStatus(store, store.results(findExperiment(store, key)));
}

/**
 * Delete one run: its row, its epochs and its files; its experiment stays (with one run fewer).
 * Refused, changing nothing, while it is running, unless `cancel`.
 */
export function deleteRun(
  store: Store,
  dataDir: string,
  key: string,
  options: DeleteOptions = {},
): Promise<Deletion> {
  const run = findRun(store, key);
  const experiment = findExperiment(store, run.experimentId);
  return deleteRuns(store, dataDir, experiment, [run.id], {
    ...options,
    whole: false,
    what: `run ${run.id.slice(0, 8)} (${run.label} · ${run.model} · seed ${run.seed})`,
  });
}

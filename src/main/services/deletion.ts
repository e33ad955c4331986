// Deleting runs: their rows (epochs go with them), then their files. A running run is refused
// (its trainer would go on writing epochs for a row that is gone) unless the caller asks to
// cancel: then queued runs are cancelled at once, running ones are asked to stop, and the
// delete waits until whichever host executes them has stopped them.
import { ContractError, type Deletion } from '../../shared/contract';
import type { ExperimentRow, RunRow, Store } from '../store';
import { removeRunFiles } from './run-files';

export interface DeleteOptions {
  /** Cancel queued and running runs first instead of refusing. */
  cancel?: boolean;
  /** How long to wait for running runs to stop after a cancel (ms). */
  stopTimeoutMs?: number;
  /** How often to look whether they have (ms). */
  pollMs?: number;
  /** Called once the cancels are requested: a host wakes its runner here, which stops the runs. */
  afterCancel?: () => void;
}

const DEFAULT_STOP_TIMEOUT_MS = 60_000;

const isActive = (r: RunRow) => r.status === 'running';

const describe = (runs: readonly RunRow[]) =>
  runs
    .slice(0, 5)
    .map((r) => `${r.id.slice(0, 8)} (${r.label} · ${r.model} · seed ${r.seed})`)
    .join(', ') + (runs.length > 5 ? ` and ${runs.length - 5} more` : '');

/**
 * Delete `runIds` of `experiment` (all its runs and the experiment row itself when `whole`),
 * with their files. Throws, changing nothing, while one is running and `cancel` is not set.
 */
export async function deleteRuns(
  store: Store,
  dataDir: string,
  experiment: ExperimentRow,
  runIds: readonly string[],
  options: DeleteOptions & { whole: boolean; what: string },
): Promise<Deletion> {
  const current = () => runIds.map((id) => store.runs.get(id)).filter((r): r is RunRow => r !== undefined);
  let cancelled = 0;
  const running = current().filter(isActive);
  if (running.length > 0 && !options.cancel) {
    throw new ContractError(
      options.whole
        ? `${options.what} has ${running.length === 1 ? 'a run' : `${running.length} runs`} running: ${describe(running)}; ` +
            'cancel them first (annealab queue cancel RUN), or delete with --cancel'
        : `${options.what} is running; cancel it first (annealab queue cancel RUN), or delete with --cancel`,
      'conflict',
    );
  }
  if (options.cancel) {
    for (const r of current()) {
      if (r.status !== 'queued' && r.status !== 'running') continue;
      store.runs.requestCancel(r.id);
      cancelled++;
    }
    if (cancelled > 0) options.afterCancel?.();
    await waitStopped(store, current, options);
  }
  // Rows first, in one transaction that looks again: a runner may have claimed a queued run
  // since. Then the files, which no row points at any more.
  const deleted = store.transaction(
    () => {
      const runs = current();
      const stillRunning = runs.filter(isActive);
      if (stillRunning.length > 0) {
        throw new ContractError(
          `${options.what}: ${describe(stillRunning)} started meanwhile; nothing was deleted, try again`,
          'conflict',
        );
      }
      for (const r of runs) store.runs.delete(r.id);
      if (options.whole) store.experiments.delete(experiment.id);
      return runs;
    },
    { immediate: true },
  );
  const files = deleted.flatMap((r) => removeRunFiles(dataDir, r));
  return {
    experimentId: experiment.id,
    name: experiment.name,
    runIds: deleted.map((r) => r.id),
    files,
    cancelled,
  };
}

async function waitStopped(store: Store, current: () => RunRow[], options: DeleteOptions): Promise<void> {
  const deadline = Date.now() + (options.stopTimeoutMs ?? DEFAULT_STOP_TIMEOUT_MS);
  for (;;) {
    const running = current().filter(isActive);
    if (running.length === 0) return;
    if (Date.now() > deadline) {
      throw new ContractError(
        `asked ${describe(running)} to stop, but no host stopped ${running.length === 1 ? 'it' : 'them'} in time ` +
          '(is the host that runs the queue still alive?); nothing was deleted; try again once they have stopped',
        'conflict',
      );
    }
    await new Promise((r) => setTimeout(r, options.pollMs ?? 200));
  }
}

// Following runs that another process executes: the same events, read back from the store.
// `annealab run` uses it when a UI host (or another CLI) already executes the queue.
import type { Store } from '../store';
import type { RunnerEvent, RunnerListener } from '../../shared/events';
import { identityOf } from './queue';

export async function watchRuns(
  store: Store,
  runIds: readonly string[],
  onEvent: RunnerListener,
  options: { pollMs?: number; signal?: AbortSignal } = {},
): Promise<void> {
  const started = new Set<string>();
  const ended = new Set<string>();
  const progressAt = new Map<string, string>();
  let rowid = 0;
  for (;;) {
    for (const { rowid: r, record } of store.epochs.since(rowid, runIds)) {
      rowid = r;
      onEvent(record);
    }
    for (const id of runIds) {
      if (ended.has(id)) continue;
      const run = store.runs.get(id);
      if (!run) continue;
      const who = identityOf(run);
      if (!started.has(id) && run.environment && run.status !== 'queued') {
        started.add(id);
        onEvent({
          ...who,
          type: 'run-started',
          environment: run.environment,
          trainCount: 0,
          testCount: 0,
          notes: run.notes,
          resumedFromEpoch: null,
        } as RunnerEvent);
      }
      if (run.progress && progressAt.get(id) !== run.progress.at) {
        progressAt.set(id, run.progress.at);
        const { epoch, step, steps, epochs } = run.progress;
        onEvent({ ...who, type: 'progress', epoch, step, steps, epochs });
      }
      if (run.status === 'finished') onEvent({ ...who, type: 'run-finished', summary: run.summary! });
      else if (run.status === 'failed')
        onEvent({ ...who, type: 'run-failed', reason: run.error ?? 'unknown reason' });
      else if (run.status === 'cancelled') onEvent({ ...who, type: 'run-cancelled', summary: run.summary });
      else continue;
      ended.add(id);
    }
    if (ended.size === runIds.length || options.signal?.aborted) return;
    await new Promise((r) => setTimeout(r, options.pollMs ?? 500));
  }
}

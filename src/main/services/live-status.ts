// How a reader (the queue view, a run's page, `queue list`) tells running runs from runs whose
// host died: derived from the executor lease at read time, never written by a reader.
import type { RunRow, Store } from '../store';
import { executorAlive } from './executor-lease';

/**
 * Runs as a reader should show them: a run left 'running' by a host that is gone (its lease
 * expired, or its pid is dead on this machine) is shown interrupted, as it will be marked when
 * the next executor starts; the row itself is the executor's to change. This process's own
 * lease counts as alive.
 */
export function withLiveStatus<R extends { status: RunRow['status'] }>(store: Store, runs: R[]): R[] {
  if (!runs.some((r) => r.status === 'running') || executorAlive(store)) return runs;
  return runs.map((r) => (r.status === 'running' ? { ...r, status: 'interrupted', progress: null } : r));
}

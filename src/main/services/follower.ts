// Following runs that another process executes: the events its runner emits, read back from
// the store, which is the one place every process writes. A UI host follows every run while it
// is not the executor; `annealab run` follows its own runs when another process executes them.
import type { RunnerEvent } from '../../shared/events';
import type { RunRow, Store } from '../store';
import { identityOf } from './identity';
import { withLiveStatus } from './live-status';

export interface FollowOptions {
  /** Only these runs; every run when absent. */
  runIds?: readonly string[];
  /** Also report each run's start and end (`run --json` needs them; the UI reads the queue). */
  lifecycle?: boolean;
  /** Report epochs recorded after this rowid (default: from the first). */
  fromRowid?: number;
}

export class RunFollower {
  private rowid: number;
  private readonly started = new Set<string>();
  private readonly ended = new Set<string>();
  private readonly interruptedIds = new Set<string>();
  private readonly progressAt = new Map<string, string>();

  constructor(
    private readonly store: Store,
    private readonly options: FollowOptions = {},
  ) {
    this.rowid = options.fromRowid ?? 0;
  }

  /** Skip the epochs recorded so far (they reached the listeners another way). */
  skipRecorded(): void {
    this.rowid = Math.max(this.rowid, this.store.epochs.maxRowid());
  }

  /** Every followed run has ended (with `lifecycle`). */
  get done(): boolean {
    return this.options.runIds !== undefined && this.ended.size === this.options.runIds.length;
  }

  /** What happened since the last poll, in the order the runner would have said it. */
  poll(): RunnerEvent[] {
    const events: RunnerEvent[] = [];
    for (const { rowid, record } of this.store.epochs.since(this.rowid, this.options.runIds ?? null)) {
      this.rowid = rowid;
      events.push(record);
    }
    // A run whose executor died reads as interrupted (live-status.ts), so a follower stops
    // waiting for it instead of waiting for ever.
    const runs = withLiveStatus(
      this.store,
      this.options.runIds
        ? this.options.runIds.flatMap((id) => this.store.runs.get(id) ?? [])
        : this.store.runs.all(),
    );
    for (const run of runs) {
      if (this.ended.has(run.id)) continue;
      const who = identityOf(run);
      if (this.options.lifecycle && !this.started.has(run.id) && run.environment && run.status !== 'queued') {
        this.started.add(run.id);
        events.push({
          ...who,
          type: 'run-started',
          environment: run.environment,
          trainCount: 0,
          testCount: 0,
          notes: run.notes,
          resumedFromEpoch: null,
        } as RunnerEvent);
      }
      if (run.progress && this.progressAt.get(run.id) !== run.progress.at && this.reportsProgress(run)) {
        this.progressAt.set(run.id, run.progress.at);
        const { epoch, step, steps, epochs } = run.progress;
        events.push({ ...who, type: 'progress', epoch, step, steps, epochs });
      }
      if (!this.options.lifecycle) continue;
      if (run.status === 'interrupted') {
        // Its executor stopped it (Ctrl-C, closing) or died: it ends here for this follower;
        // `queue resume` continues it later. No event of its own: the caller asks `interrupted`.
        this.interruptedIds.add(run.id);
        this.ended.add(run.id);
        continue;
      }
      const end = endEvent(run);
      if (!end) continue;
      events.push(end);
      this.ended.add(run.id);
    }
    return events;
  }

  /** Followed runs that ended interrupted rather than finished, failed or cancelled. */
  get interrupted(): string[] {
    return [...this.interruptedIds];
  }

  private reportsProgress(run: RunRow): boolean {
    // A host following every run reports only live ones; progress of an ended run is stale.
    return this.options.lifecycle === true || run.status === 'running';
  }
}

function endEvent(run: RunRow): RunnerEvent | null {
  const who = identityOf(run);
  if (run.status === 'finished') return { ...who, type: 'run-finished', summary: run.summary! };
  if (run.status === 'failed') return { ...who, type: 'run-failed', reason: run.error ?? 'unknown reason' };
  if (run.status === 'cancelled') return { ...who, type: 'run-cancelled', summary: run.summary };
  return null;
}

/** Follow `runIds` until each has ended (or `signal` aborts), handing every event to `onEvent`. */
export async function followRuns(
  store: Store,
  runIds: readonly string[],
  onEvent: (event: RunnerEvent) => void,
  options: { pollMs?: number; signal?: AbortSignal } = {},
): Promise<{ interrupted: string[] }> {
  const follower = new RunFollower(store, { runIds, lifecycle: true });
  for (;;) {
    for (const event of follower.poll()) onEvent(event);
    if (follower.done || options.signal?.aborted) return { interrupted: follower.interrupted };
    await new Promise((r) => setTimeout(r, options.pollMs ?? 500));
  }
}

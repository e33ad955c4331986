// Controlling the queue: pause, resume, concurrency, and cancel, retry or move one run. Every
// host calls these; they change rows, and whichever process executes the queue picks the
// changes up (at once when it is this one: the host ticks its runner after a change).
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { ContractError, type QueueSnapshot } from '../../shared/contract';
import { RETRYABLE, type RunRow, type Store } from '../store';
import { checkpointPath } from '../trainer/checkpoint';
import { resolveBackendRequest, type ResolvedBackendRequest } from '../trainer/backend/backend-request';
import { defaultConcurrency } from './concurrency';
import { findExperiment } from './experiments';
import { findRun, queuedRunViews } from './runs';

export const QUEUE_PAUSED = 'queue.paused';
export const QUEUE_CONCURRENCY = 'queue.concurrency';

export function isPaused(store: Store): boolean {
  return store.settings.get<boolean>(QUEUE_PAUSED) ?? false;
}

export function pauseQueue(store: Store): void {
  store.settings.set(QUEUE_PAUSED, true);
}

/** Un-pause, and put interrupted runs back in their places; returns how many were interrupted. */
export function resumeQueue(store: Store): number {
  store.settings.set(QUEUE_PAUSED, false);
  return store.runs.requeueInterrupted();
}

/** The stored concurrency: a number, or null for the default by backend. */
export function setConcurrency(store: Store, value: number | null): void {
  if (value === null) store.settings.delete(QUEUE_CONCURRENCY);
  else store.settings.set(QUEUE_CONCURRENCY, value);
}

export function storedConcurrency(store: Store): number | null {
  return store.settings.get<number>(QUEUE_CONCURRENCY) ?? null;
}

/**
 * A concurrency as a person types it (a CLI flag or argument): a whole number >= 1, or, where
 * `auto` is allowed, "auto" (null: the default by backend). Throws with what is expected.
 */
export function parseConcurrency(text: string, options: { auto?: boolean } = {}): number | null {
  if (options.auto && text === 'auto') return null;
  const n = Number(text);
  if (text.trim() === '' || !Number.isInteger(n) || n < 1) {
    throw new Error(options.auto ? 'must be a whole number >= 1 or "auto"' : 'must be a whole number >= 1');
  }
  return n;
}

export function cancelRun(store: Store, key: string): { run: RunRow; outcome: 'cancelled' | 'requested' } {
  const run = findRun(store, key);
  return { run, outcome: store.runs.requestCancel(run.id) };
}

/**
 * Queue an ended run again: from its last checkpoint with `resume`, else from scratch, which
 * also deletes its checkpoints (the best weights of the attempt that is being thrown away).
 */
export function retryRun(store: Store, dataDir: string, key: string, options: { resume: boolean }): RunRow {
  const run = findRun(store, key);
  if (options.resume) return store.runs.requeueFromCheckpoint(run.id);
  const again = store.runs.retry(run.id);
  rmSync(dirname(checkpointPath(dataDir, run.id)), { recursive: true, force: true });
  return again;
}

/**
 * The runs one `queue retry` means: KEY is a run (id or unique prefix), else an experiment (name,
 * id or unique id prefix), whose failed, cancelled and interrupted runs are meant; `failed`
 * narrows that to the failed ones, and without KEY means every failed run in the store (those
 * that ended for a cause now gone, ENOSPC or a kill, are retried in one go).
 */
export function retryTargets(store: Store, key: string | undefined, options: { failed: boolean }): RunRow[] {
  const wanted = (r: RunRow) => (options.failed ? r.status === 'failed' : RETRYABLE.includes(r.status));
  if (key === undefined) {
    if (!options.failed) {
      throw new ContractError(
        'say which runs: a run, an experiment, or --failed for every failed run',
        'bad-input',
      );
    }
    return store.runs.all().filter(wanted);
  }
  const experiment = experimentOrNone(store, key);
  if (experiment) return store.runs.forExperiment(experiment.id).filter(wanted);
  try {
    return [findRun(store, key)];
  } catch (err) {
    // An ambiguous prefix keeps its own message; an unknown key says what may be given.
    if (err instanceof ContractError && err.message.startsWith('no run')) {
      throw new ContractError(
        `no run or experiment "${key}"; give a run id, an experiment name or id (annealab queue list, runs list)`,
        'not-found',
        undefined,
        { cause: err },
      );
    }
    throw err;
  }
}

/** The experiment KEY names (id, name or unique id prefix), or none: then KEY may be a run. */
function experimentOrNone(store: Store, key: string) {
  // A name several experiments share is refused with its candidates (findExperiment says so);
  // a key that is no experiment, or begins several experiments' ids, may still be a run's prefix.
  if (store.experiments.named(key).length > 1) return findExperiment(store, key);
  try {
    return findExperiment(store, key);
  } catch (err) {
    if (err instanceof ContractError) return undefined;
    throw err;
  }
}

export function moveRun(store: Store, key: string, index: number): RunRow {
  const run = findRun(store, key);
  store.runs.moveInQueue(run.id, index);
  return run;
}

/** The backend request runs get when their spec says `auto`; a bad ANNEALAB_BACKEND counts as auto. */
function defaultRequest(): ResolvedBackendRequest['request'] {
  try {
    return resolveBackendRequest(null).request;
  } catch {
    // A bad ANNEALAB_BACKEND is reported when a run starts; here it only sets a default.
    return 'auto';
  }
}

/** Runs in parallel when nothing overrides it: by the backend that requests default to. */
export function defaultConcurrencyNow(): number {
  return defaultConcurrency(defaultRequest());
}

export function queueSnapshot(
  store: Store,
  host: { concurrency?: number; executor: QueueSnapshot['executor'] },
): QueueSnapshot {
  const setting = storedConcurrency(store);
  return {
    paused: isPaused(store),
    concurrency: { setting, effective: host.concurrency ?? setting ?? defaultConcurrencyNow() },
    executor: host.executor,
    runs: queuedRunViews(store),
  };
}

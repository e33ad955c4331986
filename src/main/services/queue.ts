// The experiment queue's executor: takes queued runs from SQLite in queue order, runs each
// in its own trainer process (N at a time), writes every event to the store as it arrives,
// and picks up what other processes ask through the store (pause, cancel, new runs).
// Runs survive a crash of their trainer or of this host: each epoch ends with a checkpoint,
// and an interrupted run continues from its last one.
import { existsSync, rmSync } from 'node:fs';
import type { ModelId } from '../../shared/ids';
import type { ExperimentRow, RunRow, Store } from '../store';
import { resolveBackendRequest, type ResolvedBackendRequest } from '../trainer/backend/backend-request';
import { checkpointPath, readCheckpointState } from '../trainer/checkpoint';
import type { RunnerEvent, RunnerListener } from '../../shared/events';
import { defaultConcurrency } from './concurrency';
import { experimentFinished } from './experiments';
import { ExecutorLease } from './executor-lease';
import { identityOf } from './identity';
import { isPaused, storedConcurrency } from './queue-control';
import type { StartCommand, TrainerEvent } from '../trainer/protocol';
import type { ExecutorSetting } from '../../shared/executor';
import type { TrainerHandle } from './trainer-process';
import { makeExecutor, SlurmExecutor, storedExecutor, type Executor } from './executors';
import { readJobRecord } from './executors/job-files';

export { QUEUE_CONCURRENCY, QUEUE_PAUSED } from './queue-control';
export { defaultConcurrency } from './concurrency';

export interface QueueOptions {
  dataDir: string;
  /** Parallel trainer processes for this host; else the stored setting; else by backend. */
  concurrency?: number;
  /** --backend (over ANNEALAB_BACKEND and each spec's own). */
  backendFlag?: string;
  /** --executor (over the stored setting): how runs get a process. */
  executor?: ExecutorSetting;
  pollMs?: number;
}

/** Follow a run that already has a process somewhere (a Slurm job a host now gone submitted). */
type Reattach = (onEvent: (event: TrainerEvent) => void) => TrainerHandle;

export { identityOf } from './identity';

interface ActiveRun {
  run: RunRow;
  handle: TrainerHandle;
  lastProgressWrite: number;
  lastProgressStep: { at: number; steps: number } | null;
}

export class QueueRunner {
  private readonly active = new Map<string, ActiveRun>();
  private readonly listeners = new Set<RunnerListener>();
  private readonly waiters = new Set<() => void>();
  private timer: NodeJS.Timeout | null = null;
  private claiming = true;
  private readonly experiments = new Map<string, ExperimentRow>();
  private executorCache: { key: string; executor: Executor } | null = null;
  /** Runs this executor followed again at its start (their Slurm jobs outlived their host). */
  readonly reattached: string[] = [];

  private constructor(
    readonly store: Store,
    private readonly lease: ExecutorLease,
    private readonly options: QueueOptions,
  ) {}

  /**
   * Become the queue's executor; null when another live process already is. Runs that a
   * dead host left 'running' are marked interrupted (`resume` continues them).
   */
  static start(store: Store, options: QueueOptions, role: string): QueueRunner | null {
    const lease = ExecutorLease.acquire(store, role);
    if (!lease) return null;
    // Runs whose Slurm jobs a dead host left are followed again, not launched again.
    const jobs = store.runs
      .all()
      .filter((r) => r.status === 'running')
      .map((run) => ({ run, jobId: readJobRecord(options.dataDir, run.id)?.jobId }))
      .filter((j): j is { run: RunRow; jobId: string } => Boolean(j.jobId));
    store.runs.markOrphansInterrupted(jobs.map((j) => j.run.id));
    const q = new QueueRunner(store, lease, options);
    for (const { run, jobId } of jobs) {
      q.reattached.push(run.id);
      q.launch(run, q.reattachTo(run, jobId));
    }
    q.timer = setInterval(() => q.tick(), options.pollMs ?? 500);
    q.tick();
    return q;
  }

  on(listener: RunnerListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(event: RunnerEvent): void {
    for (const l of this.listeners) l(event);
  }

  get paused(): boolean {
    return isPaused(this.store);
  }

  concurrencyFor(run: RunRow): number {
    const stored = storedConcurrency(this.store);
    const concurrency =
      this.options.concurrency ?? stored ?? defaultConcurrency(this.backendFor(run).request);
    return this.executor().limit(concurrency);
  }

  /** The executor new runs start with: --executor, else the stored setting (one per setting). */
  private executor(): Executor {
    const setting = this.options.executor ?? storedExecutor(this.store);
    const key = JSON.stringify(setting);
    if (this.executorCache?.key !== key)
      this.executorCache = { key, executor: makeExecutor(setting, this.options.dataDir) };
    return this.executorCache.executor;
  }

  private reattachTo(run: RunRow, jobId: string): Reattach {
    const current = this.executor();
    const slurm =
      current instanceof SlurmExecutor
        ? current
        : new SlurmExecutor(this.options.dataDir, { sbatchArgs: [] });
    // The follower keeps each epoch once: those the store has are skipped.
    return (onEvent) => slurm.reattach(run.id, jobId, this.store.epochs.lastEpoch(run.id), onEvent);
  }

  private startTrainer(
    command: StartCommand,
    onEvent: (event: TrainerEvent) => void,
    reattach?: Reattach,
  ): TrainerHandle {
    return reattach ? reattach(onEvent) : this.executor().start(command, onEvent);
  }

  private experiment(id: string): ExperimentRow {
    let e = this.experiments.get(id);
    if (!e) {
      e = this.store.experiments.get(id);
      if (!e) throw new Error(`run references a missing experiment ${id}`);
      this.experiments.set(id, e);
    }
    return e;
  }

  private backendFor(run: RunRow): ResolvedBackendRequest {
    const spec = this.experiment(run.experimentId).spec;
    return resolveBackendRequest(spec.backend === 'auto' ? null : spec.backend, this.options.backendFlag);
  }

  /** One scheduling pass: stop what was cancelled, then fill free slots with queued runs. */
  tick(): void {
    for (const id of this.store.runs.cancelRequested([...this.active.keys()]))
      this.active.get(id)?.handle.cancel();
    while (this.claiming && !this.paused) {
      const next = this.store.runs.nextQueued();
      if (!next || this.active.size >= this.concurrencyFor(next)) break;
      if (!this.store.runs.claim(next.id)) continue;
      this.launch(this.store.runs.get(next.id)!);
    }
    this.notify();
  }

  /** Make the store and the checkpoint agree, and say whether the run continues from it. */
  private prepareResume(run: RunRow): number | null {
    const path = checkpointPath(this.options.dataDir, run.id);
    if (!existsSync(path)) {
      if (run.checkpointEpoch !== null || this.store.epochs.lastEpoch(run.id) > 0) {
        // Its checkpoint is gone: start over rather than continue from unknown weights.
        this.store.transaction(() => {
          this.store.epochs.deleteAfter(run.id, 0);
          this.store.runs.setCheckpointEpoch(run.id, null);
        });
      }
      return null;
    }
    const state = readCheckpointState(path);
    this.store.transaction(() => {
      // The trainer writes the checkpoint before it reports the epoch: if the host died in
      // between, the record is only in the checkpoint.
      if (state.epoch > this.store.epochs.lastEpoch(run.id)) this.store.epochs.insert(state.record);
      this.store.epochs.deleteAfter(run.id, state.epoch);
      this.store.runs.setCheckpointEpoch(run.id, state.epoch);
    });
    return state.epoch;
  }

  private launch(run: RunRow, reattach?: Reattach): void {
    const id = identityOf(run);
    let resumedFrom: number | null;
    try {
      resumedFrom = reattach ? null : this.prepareResume(run);
    } catch (err) {
      this.endRun(run, 'failed', null, `cannot read the run's checkpoint: ${(err as Error).message}`);
      return;
    }
    const spec = this.experiment(run.experimentId).spec;
    const entry: ActiveRun = {
      run,
      handle: undefined as unknown as TrainerHandle,
      lastProgressWrite: 0,
      lastProgressStep: null,
    };
    entry.handle = this.startTrainer(
      {
        type: 'start',
        experimentId: run.experimentId,
        runId: run.id,
        spec,
        methodIndex: run.methodIndex,
        model: run.model as ModelId,
        seed: run.seed,
        dataDir: this.options.dataDir,
        backend: this.backendFor(run),
        resume: resumedFrom !== null,
      },
      (event) => {
        switch (event.type) {
          case 'started':
            this.store.runs.markStarted(run.id, event.environment, event.notes);
            this.emit({ ...id, ...event, type: 'run-started', resumedFromEpoch: resumedFrom });
            break;
          case 'resumed':
            break;
          case 'log':
            this.emit({ ...id, ...event });
            break;
          case 'progress':
            this.recordProgress(entry, event, spec.epochs);
            this.emit({ ...id, ...event, epochs: spec.epochs });
            break;
          case 'epoch':
            this.store.transaction(() => {
              this.store.epochs.insert(event.record);
              this.store.runs.setCheckpointEpoch(run.id, event.record.epoch);
            });
            this.emit(event.record);
            break;
          case 'finished':
            // The best weights are kept; the last-epoch checkpoint is only for resuming.
            rmSync(checkpointPath(this.options.dataDir, run.id), { force: true });
            this.endRun(run, 'finished', event.summary, null);
            break;
          case 'cancelled':
            this.endRun(run, 'cancelled', event.summary, null);
            break;
          case 'failed':
            this.endRun(run, 'failed', null, event.reason);
            break;
        }
      },
      reattach,
    );
    this.active.set(run.id, entry);
    void entry.handle.done.then(() => {
      this.active.delete(run.id);
      this.tick();
    });
  }

  private recordProgress(
    entry: ActiveRun,
    p: { epoch: number; step: number; steps: number },
    epochs: number,
  ): void {
    const now = Date.now();
    if (now - entry.lastProgressWrite < 1000 && p.step !== p.steps) return;
    const totalSteps = (p.epoch - 1) * p.steps + p.step;
    const prev = entry.lastProgressStep;
    const rate =
      prev && now > prev.at && totalSteps > prev.steps
        ? ((totalSteps - prev.steps) * 1000) / (now - prev.at)
        : null;
    entry.lastProgressStep = { at: now, steps: totalSteps };
    entry.lastProgressWrite = now;
    this.store.runs.setProgress(entry.run.id, {
      ...p,
      epochs,
      stepsPerSecond: rate,
      at: new Date(now).toISOString(),
    });
  }

  private endRun(
    run: RunRow,
    status: 'finished' | 'failed' | 'cancelled',
    summary: RunRow['summary'],
    error: string | null,
  ) {
    this.store.runs.markEnded(run.id, status, summary, error);
    const id = identityOf(run);
    if (status === 'finished') this.emit({ ...id, type: 'run-finished', summary: summary! });
    else if (status === 'cancelled') this.emit({ ...id, type: 'run-cancelled', summary });
    else this.emit({ ...id, type: 'run-failed', reason: error ?? 'unknown reason' });
    this.maybeExperimentFinished(run.experimentId);
  }

  private maybeExperimentFinished(experimentId: string): void {
    const event = experimentFinished(this.store, experimentId);
    if (event) this.emit(event);
  }

  runningIds(): string[] {
    return [...this.active.keys()];
  }

  private notify(): void {
    for (const w of [...this.waiters]) w();
  }

  /** Resolves when `done()` holds, checked after every scheduling pass and run end. */
  waitUntil(done: () => boolean): Promise<void> {
    return new Promise((resolve) => {
      const check = () => {
        if (!done()) return;
        this.waiters.delete(check);
        resolve();
      };
      this.waiters.add(check);
      check();
    });
  }

  /** Resolves when nothing is queued (or the queue is paused) and nothing runs. */
  idle(): Promise<void> {
    return this.waitUntil(() => this.active.size === 0 && (this.paused || !this.store.runs.nextQueued()));
  }

  /**
   * Stop executing: claim nothing more; with `cancel`, ask running runs to stop (each within a
   * minibatch); wait for the trainers to exit, then give up the lease.
   */
  async stop(options: { cancel: boolean }): Promise<void> {
    this.claiming = false;
    // A run that lives on without this host (a Slurm job) is let go, not stopped: the next
    // executor re-attaches to it.
    if (options.cancel) for (const a of this.active.values()) (a.handle.detach ?? a.handle.cancel)();
    await this.waitUntil(() => this.active.size === 0);
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.lease.release();
  }
}

// The experiment queue's executor: takes queued runs from SQLite in queue order, runs each
// in its own trainer process (N at a time), writes every event to the store as it arrives,
// and picks up what other processes ask through the store (pause, cancel, new runs).
// Runs survive a crash of their trainer or of this host: each epoch ends with a checkpoint,
// and an interrupted run continues from its last one.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelId } from '../../shared/ids';
import type { ExperimentRow, RunRow, Store } from '../store';
import { asDiskError, DiskError } from '../store/errors';
import { DB_FILE } from '../store/db';
import { resolveBackendRequest, type ResolvedBackendRequest } from '../trainer/backend/backend-request';
import {
  attemptCheckpoints,
  bestWeightsRelativePath,
  readCheckpointState,
  type LoopState,
} from '../trainer/checkpoint';
import type { RunnerEvent, RunnerListener } from '../../shared/events';
import { defaultConcurrency } from './concurrency';
import { experimentFinished } from './experiments';
import { ExecutorLease, type LeaseLost } from './executor-lease';
import { removeOrphanTemporaries } from './orphan-files';
import { identityOf } from './identity';
import { isPaused, storedConcurrency } from './queue-control';
import type { StartCommand, TrainerEvent } from '../trainer/protocol';
import type { ExecutorSetting } from '../../shared/executor';
import type { TrainerHandle } from './trainer-process';
import { makeExecutor, SlurmExecutor, storedExecutor, type Executor } from './executors';
import { readJobRecord } from './executors/job-files';
import { threadsForRun } from './run-threads';
import type { ThreadsRequest } from '../../shared/threads';

export { QUEUE_CONCURRENCY, QUEUE_PAUSED } from './queue-control';
export { defaultConcurrency } from './concurrency';

export interface QueueOptions {
  dataDir: string;
  /** Parallel trainer processes for this host; else the stored setting; else by backend. */
  concurrency?: number;
  /** --backend (over ANNEALAB_BACKEND and each spec's own). */
  backendFlag?: string;
  /** --threads (over each spec's own): threads per run for the SIMD kernels on wasm. */
  threadsFlag?: ThreadsRequest;
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
  /** Stopped by this host (Ctrl-C, closing): a 'cancelled' from its trainer means interrupted. */
  interrupting: boolean;
  /** Killed because the lease was lost or the host quits now: nothing it says is written. */
  abandoned: boolean;
}

export class QueueRunner {
  private readonly active = new Map<string, ActiveRun>();
  private readonly listeners = new Set<RunnerListener>();
  private readonly waiters = new Set<() => void>();
  private timer: NodeJS.Timeout | null = null;
  private claiming = true;
  private stopping: Promise<void> | null = null;
  private readonly experiments = new Map<string, ExperimentRow>();
  private readonly lostListeners = new Set<(lost: LeaseLost) => void>();
  private executorCache: { key: string; executor: Executor } | null = null;
  /** Runs this executor followed again at its start (their Slurm jobs outlived their host). */
  readonly reattached: string[] = [];

  private constructor(
    readonly store: Store,
    private readonly lease: ExecutorLease,
    private readonly options: QueueOptions,
  ) {
    lease.onLost((lost) => this.abandon(lost));
  }

  /**
   * Become the queue's executor; null when another live process already is. Runs that a
   * dead host left 'running' are marked interrupted (`resume` continues them), and the
   * temporary files of checkpoint writes a kill cut short are removed.
   */
  static start(store: Store, options: QueueOptions, role: string): QueueRunner | null {
    let lease: ExecutorLease | null;
    let jobs: { run: RunRow; jobId: string }[];
    try {
      lease = ExecutorLease.acquire(store, role);
      if (!lease) return null;
      // Runs whose Slurm jobs a dead host left are followed again, not launched again.
      jobs = store.runs
        .all()
        .filter((r) => r.status === 'running')
        .map((run) => ({ run, jobId: readJobRecord(options.dataDir, run.id)?.jobId }))
        .filter((j): j is { run: RunRow; jobId: string } => Boolean(j.jobId));
      lease.fenced(() => store.runs.markOrphansInterrupted(jobs.map((j) => j.run.id)));
      removeOrphanTemporaries(store, options.dataDir);
    } catch (err) {
      throw asDiskError(err, join(options.dataDir, DB_FILE));
    }
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

  /** Told once if another executor takes the queue over while this one runs (see abandon). */
  onLost(listener: (lost: LeaseLost) => void): void {
    this.lostListeners.add(listener);
  }

  /** Set when another executor took over: this runner has stopped and writes nothing more. */
  get lost(): LeaseLost | null {
    return this.lostByOther;
  }

  private lostByOther: LeaseLost | null = null;
  private halted: DiskError | null = null;

  /** Set when the disk (full, read-only) stopped this runner; the runs stay resumable. */
  get diskError(): DiskError | null {
    return this.halted;
  }

  /**
   * A write of this host or of a trainer met a full or read-only disk: stop everything now,
   * before more runs fail for the same cause. The trainers are killed (each keeps its last
   * epoch's checkpoint); the runs are marked interrupted where the disk still lets us, else the
   * next executor does it. `queue resume` continues them once there is room.
   */
  private halt(err: DiskError): void {
    if (this.halted) return;
    this.halted = err;
    this.claiming = false;
    for (const a of this.active.values()) {
      a.abandoned = true;
      a.handle.kill();
    }
    try {
      this.lease.fenced(() => {
        for (const id of this.active.keys()) this.store.runs.interrupt(id);
      });
    } catch {
      // The disk is still full: the rows stay 'running' and read as interrupted once we exit.
    }
    this.notify();
  }

  /** Run `work`; a disk error halts the runner (see halt), anything else is a bug and throws. */
  private guarded(work: () => void): void {
    try {
      work();
    } catch (err) {
      const disk = asDiskError(err, join(this.options.dataDir, DB_FILE));
      if (!(disk instanceof DiskError)) throw err;
      this.halt(disk);
    }
  }

  /**
   * Another executor holds the queue now (this host was frozen past its lease): kill this
   * host's trainers at once and write nothing more; their runs are the new executor's.
   */
  private abandon(lost: LeaseLost): void {
    this.lostByOther = lost;
    this.claiming = false;
    for (const a of this.active.values()) {
      a.abandoned = true;
      // A Slurm job is let go, not killed: the executor that took over re-attaches to it.
      (a.handle.detach ?? a.handle.kill)();
    }
    for (const l of this.lostListeners) l(lost);
    this.notify();
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

  /**
   * The runs that will train at once with `run` (just claimed, not yet active): the concurrency,
   * or fewer when fewer are running and queued, so that one big run alone gets every core from
   * "auto" threads. A run queued later may then share cores with it until it ends.
   */
  private runsAtOnce(run: RunRow): number {
    return Math.min(this.concurrencyFor(run), this.active.size + 1 + this.store.runs.queuedCount());
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
    this.guarded(() => this.schedule());
  }

  private schedule(): void {
    if (this.lostByOther || this.halted) return this.notify();
    for (const id of this.store.runs.cancelRequested([...this.active.keys()]))
      this.active.get(id)?.handle.cancel();
    while (this.claiming && !this.paused) {
      const next = this.store.runs.nextQueued();
      if (!next || this.active.size >= this.concurrencyFor(next)) break;
      let claimed = false;
      if (!this.lease.fenced(() => (claimed = this.store.runs.claim(next.id)))) break;
      if (!claimed) continue;
      this.launch(this.store.runs.get(next.id)!);
    }
    this.notify();
  }

  /**
   * Make the store and the newest readable checkpoint of an earlier attempt agree, and say
   * which attempt and epoch the run continues from (null: from the start).
   */
  private prepareResume(run: RunRow): { attempt: number; epoch: number } | null {
    const earlier = attemptCheckpoints(this.options.dataDir, run.id).filter((c) => c.attempt < run.attempts);
    let state: LoopState | null = null;
    let from = 0;
    let firstError: unknown = null;
    for (const c of earlier) {
      try {
        state = readCheckpointState(c.path);
        from = c.attempt;
        break;
      } catch (err) {
        // A checkpoint cut short (a kill mid-write of a file that was not atomic, a full disk):
        // an older attempt's may still be whole.
        firstError ??= err;
      }
    }
    if (!state && firstError) throw firstError;
    if (!state) {
      if (run.checkpointEpoch !== null || this.store.epochs.lastEpoch(run.id) > 0) {
        // Its checkpoint is gone: start over rather than continue from unknown weights.
        this.lease.fenced(() => {
          this.store.epochs.deleteAfter(run.id, 0);
          this.store.runs.setCheckpointEpoch(run.id, null);
        });
      }
      return null;
    }
    const found = state;
    this.lease.fenced(() => {
      // The trainer writes the checkpoint before it reports the epoch: if the host died in
      // between, the record is only in the checkpoint.
      if (found.epoch > this.store.epochs.lastEpoch(run.id)) this.store.epochs.insert(found.record);
      this.store.epochs.deleteAfter(run.id, found.epoch);
      this.store.runs.setCheckpointEpoch(run.id, found.epoch);
    });
    return { attempt: from, epoch: found.epoch };
  }

  /** When a run has finished: the checkpoints and best weights of attempts before this one. */
  private removeEarlierAttempts(run: RunRow): void {
    for (const c of attemptCheckpoints(this.options.dataDir, run.id)) {
      if (c.attempt > run.attempts) continue; // a newer attempt's (cannot happen while fenced)
      rmSync(c.path, { force: true });
      if (c.attempt < run.attempts)
        rmSync(join(this.options.dataDir, bestWeightsRelativePath(run.id, c.attempt)), { force: true });
    }
  }

  private launch(run: RunRow, reattach?: Reattach): void {
    const id = identityOf(run);
    let resumed: { attempt: number; epoch: number } | null;
    try {
      resumed = reattach ? null : this.prepareResume(run);
    } catch (err) {
      this.endRun(run, 'failed', null, `cannot read the run's checkpoint: ${(err as Error).message}`);
      return;
    }
    const resumedFrom = resumed?.epoch ?? null;
    const spec = this.experiment(run.experimentId).spec;
    const entry: ActiveRun = {
      run,
      handle: undefined as unknown as TrainerHandle,
      lastProgressWrite: 0,
      lastProgressStep: null,
      interrupting: false,
      abandoned: false,
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
        threads: threadsForRun({
          spec: (spec as Partial<typeof spec>).threads,
          flag: this.options.threadsFlag,
          executor: this.executor().setting.kind,
          runsAtOnce: this.runsAtOnce(run),
        }),
        resume: resumed !== null,
        attempt: run.attempts,
        resumeAttempt: resumed?.attempt,
        acknowledgeEpochs: true,
      },
      (event) =>
        this.guarded(() => {
          // A trainer of a host that lost the queue, or quits now: its runs are not ours to write.
          if (entry.abandoned) return;
          switch (event.type) {
            case 'started':
              if (
                this.lease.fenced(() => this.store.runs.markStarted(run.id, event.environment, event.notes))
              )
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
              if (
                this.lease.fenced(() => {
                  this.store.epochs.insert(event.record);
                  this.store.runs.setCheckpointEpoch(run.id, event.record.epoch);
                })
              ) {
                // Only now does the trainer go on: what it trains next, this host will hear of.
                entry.handle.acknowledge(event.record.epoch);
                this.emit(event.record);
              }
              break;
            case 'finished':
              // The best weights are kept; the last-epoch checkpoints are only for resuming.
              this.endRun(run, 'finished', event.summary, null, () => this.removeEarlierAttempts(run));
              break;
            case 'cancelled':
              if (entry.interrupting) this.interruptRun(run);
              else this.endRun(run, 'cancelled', event.summary, null);
              break;
            case 'failed':
              // A full disk is not the run's fault: it is interrupted, not failed; the queue stops.
              if (event.disk) this.halt(new DiskError(event.reason, this.options.dataDir));
              else this.endRun(run, 'failed', null, event.reason);
              break;
          }
        }),
      reattach,
    );
    this.active.set(run.id, entry);
    void entry.handle.done.then(() => {
      this.active.delete(run.id);
      this.tick();
    });
  }

  /** A run this host stopped on purpose: interrupted, to continue from its checkpoint. */
  private interruptRun(run: RunRow): void {
    this.lease.fenced(() => this.store.runs.interrupt(run.id));
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
    this.lease.fenced(() =>
      this.store.runs.setProgress(entry.run.id, {
        ...p,
        epochs,
        stepsPerSecond: rate,
        at: new Date(now).toISOString(),
      }),
    );
  }

  private endRun(
    run: RunRow,
    status: 'finished' | 'failed' | 'cancelled',
    summary: RunRow['summary'],
    error: string | null,
    afterCommit?: () => void,
  ) {
    const written = this.lease.fenced(() => this.store.runs.markEnded(run.id, status, summary, error));
    if (!written) return;
    // Files go only once the row says so: a kill in between must not leave a run that is still
    // 'running' without the checkpoint it would resume from.
    afterCommit?.();
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

  /**
   * Resolves when `done()` holds, checked after every scheduling pass and run end, or when
   * another executor took the queue over (see `lost`).
   */
  waitUntil(done: () => boolean): Promise<void> {
    return new Promise((resolve) => {
      const check = () => {
        if (!this.lostByOther && !this.halted && !done()) return;
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
  async stop(options: { cancel: boolean; interrupt?: boolean }): Promise<void> {
    this.claiming = false;
    for (const a of this.active.values()) {
      // A run that lives on without this host (a Slurm job) is let go, not stopped: the next
      // executor re-attaches to it.
      if (a.handle.detach && (options.cancel || options.interrupt)) {
        a.handle.detach();
        continue;
      }
      if (options.interrupt) a.interrupting = true;
      if (options.cancel || options.interrupt) a.handle.cancel();
    }
    // Once: a second call (Ctrl-C's handler, then the command's own ending) waits for the first.
    this.stopping ??= (async () => {
      await new Promise<void>((resolve) => {
        const check = () => {
          if (this.active.size > 0) return;
          this.waiters.delete(check);
          resolve();
        };
        this.waiters.add(check);
        check();
      });
      if (this.timer) clearInterval(this.timer);
      this.timer = null;
      try {
        this.lease.release();
      } catch {
        // A full disk: the lease stays with this pid, free once this process has gone.
      }
    })();
    return this.stopping;
  }

  /**
   * Quit now (a second Ctrl-C): the running runs are marked interrupted, their trainers
   * killed without waiting for a minibatch (each keeps its last epoch's checkpoint), and the
   * lease given up. Nothing is marked failed.
   */
  stopNow(): void {
    this.claiming = false;
    const ids = [...this.active.keys()];
    this.lease.fenced(() => {
      for (const id of ids) this.store.runs.interrupt(id);
    });
    for (const a of this.active.values()) {
      a.abandoned = true;
      a.handle.kill();
    }
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.lease.release();
  }
}

// The composition root the three hosts share: one store, the queue executor (or a follower of
// whichever process executes it), the event fan-out, and the route handlers of the shared
// contract (services/routes/, one adapter per domain over the services). The web host serves
// the handlers over HTTP + SSE, the Electron main over IPC; the CLI calls the services directly.
import type { EventName, ExecutorState, HostKind, Payload } from '../../shared/contract';
import type { RunnerEvent } from '../../shared/events';
import { Store } from '../store';
import { currentExecutor, EXECUTOR_KEY } from './executor-lease';
import { RunFollower } from './follower';
import { QueueRunner } from './queue';
import { buildRoutes, type AppHandlers } from './routes';

export interface AppOptions {
  dataDir: string;
  host: HostKind;
  /** How the executor lease names this process ("annealab serve", "desktop app"). */
  role: string;
  /** Runs in parallel for this host; else the stored setting; else by backend. */
  concurrency?: number;
  /** How often to try to become the executor while another process is. */
  retryMs?: number;
  /** How often to look for changes other processes made in the store. */
  pollMs?: number;
  /** Do not execute the queue (tests of the routes alone). */
  execute?: boolean;
}

export type AppListener = <K extends EventName>(name: K, payload: Payload<K>) => void;

export class AnnealabApp {
  readonly store: Store;
  readonly handlers: AppHandlers;
  private runner: QueueRunner | null = null;
  private offRunner: (() => void) | null = null;
  private readonly listeners = new Set<AppListener>();
  private retryTimer: NodeJS.Timeout | null = null;
  private pollTimer: NodeJS.Timeout | null = null;
  private fingerprint = '';
  private readonly follower: RunFollower;
  private executorKey = '';
  private closed = false;

  private constructor(readonly options: AppOptions) {
    this.store = Store.open(options.dataDir);
    // History is in the store for whoever asks; the UI hears what happens from now on.
    this.follower = new RunFollower(this.store, { fromRowid: this.store.epochs.maxRowid() });
    this.handlers = buildRoutes({
      store: this.store,
      dataDir: options.dataDir,
      host: options.host,
      concurrency: options.concurrency,
      executorState: () => this.executorState(),
      emit: (name, payload) => this.emit(name, payload),
      changed: (reason) => this.changed(reason),
    });
  }

  /** Open the store, try to become the queue's executor, and start watching for changes. */
  static start(options: AppOptions): AnnealabApp {
    const app = new AnnealabApp(options);
    app.fingerprint = app.store.fingerprint(EXECUTOR_KEY);
    if (options.execute !== false) {
      app.tryExecute();
      if (!app.runner) {
        app.retryTimer = setInterval(() => app.tryExecute(), options.retryMs ?? 3000);
        app.retryTimer.unref();
      }
    }
    app.pollTimer = setInterval(() => app.poll(), options.pollMs ?? 1000);
    app.pollTimer.unref();
    return app;
  }

  get dataDir(): string {
    return this.options.dataDir;
  }

  subscribe(listener: AppListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit<K extends EventName>(name: K, payload: Payload<K>): void {
    for (const l of this.listeners) {
      try {
        l(name, payload);
      } catch {
        // A broken subscriber (a closed SSE stream) must not stop the others.
      }
    }
  }

  executorState(): ExecutorState {
    if (this.runner) return { self: true, role: this.options.role, pid: process.pid };
    const lease = currentExecutor(this.store);
    return { self: false, role: lease?.role ?? null, pid: lease?.pid ?? null };
  }

  private tryExecute(): void {
    if (this.closed || this.runner) return;
    const runner = QueueRunner.start(
      this.store,
      { dataDir: this.options.dataDir, concurrency: this.options.concurrency },
      this.options.role,
    );
    if (!runner) {
      this.announceExecutor();
      return;
    }
    this.runner = runner;
    if (this.retryTimer) clearInterval(this.retryTimer);
    this.retryTimer = null;
    // From now on the runner reports epochs itself; the follower must not repeat them.
    this.follower.skipRecorded();
    this.offRunner = runner.on((event) => this.onRunnerEvent(event));
    // Frozen past its lease, this host lost the queue to another: it follows that one now.
    runner.onLost((lost) => {
      console.warn(lost.message);
      // Its trainers are being killed; stop() clears its timer once they have exited.
      void runner.stop({ cancel: false });
      this.offRunner?.();
      this.offRunner = null;
      this.runner = null;
      this.follower.skipRecorded();
      this.retryTimer = setInterval(() => this.tryExecute(), this.options.retryMs ?? 3000);
      this.retryTimer.unref();
      this.announceExecutor();
      this.emit('queue.changed', { reason: 'executor' });
    });
    this.announceExecutor();
    this.emit('queue.changed', { reason: 'executor' });
  }

  private announceExecutor(): void {
    const state = this.executorState();
    const key = JSON.stringify(state);
    if (key === this.executorKey) return;
    this.executorKey = key;
    this.emit('executor.changed', state);
  }

  private onRunnerEvent(event: RunnerEvent): void {
    if (event.type === 'epoch') this.follower.skipRecorded();
    this.emit('runner', event);
    if (event.type !== 'progress' && event.type !== 'log' && event.type !== 'epoch') {
      this.emit('queue.changed', { reason: event.type });
    }
  }

  /**
   * Changes made by other processes (a CLI's `queue cancel`, or the runs of another executor)
   * reach the UI through here: the store is the one place they all write.
   */
  private poll(): void {
    if (this.closed) return;
    try {
      const fp = this.store.fingerprint(EXECUTOR_KEY);
      if (fp !== this.fingerprint) {
        this.fingerprint = fp;
        this.emit('queue.changed', { reason: 'store' });
      }
      if (!this.runner) {
        this.announceExecutor();
        for (const event of this.follower.poll()) this.emit('runner', event);
      }
    } catch {
      // The database is busy or closing; the next poll tries again.
    }
  }

  /** A route changed the queue's rows: remember that, wake the runner, tell the UI. */
  private changed(reason: string): void {
    this.fingerprint = this.store.fingerprint(EXECUTOR_KEY);
    this.runner?.tick();
    this.emit('queue.changed', { reason });
  }

  /** Stop executing (running runs are asked to stop and resume later from their checkpoint). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.retryTimer) clearInterval(this.retryTimer);
    if (this.pollTimer) clearInterval(this.pollTimer);
    this.offRunner?.();
    if (this.runner) {
      // Closing the app is not the user cancelling: its runs stop at a minibatch with their
      // last epoch checkpointed, interrupted, and continue from there on resume, as after a crash.
      await this.runner.stop({ cancel: true, interrupt: true });
    }
    this.runner = null;
    this.listeners.clear();
    this.store.close();
  }
}

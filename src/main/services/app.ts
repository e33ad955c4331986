// The composition root the three hosts share: one store, the queue executor (or a follower of
// whichever process executes it), and a handler for every route of the shared contract.
// The web host serves these over HTTP + SSE, the Electron main over IPC; the CLI uses the
// same services directly.
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  ContractError,
  smoothRuns,
  type DatasetEntry,
  type EventName,
  type ExecutorState,
  type ExperimentSummary,
  type Handlers,
  type HostKind,
  type Payload,
  type QueueSnapshot,
  type Routes,
  type RunView,
  type SystemInfo,
} from '../../shared/contract';
import { RUN_STATUSES, runEta, type RunResult, type RunStatus } from '../../shared/results';
import { validateSpec } from '../../shared/spec';
import { datasetFilePath, isBuiltinDatasetId, listDatasets, loadDataset } from '../datasets';
import { importDataset } from '../datasets/import';
import { exportFigure, exportTable, TABLE_EXTENSIONS } from '../export';
import { Store, type ExperimentRow, type RunRow } from '../store';
import { checkpointPath } from '../trainer/checkpoint';
import { resolveBackendRequest } from '../trainer/backend/select';
import type { RunnerEvent } from '../../shared/events';
import { currentExecutor } from './executor-lease';
import { submitExperiment } from './experiments';
import { describeSystem } from './system-info';
import { defaultConcurrency, identityOf, QUEUE_CONCURRENCY, QUEUE_PAUSED, QueueRunner } from './queue';

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

type AppHandlers = Omit<Handlers<Routes>, 'host.openFile' | 'host.saveFile' | 'host.choosePaths'>;

const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

export class AnnealabApp {
  readonly store: Store;
  readonly handlers: AppHandlers;
  private runner: QueueRunner | null = null;
  private offRunner: (() => void) | null = null;
  private readonly listeners = new Set<AppListener>();
  private retryTimer: NodeJS.Timeout | null = null;
  private pollTimer: NodeJS.Timeout | null = null;
  private fingerprint = '';
  private lastEpochRowid = 0;
  private readonly progressSeen = new Map<string, string>();
  private executorKey = '';
  private closed = false;

  private constructor(readonly options: AppOptions) {
    this.store = Store.open(options.dataDir);
    this.handlers = this.buildHandlers();
  }

  /** Open the store, try to become the queue's executor, and start watching for changes. */
  static start(options: AppOptions): AnnealabApp {
    const app = new AnnealabApp(options);
    app.lastEpochRowid = app.maxEpochRowid();
    app.fingerprint = app.storeFingerprint();
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
    this.lastEpochRowid = this.maxEpochRowid();
    this.offRunner = runner.on((event) => this.onRunnerEvent(event));
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
    if (event.type === 'epoch') this.lastEpochRowid = Math.max(this.lastEpochRowid, this.maxEpochRowid());
    this.emit('runner', event);
    if (event.type !== 'progress' && event.type !== 'log' && event.type !== 'epoch') {
      this.emit('queue.changed', { reason: event.type });
    }
  }

  private maxEpochRowid(): number {
    return (this.store.db.prepare('SELECT COALESCE(MAX(rowid), 0) AS m FROM epochs').get() as { m: number })
      .m;
  }

  private storeFingerprint(): string {
    const runs = this.store.db
      .prepare(
        `SELECT COUNT(*) AS n, COALESCE(group_concat(id || status || queue_order || cancel_requested || attempts, ','), '') AS f
         FROM (SELECT * FROM runs ORDER BY queue_order)`,
      )
      .get() as { n: number; f: string };
    const settings = this.store.db
      .prepare(
        `SELECT COALESCE(group_concat(key || '=' || value, ','), '') AS f FROM settings WHERE key != 'executor'`,
      )
      .get() as { f: string };
    const experiments = this.store.db.prepare('SELECT COUNT(*) AS n FROM experiments').get() as { n: number };
    return `${runs.n}|${runs.f}|${settings.f}|${experiments.n}`;
  }

  /**
   * Changes made by other processes (a CLI's `queue cancel`, or the runs of another executor)
   * reach the UI through here: the store is the one place they all write.
   */
  private poll(): void {
    if (this.closed) return;
    try {
      const fp = this.storeFingerprint();
      if (fp !== this.fingerprint) {
        this.fingerprint = fp;
        this.emit('queue.changed', { reason: 'store' });
      }
      if (!this.runner) {
        this.announceExecutor();
        const rows = this.store.db
          .prepare('SELECT rowid, record FROM epochs WHERE rowid > ? ORDER BY rowid')
          .all(this.lastEpochRowid) as { rowid: number; record: string }[];
        for (const r of rows) {
          this.lastEpochRowid = r.rowid;
          this.emit('runner', JSON.parse(r.record) as RunnerEvent);
        }
        for (const run of this.store.runs.all()) {
          if (run.status !== 'running' || !run.progress) continue;
          if (this.progressSeen.get(run.id) === run.progress.at) continue;
          this.progressSeen.set(run.id, run.progress.at);
          const { epoch, step, steps, epochs } = run.progress;
          this.emit('runner', { ...identityOf(run), type: 'progress', epoch, step, steps, epochs });
        }
      }
    } catch {
      // The database is busy or closing; the next poll tries again.
    }
  }

  /** Stop executing (running runs are asked to stop and resume later from their checkpoint). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.retryTimer) clearInterval(this.retryTimer);
    if (this.pollTimer) clearInterval(this.pollTimer);
    this.offRunner?.();
    if (this.runner) {
      const running = this.runner.runningIds();
      await this.runner.stop({ cancel: true });
      // Closing the app is not the user cancelling: its runs stopped at a minibatch with their
      // last epoch checkpointed, and continue from there on resume, as after a crash.
      if (running.length > 0) {
        this.store.db
          .prepare(
            `UPDATE runs SET status = 'interrupted', finished_at = NULL
             WHERE status = 'cancelled' AND id IN (${running.map(() => '?').join(',')})`,
          )
          .run(...running);
      }
    }
    this.runner = null;
    this.listeners.clear();
    this.store.close();
  }

  // ---- reads -------------------------------------------------------------------------

  private epochCounts(): Map<string, number> {
    const rows = this.store.db.prepare('SELECT run_id, COUNT(*) AS n FROM epochs GROUP BY run_id').all() as {
      run_id: string;
      n: number;
    }[];
    return new Map(rows.map((r) => [r.run_id, r.n]));
  }

  private runView(run: RunRow, experiment: ExperimentRow, epochsDone: number): RunView {
    return {
      ...run,
      experimentName: experiment.name,
      epochsDone,
      epochs: experiment.spec.epochs,
      batchSize: experiment.spec.batchSize,
      etaSeconds: runEta(run),
    };
  }

  private experimentOrThrow(id: string): ExperimentRow {
    const e = this.store.experiments.get(id) ?? this.store.experiments.find(id);
    if (!e) throw new ContractError(`no experiment "${id}"`, 'not-found');
    return e;
  }

  private runOrThrow(id: string): RunRow {
    try {
      return this.store.runs.find(id);
    } catch (err) {
      throw new ContractError((err as Error).message, 'not-found');
    }
  }

  /** Runs of the selection with their epochs: whole experiments, narrowed to `runIds` if given. */
  selectResults(selection: { experimentIds: string[]; runIds?: string[] }): RunResult[] {
    const experimentIds = new Set(selection.experimentIds);
    for (const id of selection.runIds ?? []) experimentIds.add(this.runOrThrow(id).experimentId);
    const wanted = selection.runIds ? new Set(selection.runIds) : null;
    return [...experimentIds].flatMap((id) =>
      this.store.results(this.experimentOrThrow(id)).filter((r) => !wanted || wanted.has(r.runId)),
    );
  }

  private exportName(runs: readonly RunResult[]): string {
    const names = [...new Set(runs.map((r) => r.experimentName))];
    const base = names.length === 1 ? names[0]! : names.length > 1 ? 'comparison' : 'empty';
    return base.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '') || 'annealab';
  }

  queueSnapshot(): QueueSnapshot {
    const experiments = new Map(this.store.experiments.list().map((e) => [e.id, e]));
    const counts = this.epochCounts();
    const setting = this.store.settings.get<number>(QUEUE_CONCURRENCY) ?? null;
    let request: ReturnType<typeof resolveBackendRequest>['request'] = 'auto';
    try {
      request = resolveBackendRequest(null).request;
    } catch {
      // A bad ANNEALAB_BACKEND is reported when a run starts; here it only sets a default.
    }
    return {
      paused: this.store.settings.get<boolean>(QUEUE_PAUSED) ?? false,
      concurrency: {
        setting,
        effective: this.options.concurrency ?? setting ?? defaultConcurrency(request),
      },
      executor: this.executorState(),
      runs: this.store.runs.all().flatMap((r) => {
        const e = experiments.get(r.experimentId);
        return e ? [this.runView(r, e, counts.get(r.id) ?? 0)] : [];
      }),
    };
  }

  private experimentSummaries(): ExperimentSummary[] {
    const counts = this.epochCounts();
    return this.store.experiments.list().map((e) => {
      const runs = this.store.runs.forExperiment(e.id);
      const byStatus = Object.fromEntries(RUN_STATUSES.map((s) => [s, 0])) as Record<RunStatus, number>;
      for (const r of runs) byStatus[r.status]++;
      const planned = runs.length * e.spec.epochs;
      const done = runs.reduce(
        (sum, r) =>
          sum + (r.status === 'finished' ? e.spec.epochs : Math.min(counts.get(r.id) ?? 0, e.spec.epochs)),
        0,
      );
      const present = RUN_STATUSES.filter((s) => byStatus[s] > 0);
      const status: ExperimentSummary['status'] =
        byStatus.running > 0
          ? 'running'
          : present.length === 1
            ? present[0]!
            : byStatus.queued > 0
              ? 'queued'
              : 'mixed';
      const byLabel = new Map<string, number[]>();
      for (const r of runs) {
        const acc = r.status === 'finished' ? r.summary?.bestValAccuracy : null;
        if (acc == null) continue;
        byLabel.set(r.label, [...(byLabel.get(r.label) ?? []), acc]);
      }
      let best: ExperimentSummary['best'] = null;
      for (const [label, accs] of byLabel) {
        const accuracy = accs.reduce((a, b) => a + b, 0) / accs.length;
        if (!best || accuracy > best.accuracy) best = { label, accuracy, runs: accs.length };
      }
      return {
        id: e.id,
        name: e.name,
        createdAt: e.createdAt,
        spec: e.spec,
        runs: runs.length,
        counts: byStatus,
        progress: planned > 0 ? done / planned : 0,
        status,
        best,
      };
    });
  }

  private async datasetEntries(): Promise<DatasetEntry[]> {
    const ids = await listDatasets(this.dataDir);
    return ids.map((id) => {
      let bytes: number | null = null;
      try {
        bytes = statSync(datasetFilePath(this.dataDir, id)).size;
      } catch {
        // Not converted yet.
      }
      return { id, builtin: isBuiltinDatasetId(id), cached: bytes !== null, bytes };
    });
  }

  private systemInfo(): Promise<SystemInfo> {
    return describeSystem(this.store, this.dataDir, this.options.host);
  }

  private changed(reason: string): void {
    this.fingerprint = this.storeFingerprint();
    this.runner?.tick();
    this.emit('queue.changed', { reason });
  }

  private buildHandlers(): AppHandlers {
    const ok = { ok: true } as const;
    const handlers: AppHandlers = {
      'app.info': () => ({ host: this.options.host, version: pkg.version, dataDir: this.dataDir }),

      'experiments.list': () => this.experimentSummaries(),
      'experiments.validate': async ({ spec }) => {
        const result = validateSpec(spec, { datasets: await listDatasets(this.dataDir) });
        return result.ok ? { ok: true, problems: [] } : { ok: false, problems: result.problems };
      },
      'experiments.submit': async ({ spec }) => {
        const result = validateSpec(spec, { datasets: await listDatasets(this.dataDir) });
        if (!result.ok) {
          throw new ContractError(
            `not a valid experiment spec: ${result.problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`,
            'bad-input',
            result.problems,
          );
        }
        const { experiment, runs } = submitExperiment(this.store, result.spec);
        this.changed('submitted');
        return { experimentId: experiment.id, runIds: runs.map((r) => r.id) };
      },

      'runs.get': ({ runId }) => {
        const run = this.runOrThrow(runId);
        const experiment = this.experimentOrThrow(run.experimentId);
        const result = this.store.results(experiment).find((r) => r.runId === run.id)!;
        return {
          run: this.runView(run, experiment, result.epochs.length),
          experiment: { id: experiment.id, name: experiment.name, spec: experiment.spec },
          result,
        };
      },
      'results.get': (selection) => this.selectResults(selection),

      'queue.list': () => this.queueSnapshot(),
      'queue.pause': () => {
        this.store.settings.set(QUEUE_PAUSED, true);
        this.changed('paused');
        return ok;
      },
      'queue.resume': () => {
        this.store.settings.set(QUEUE_PAUSED, false);
        this.store.runs.requeueInterrupted();
        this.changed('resumed');
        return ok;
      },
      'queue.setConcurrency': ({ value }) => {
        if (value === null) this.store.settings.delete(QUEUE_CONCURRENCY);
        else this.store.settings.set(QUEUE_CONCURRENCY, value);
        this.changed('concurrency');
        return ok;
      },
      'queue.cancel': ({ runId }) => {
        const outcome = this.store.runs.requestCancel(this.runOrThrow(runId).id);
        this.changed('cancel');
        return { outcome };
      },
      'queue.retry': ({ runId, resume }) => {
        const run = this.runOrThrow(runId);
        if (resume) this.store.runs.requeueFromCheckpoint(run.id);
        else if (this.runner) this.runner.retry(run.id);
        else {
          this.store.runs.retry(run.id);
          rmSync(dirname(checkpointPath(this.dataDir, run.id)), { recursive: true, force: true });
        }
        this.changed('retry');
        return ok;
      },
      'queue.move': ({ runId, index }) => {
        this.store.runs.moveInQueue(this.runOrThrow(runId).id, index);
        this.changed('move');
        return ok;
      },

      'export.table': ({ format, options, perSeed, ...selection }) => {
        const runs = this.selectResults(selection);
        const content = exportTable(runs, format, { ...options, csv: { perSeed } });
        return {
          filename: `${this.exportName(runs)}${TABLE_EXTENSIONS[format]}`,
          mime: TABLE_MIME[format],
          content,
          encoding: 'utf8',
        };
      },
      'export.figure': ({ kind, format, options, ...selection }) => {
        const runs = smoothRuns(this.selectResults(selection), options.smoothing);
        const { smoothing: _smoothing, ...figure } = options;
        const filename = `${this.exportName(runs)}-${kind}.${format}`;
        if (format === 'svg') {
          return {
            filename,
            mime: 'image/svg+xml',
            content: exportFigure(runs, kind, 'svg', figure),
            encoding: 'utf8',
          };
        }
        return {
          filename,
          mime: 'image/png',
          content: exportFigure(runs, kind, 'png', figure).toString('base64'),
          encoding: 'base64',
        };
      },

      'datasets.list': () => this.datasetEntries(),
      'datasets.preview': async ({ id, samples }) => {
        const known = await listDatasets(this.dataDir);
        if (!known.includes(id)) throw new ContractError(`no dataset "${id}"`, 'not-found');
        const wasCached = existsSync(datasetFilePath(this.dataDir, id));
        const d = await loadDataset(this.dataDir, id);
        if (!wasCached) this.emit('datasets.changed', { id });
        const classCount = (labels: Uint8Array) => {
          const out = new Array<number>(d.classes.length).fill(0);
          for (const l of labels) out[l] = (out[l] ?? 0) + 1;
          return out;
        };
        const size = d.height * d.width * d.channels;
        const n = Math.min(samples, d.train.count);
        const stride = d.train.count / Math.max(1, n);
        return {
          id,
          height: d.height,
          width: d.width,
          channels: d.channels,
          classes: d.classes,
          trainCount: d.train.count,
          testCount: d.test.count,
          classCounts: { train: classCount(d.train.labels), test: classCount(d.test.labels) },
          samples: Array.from({ length: n }, (_, k) => {
            const i = Math.floor(k * stride);
            return {
              label: d.train.labels[i]!,
              pixels: Buffer.from(d.train.images.subarray(i * size, (i + 1) * size)).toString('base64'),
            };
          }),
          source: d.source,
          createdAt: d.createdAt,
        };
      },

      'datasets.import': async ({ paths, name, testFraction, resize }) => {
        const row = await importDataset(this.dataDir, this.store, paths, {
          name,
          testFraction,
          resize,
          onProgress: (p) => this.emit('datasets.importProgress', { name, ...p }),
        });
        this.emit('datasets.changed', { id: row.name });
        return {
          name: row.name,
          format: row.format,
          height: row.height,
          width: row.width,
          channels: row.channels,
          classes: row.classes,
          trainCount: row.trainCount,
          testCount: row.testCount,
          split: row.split,
          notes: row.notes,
        };
      },

      'system.info': () => this.systemInfo(),
    };
    // Store errors (a run that is not queued, a cancel of a finished run) are the user's to fix:
    // they reach the UI as messages, not as internal errors.
    for (const [name, handler] of Object.entries(handlers)) {
      (handlers as Record<string, unknown>)[name] = async (input: unknown) => {
        try {
          return await (handler as (i: unknown) => unknown)(input);
        } catch (err) {
          if (err instanceof ContractError) throw err;
          throw new ContractError(err instanceof Error ? err.message : String(err), 'conflict');
        }
      };
    }
    return handlers;
  }
}

const TABLE_MIME = {
  csv: 'text/csv',
  latex: 'application/x-tex',
  markdown: 'text/markdown',
  text: 'text/plain',
} as const;

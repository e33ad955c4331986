// The store: one object per table over one connection, and the joined reads the exports use.
import type { RunConfig, RunResult } from '../../shared/results';
import type { ExperimentSpec } from '../../shared/spec';
import { DatasetsTable } from './datasets';
import { openDatabase, type Db } from './db';
import { EpochsTable } from './epochs';
import { ExperimentsTable, type ExperimentRow } from './experiments';
import { RunsTable } from './runs';
import { SettingsTable } from './settings';

export { StoreRefusal } from './errors';
export type { DatasetRow, DatasetSource } from './datasets';
export type { ExperimentRow } from './experiments';
export type { RunRow, NewRun, RunProgress } from './runs';
export { RETRYABLE } from './runs';

export class Store {
  readonly experiments: ExperimentsTable;
  readonly runs: RunsTable;
  readonly epochs: EpochsTable;
  readonly settings: SettingsTable;
  readonly datasets: DatasetsTable;

  // Private: SQL lives in the table modules, so that every query has one home.
  constructor(private readonly db: Db) {
    this.settings = new SettingsTable(db);
    this.experiments = new ExperimentsTable(db);
    this.runs = new RunsTable(db);
    this.epochs = new EpochsTable(db);
    this.datasets = new DatasetsTable(db);
  }

  static open(dataDir: string): Store {
    return new Store(openDatabase(dataDir));
  }

  /** Run `work` in one transaction; `immediate` takes the write lock first (for read-then-write). */
  transaction<T>(work: () => T, options: { immediate?: boolean } = {}): T {
    const t = this.db.transaction(work);
    return options.immediate ? t.immediate() : t();
  }

  sqliteVersion(): string {
    return (this.db.prepare('SELECT sqlite_version() AS v').get() as { v: string }).v;
  }

  /**
   * What other processes may change and a UI shows (runs, settings but `except`, the number of
   * experiments), as one string: a changed string means "look again".
   */
  fingerprint(except: string): string {
    return `${this.runs.fingerprint()}|${this.settings.fingerprint(except)}|${this.experiments.count()}`;
  }

  /** Every run of an experiment with its epochs, in the shape the exports and the UI read. */
  results(experiment: ExperimentRow): RunResult[] {
    // Specs are stored as submitted then; one from an older version may lack a later field,
    // which then had the default that the schema gives it now.
    const spec = experiment.spec as Partial<ExperimentSpec> & Pick<ExperimentSpec, 'dataset' | 'epochs'>;
    const config: RunConfig = {
      dataset: {
        id: spec.dataset.id,
        trainSize: spec.dataset.trainSize ?? null,
        testSize: spec.dataset.testSize ?? null,
        seed: spec.dataset.seed ?? 0,
      },
      epochs: spec.epochs,
      batchSize: spec.batchSize ?? 512,
      dropLast: spec.dropLast ?? false,
      estimateBatches: spec.estimateBatches ?? 10,
      augment: spec.augment ?? false,
      init: spec.init ?? 'pytorch',
      backend: spec.backend ?? 'auto',
    };
    return this.runs.forExperiment(experiment.id).map((run) => ({
      runId: run.id,
      experimentId: experiment.id,
      experimentName: experiment.name,
      methodIndex: run.methodIndex,
      method: run.method,
      label: run.label,
      methodSpec: experiment.spec.methods[run.methodIndex]!,
      model: run.model,
      dataset: experiment.spec.dataset.id,
      seed: run.seed,
      batchSize: experiment.spec.batchSize,
      status: run.status,
      error: run.error,
      environment: run.environment,
      summary: run.summary,
      epochs: this.epochs.forRun(run.id),
      config,
    }));
  }

  close(): void {
    this.db.close();
  }
}

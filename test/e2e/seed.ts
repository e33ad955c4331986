// Recorded experiments written into a fresh data dir's SQLite file before the host starts, so
// that the UI tests and the screenshots show real curves (test/fixtures/mnist-small: MLP and
// LeNet-5, six methods, three seeds, 25 epochs) without training for minutes first.
import type { EpochRecord } from '../../src/shared/records';
import type { RunResult } from '../../src/shared/results';
import { specSchema, type ExperimentSpec } from '../../src/shared/spec';
import { Store } from '../../src/main/store';
import { mnistSmallRuns } from '../fixtures/mnist-small';

export interface SeedOptions {
  name: string;
  /** Only these networks; all of the recording by default. */
  models?: string[];
  /** Only the first `epochs` epochs of every run (a differently configured experiment). */
  epochs?: number;
  /** Leave the last run failed, with this error, for the queue's failed row. */
  failLast?: string;
  /**
   * Leave every run of this method (spec position) failed after its epochs: the live view draws
   * them, an export draws finished runs only. The palette must not shift between the two.
   */
  failMethod?: number;
  /** The spec's description and tags, for the views that show them. */
  description?: string;
  tags?: string[];
}

function specOf(runs: RunResult[], o: SeedOptions): ExperimentSpec {
  const methods = [...new Map(runs.map((r) => [r.methodIndex, r.methodSpec])).entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([, m]) => m);
  return specSchema.parse({
    name: o.name,
    dataset: { id: 'mnist', trainSize: 600, testSize: 300 },
    models: [...new Set(runs.map((r) => r.model))],
    methods,
    seeds: [...new Set(runs.map((r) => r.seed))],
    epochs: o.epochs ?? Math.max(...runs.map((r) => r.epochs.length)),
    batchSize: runs[0]!.batchSize,
    ...(o.description !== undefined && { description: o.description }),
    ...(o.tags && { tags: o.tags }),
  });
}

/** Writes one recorded experiment; returns its id. */
export function seedRecorded(dataDir: string, o: SeedOptions): string {
  const runs = mnistSmallRuns().filter((r) => !o.models || o.models.includes(r.model));
  const store = Store.open(dataDir);
  try {
    return store.transaction(() => {
      const experiment = store.experiments.insert(specOf(runs, o));
      const rows = store.runs.insertAll(
        experiment.id,
        runs.map((r, position) => ({
          position,
          methodIndex: r.methodIndex,
          method: r.method,
          label: r.label,
          model: r.model,
          seed: r.seed,
        })),
      );
      rows.forEach((row, i) => {
        const run = runs[i]!;
        const epochs = run.epochs.slice(0, o.epochs ?? run.epochs.length);
        store.runs.markRunning(row.id);
        for (const e of epochs) {
          const record: EpochRecord = { ...e, experimentId: experiment.id, runId: row.id };
          store.epochs.insert(record);
        }
        const failed =
          (o.failLast !== undefined && i === rows.length - 1) || run.methodIndex === o.failMethod;
        const best = epochs.reduce((a, e) => (e.val.accuracy > a.val.accuracy ? e : a), epochs[0]!);
        store.runs.markEnded(
          row.id,
          failed ? 'failed' : 'finished',
          failed
            ? null
            : {
                bestEpoch: best.epoch,
                bestValAccuracy: best.val.accuracy,
                minValLoss: Math.min(...epochs.map((e) => e.val.loss)),
                minValLossThesis: Math.min(...epochs.map((e) => e.val.lossThesis ?? e.val.loss)),
                epochs: epochs.length,
                seconds: epochs.at(-1)!.counters.seconds,
                bestWeightsPath: null,
              },
          failed ? (o.failLast ?? 'the trainer process exited with code 137 (out of memory?)') : null,
        );
      });
      return experiment.id;
    });
  } finally {
    store.close();
  }
}

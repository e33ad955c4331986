// Submitting an experiment: its row and its whole grid of queued runs, in one transaction.
import type { ExperimentSpec } from '../../shared/spec';
import type { ExperimentRow, RunRow, Store } from '../store';
import { experimentGrid } from './grid';

export function submitExperiment(
  store: Store,
  spec: ExperimentSpec,
): { experiment: ExperimentRow; runs: RunRow[] } {
  return store.db.transaction(() => {
    const experiment = store.experiments.insert(spec);
    const runs = store.runs.insertAll(experiment.id, experimentGrid(spec));
    return { experiment, runs };
  })();
}

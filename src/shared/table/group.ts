// Grouping of runs into methods (rows, or chart series) and networks or datasets (columns),
// shared by the table model and the chart builders so that both name and order things alike.
import type { MethodId } from '../ids';
import type { RunResult } from '../results';
import { datasetName, modelName } from './names';

/** What a column group stands for: a network, a dataset, or both when the runs vary in both. */
export type ColumnKind = 'model' | 'dataset' | 'model-dataset';

export interface ColumnGroup {
  key: string;
  /** As printed in a table heading: "VGG16", "MNIST", "VGG16 (MNIST)". */
  title: string;
  model: string;
  dataset: string;
}

export interface MethodGroup {
  /** Unique among the groups; the label unless two methods of one experiment share it. */
  key: string;
  /** As printed: the run label with its key parameters ("SGD (η = 0.1)"). */
  label: string;
  method: MethodId;
  /** Position in the first experiment that has this method. */
  methodIndex: number;
  runs: RunResult[];
}

export interface RunGrouping {
  columnKind: ColumnKind;
  columns: ColumnGroup[];
  methods: MethodGroup[];
  /** Experiments in the order their runs first appear. */
  experiments: { id: string; name: string }[];
}

export function columnKindOf(runs: readonly RunResult[]): ColumnKind {
  const models = new Set(runs.map((r) => r.model));
  const datasets = new Set(runs.map((r) => r.dataset));
  if (datasets.size > 1 && models.size > 1) return 'model-dataset';
  if (datasets.size > 1) return 'dataset';
  return 'model';
}

export function columnOf(run: RunResult, kind: ColumnKind): ColumnGroup {
  const { model, dataset } = run;
  switch (kind) {
    case 'model':
      return { key: model, title: modelName(model), model, dataset };
    case 'dataset':
      return { key: dataset, title: datasetName(dataset), model, dataset };
    case 'model-dataset':
      return {
        key: `${model}\u0000${dataset}`,
        title: `${modelName(model)} (${datasetName(dataset)})`,
        model,
        dataset,
      };
  }
}

/**
 * Groups runs by method and by column. Runs of several experiments that carry the same label
 * are one method: the label holds the key parameters, which is what a reader compares. Two
 * methods of one experiment that print the same label (e.g. differing only in weight decay)
 * stay apart, numbered by their position in the spec.
 */
export function groupRuns(runs: readonly RunResult[]): RunGrouping {
  const experiments: { id: string; name: string }[] = [];
  const experimentOrder = new Map<string, number>();
  for (const r of runs) {
    if (!experimentOrder.has(r.experimentId)) {
      experimentOrder.set(r.experimentId, experiments.length);
      experiments.push({ id: r.experimentId, name: r.experimentName });
    }
  }

  // Labels that two positions of one experiment share.
  const indexesByLabel = new Map<string, Set<number>>();
  for (const r of runs) {
    const k = `${r.experimentId}\u0000${r.label}`;
    const set = indexesByLabel.get(k) ?? new Set<number>();
    set.add(r.methodIndex);
    indexesByLabel.set(k, set);
  }
  const keyOf = (r: RunResult) => {
    const shared = (indexesByLabel.get(`${r.experimentId}\u0000${r.label}`)?.size ?? 1) > 1;
    return shared
      ? { key: `${r.label}\u0000${r.methodIndex}`, label: `${r.label} [method ${r.methodIndex + 1}]` }
      : { key: r.label, label: r.label };
  };

  const sorted = runs
    .map((r, i) => ({ r, i }))
    .sort(
      (a, b) =>
        experimentOrder.get(a.r.experimentId)! - experimentOrder.get(b.r.experimentId)! ||
        a.r.methodIndex - b.r.methodIndex ||
        a.i - b.i,
    )
    .map((x) => x.r);

  const methods = new Map<string, MethodGroup>();
  for (const r of sorted) {
    const { key, label } = keyOf(r);
    const group = methods.get(key);
    if (group) group.runs.push(r);
    else methods.set(key, { key, label, method: r.method, methodIndex: r.methodIndex, runs: [r] });
  }

  const columnKind = columnKindOf(runs);
  const columns = new Map<string, ColumnGroup>();
  for (const r of runs) {
    const c = columnOf(r, columnKind);
    if (!columns.has(c.key)) columns.set(c.key, c);
  }

  return { columnKind, columns: [...columns.values()], methods: [...methods.values()], experiments };
}

// Grouping of runs into comparable groups (table rows, chart series) and networks or datasets
// (columns), shared by the table model and the chart builders so that both name and order
// things alike. A group holds only runs that are the same experiment but for their seed:
// same method with the same parameters, same dataset subset, epochs, batch size,
// augmentation, initialisation and backend class. Nothing is ever averaged across groups;
// where groups differ in a setting, their labels say in which (as a run comparer lists the
// config keys that differ).
import type { MethodId } from '../ids';
import type { RunResult } from '../results';
import type { MethodSpec } from '../spec';
import { datasetName, modelName } from './names';
import { backendClasses, canonical, parameters, SETTINGS } from './settings';

export { backendClassOf, configurationKey, runBackendClass, type BackendClass } from './settings';

/** What a column group stands for: a network, a dataset, or both when the runs vary in both. */
export type ColumnKind = 'model' | 'dataset' | 'model-dataset';

export interface ColumnGroup {
  key: string;
  /** As printed in a table heading: "VGG16", "MNIST", "VGG16 (MNIST)", "MNIST · epochs 3". */
  title: string;
  model: string;
  dataset: string;
  /** Settings that differ between columns, with this column's values (see `RunGrouping.columnSettings`). */
  differs: SettingDifference[];
}

/** One setting in which a group differs from others of the comparison, as printed. */
export interface SettingDifference {
  /** Which setting: "epochs", "train", "weightDecay". */
  name: string;
  /** This group's value, as printed: "3", "1,000", "all", "on". */
  value: string;
}

export interface MethodGroup {
  /** Unique among the groups. */
  key: string;
  /** As printed: the run label, then what sets the group apart ("SGD (η = 0.1) · epochs 3, train 1,000"). */
  label: string;
  /**
   * The method as a reader names it, without the run settings: the run label, plus the
   * parameters that tell it from a method of the same label. Groups of one method under
   * different settings share it (a baseline is a method and is tested setting by setting).
   */
  methodName: string;
  /** Same for groups of the same method with the same parameters. */
  methodKey: string;
  /** Same for groups whose runs share every setting but the method: those compare with each other. */
  settingsKey: string;
  /** The settings (and parameters) in which this group differs from others, in label order. */
  differs: SettingDifference[];
  method: MethodId;
  methodSpec: MethodSpec;
  /** Position in the first experiment that has this method. */
  methodIndex: number;
  runs: RunResult[];
}

/** A run left out because its group already holds a run of the same seed on the same column. */
export interface DuplicateRun {
  run: RunResult;
  /** The group's key and label. */
  groupKey: string;
  group: string;
  column: string;
  /** The run that is counted instead. */
  kept: RunResult;
}

export interface RunGrouping {
  columnKind: ColumnKind;
  columns: ColumnGroup[];
  methods: MethodGroup[];
  /** Experiments in the order their runs first appear. */
  experiments: { id: string; name: string }[];
  /** Names of the run settings that differ ("epochs", "train"), in rows or in columns. */
  differingSettings: string[];
  /** Those of them that go with the columns (each network or dataset ran with one value). */
  columnSettings: string[];
  duplicates: DuplicateRun[];
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
      return { key: model, title: modelName(model), model, dataset, differs: [] };
    case 'dataset':
      return { key: dataset, title: datasetName(dataset), model, dataset, differs: [] };
    case 'model-dataset':
      return {
        key: `${model}\u0000${dataset}`,
        title: `${modelName(model)} (${datasetName(dataset)})`,
        model,
        dataset,
        differs: [],
      };
  }
}

/** Which of `values` (one per group) differ; undefined (no config) matches anything. */
function differs(values: readonly unknown[]): boolean {
  return new Set(values.filter((v) => v !== undefined).map(canonical)).size > 1;
}

function label(base: string, parts: readonly SettingDifference[]): string {
  return parts.length ? `${base} · ${parts.map((p) => `${p.name} ${p.value}`).join(', ')}` : base;
}

/**
 * Groups runs by everything that defines them (see the file's head) and by column, and
 * keeps one run per group, column and seed: a seed repeats the same run, so a second copy
 * (the same experiment run twice, say) would only inflate n. The copy kept is the first
 * finished one in the order the runs were given (experiments as selected), else the first.
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
  const backend = backendClasses(runs);

  const sorted = runs
    .map((r, i) => ({ r, i }))
    .sort(
      (a, b) =>
        experimentOrder.get(a.r.experimentId)! - experimentOrder.get(b.r.experimentId)! ||
        a.r.methodIndex - b.r.methodIndex ||
        a.i - b.i,
    )
    .map((x) => x.r);

  const columnKind = columnKindOf(runs);

  // First pass: groups by method (label and parameters) and settings.
  interface Draft {
    key: string;
    methodKey: string;
    settingsKey: string;
    settings: unknown[];
    first: RunResult;
    runs: RunResult[];
  }
  const full = new Map(sorted.map((r) => [r, SETTINGS.map((s) => s.value(r, backend.get(r) ?? null))]));
  const columnBound = columnBoundSettings(sorted, full, columnKind);
  const drafts = new Map<string, Draft>();
  for (const r of sorted) {
    // A setting that goes with the column is named in the column's title and splits no row.
    const settings = full.get(r)!.map((v, i) => (columnBound[i] ? undefined : v));
    const methodKey = canonical([r.label, parameters(r.methodSpec)]);
    const settingsKey = canonical(settings);
    const key = `${methodKey}\u0000${settingsKey}`;
    const draft = drafts.get(key);
    if (draft) draft.runs.push(r);
    else drafts.set(key, { key, methodKey, settingsKey, settings, first: r, runs: [r] });
  }
  const list = [...drafts.values()];

  // What the labels must name: settings that differ anywhere in the comparison, and the
  // parameters that tell apart two methods printed with the same label.
  const differingSettings = SETTINGS.filter((_, i) => differs(list.map((d) => d.settings[i])));
  const columnSettings = SETTINGS.filter((_, i) => columnBound[i]);
  const differingParams = new Map<string, string[]>();
  for (const d of list) {
    if (differingParams.has(d.first.label)) continue;
    const same = list.filter((o) => o.first.label === d.first.label);
    const specs = [...new Map(same.map((o) => [o.methodKey, parameters(o.first.methodSpec)])).values()];
    const keys = [...new Set(specs.flatMap((s) => Object.keys(s)))].sort();
    differingParams.set(
      d.first.label,
      keys.filter((k) => differs(specs.map((s) => s[k] ?? null))),
    );
  }

  const duplicates: DuplicateRun[] = [];
  const methods: MethodGroup[] = list.map((d) => {
    const spec = parameters(d.first.methodSpec);
    const paramParts = (differingParams.get(d.first.label) ?? []).map((k) => ({
      name: k,
      value: typeof spec[k] === 'object' && spec[k] !== null ? canonical(spec[k]) : String(spec[k] ?? '–'),
    }));
    const settingParts = differingSettings.flatMap((s) => {
      const v = d.settings[SETTINGS.indexOf(s)];
      return v === undefined ? [] : [{ name: s.name, value: s.print(v) }];
    });
    const methodName = label(d.first.label, paramParts);
    const groupLabel = label(methodName, settingParts);
    return {
      key: d.key,
      label: groupLabel,
      methodName,
      methodKey: d.methodKey,
      settingsKey: d.settingsKey,
      differs: [...paramParts, ...settingParts],
      method: d.first.method,
      methodSpec: d.first.methodSpec,
      methodIndex: d.first.methodIndex,
      runs: keepOnePerSeed(d.runs, columnKind, { key: d.key, label: groupLabel }, duplicates),
    };
  });

  const columns = new Map<string, ColumnGroup>();
  for (const r of sorted) {
    const c = columnOf(r, columnKind);
    const known = columns.get(c.key);
    const parts = columnSettings.flatMap((setting) => {
      const v = full.get(r)![SETTINGS.indexOf(setting)];
      return v === undefined ? [] : [{ name: setting.name, value: setting.print(v) }];
    });
    // Runs without a config (hand-built) name nothing; a later run of the column may.
    if (!known || (known.differs.length === 0 && parts.length > 0)) {
      columns.set(c.key, { ...c, title: label(c.title, parts), differs: parts });
    }
  }
  // In the order the runs were given, as before (not the sorted order).
  const order = [...new Set(runs.map((r) => columnOf(r, columnKind).key))];

  return {
    columnKind,
    columns: order.map((k) => columns.get(k)!),
    methods,
    experiments,
    differingSettings: [...columnSettings, ...differingSettings].map((s) => s.name),
    columnSettings: columnSettings.map((s) => s.name),
    duplicates,
  };
}

/**
 * Which settings go with the columns: they differ, but every column's runs share one value
 * (LeNet-5 ran 3 epochs, the MLP 12). Those are named in the column titles and split no row,
 * which keeps a table of separately run networks or datasets compact; no cell mixes values.
 */
function columnBoundSettings(
  runs: readonly RunResult[],
  full: ReadonlyMap<RunResult, unknown[]>,
  columnKind: ColumnKind,
): boolean[] {
  const columnKeys = runs.map((r) => columnOf(r, columnKind).key);
  if (new Set(columnKeys).size < 2) return SETTINGS.map(() => false);
  return SETTINGS.map((_, i) => {
    const all = new Set<string>();
    const byColumn = new Map<string, Set<string>>();
    runs.forEach((r, j) => {
      const v = full.get(r)![i];
      if (v === undefined) return;
      const text = canonical(v);
      all.add(text);
      const set = byColumn.get(columnKeys[j]!) ?? new Set<string>();
      set.add(text);
      byColumn.set(columnKeys[j]!, set);
    });
    return all.size > 1 && [...byColumn.values()].every((set) => set.size === 1);
  });
}

const counts = (r: RunResult) => r.status === 'finished' && r.epochs.length > 0;

function keepOnePerSeed(
  runs: readonly RunResult[],
  columnKind: ColumnKind,
  group: { key: string; label: string },
  duplicates: DuplicateRun[],
): RunResult[] {
  const bySlot = new Map<string, RunResult[]>();
  for (const r of runs) {
    const slot = `${columnOf(r, columnKind).key}\u0000${r.seed}`;
    bySlot.set(slot, [...(bySlot.get(slot) ?? []), r]);
  }
  const kept = new Set<RunResult>();
  for (const same of bySlot.values()) {
    const keep = same.find(counts) ?? same.find((r) => r.epochs.length > 0) ?? same[0]!;
    kept.add(keep);
    for (const r of same) {
      if (r !== keep) {
        const column = columnOf(r, columnKind).title;
        duplicates.push({ run: r, groupKey: group.key, group: group.label, column, kept: keep });
      }
    }
  }
  return runs.filter((r) => kept.has(r));
}

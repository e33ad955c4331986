// The comparison table as plain data: rows = methods, column groups = networks (or datasets),
// each with a Loss and an Accuracy cell summarising the seeds. Every renderer (CSV, LaTeX,
// Markdown, terminal) and the UI draw this one model, so they cannot disagree on a number.
import type { MethodId } from '../ids';
import type { EpochRecord } from '../records';
import type { RunResult, RunStatus } from '../results';
import type { LossNorm, SignificanceTest, TableStat } from '../options';
import { mannWhitneyU, mean, pairedTTest, sampleStd, welchTTest } from '../stats';
import { roundedForComparison, type Metric } from './format';
import {
  columnOf,
  groupRuns,
  type ColumnGroup,
  type ColumnKind,
  type MethodGroup,
  type SettingDifference,
} from './group';

export type { TableStat, LossNorm, SignificanceTest };

export interface TableOptions {
  /**
   * `best`: min validation loss and max validation accuracy over epochs (the thesis); `final`:
   * last epoch; `ensemble`: the snapshot ensemble's after the last epoch (restart and SGDR runs).
   */
  stat: TableStat;
  /** `mean`: mean cross-entropy; `thesis`: the thesis's Loss column (METHODS.md, "Loss in tables"). */
  norm: LossNorm;
  /** Test every method against this one: a label ("SGD (η = 0.1)", "SGD (eta = 0.1)") or a method id. */
  baseline?: string;
  test?: SignificanceTest;
  /** Validation accuracy, as a fraction, for the time-to-target columns. */
  timeToTarget?: number;
}

/** Marks for p-values, strictest first; the notes under a table explain them. */
export const SIGNIFICANCE_LEVELS = [
  { below: 0.01, mark: '**' },
  { below: 0.05, mark: '*' },
] as const;

export function significanceMark(p: number | null | undefined): string {
  if (p == null || !Number.isFinite(p)) return '';
  return SIGNIFICANCE_LEVELS.find((l) => p < l.below)?.mark ?? '';
}

export interface Cell {
  /** Mean over seeds. Accuracy is a fraction here; renderers print percent. */
  mean: number;
  /** Sample standard deviation; null for a single seed (printed without ±). */
  std: number | null;
  n: number;
  /** One value per included run, in the order of `seeds`. */
  perSeed: number[];
  seeds: number[];
  /** Best of its column as printed (ties all marked). */
  isBest: boolean;
  /** Against the baseline; absent without a baseline or in the baseline's row, null when untestable. */
  pValue?: number | null;
}

export interface Summary {
  mean: number;
  std: number | null;
}

/** Cost of reaching the target validation accuracy, over the seeds that reached it. */
export interface TimeToTargetCell {
  n: number;
  reached: number;
  /** Epoch (1-based) at whose end the target was first met. */
  epochs: Summary | null;
  seconds: Summary | null;
  forward: Summary | null;
  backward: Summary | null;
}

export interface GroupCells {
  loss: Cell | null;
  accuracy: Cell | null;
  /** Present when the options ask for a target; null when no finished run. */
  timeToTarget?: TimeToTargetCell | null;
}

export interface TableRow {
  key: string;
  label: string;
  method: MethodId;
  isBaseline: boolean;
  /** Equal for rows trained alike (all but the method): best marks and tests stay within them. */
  settingsKey: string;
  /** The settings and parameters that set this row apart, as its label names them. */
  differs: SettingDifference[];
  /** Aligned with `ComparisonTable.columns`; a group with no finished run has null cells. */
  cells: GroupCells[];
}

export interface ExcludedRun {
  runId: string;
  label: string;
  column: string;
  seed: number;
  status: RunStatus;
  reason: string;
}

export type TableNoteKind =
  'missing' | 'excluded' | 'configurations' | 'duplicate-seed' | 'significance' | 'test-power';

export interface TableNote {
  kind: TableNoteKind;
  /** Plain Unicode text; renderers escape it for their format. */
  text: string;
}

export interface ComparisonTable {
  options: TableOptions & { test: SignificanceTest };
  experiments: { id: string; name: string }[];
  columnKind: ColumnKind;
  columns: ColumnGroup[];
  rows: TableRow[];
  baseline: { key: string; label: string } | null;
  /** Fewest and most seeds behind a non-empty cell (0 when the table is empty). */
  seedsPerCell: { min: number; max: number };
  /** Distinct numbers of epochs among the included runs. */
  epochCounts: number[];
  /**
   * The run settings that differ among the runs (see groupRuns): `inColumns` go with the
   * columns and are named in their titles, the rest split rows and are named in row labels.
   */
  settings: { differing: string[]; inColumns: string[] };
  /** A sentence describing what the cells are, for a caption. */
  caption: string;
  notes: TableNote[];
  excluded: ExcludedRun[];
}

export const METRICS: readonly Metric[] = ['loss', 'accuracy'];

/** The loss an epoch reports under a normalisation. */
export function validationLoss(e: EpochRecord, norm: LossNorm): number {
  return norm === 'thesis' ? e.val.lossThesis : e.val.loss;
}

/** The per-run value a cell summarises. */
export function runValue(
  epochs: readonly EpochRecord[],
  metric: Metric,
  stat: TableStat,
  norm: LossNorm,
): number {
  if (stat === 'ensemble') {
    const ensemble = lastEpoch(epochs)?.ensemble;
    if (!ensemble) return NaN;
    return metric === 'loss' ? (norm === 'thesis' ? ensemble.lossThesis : ensemble.loss) : ensemble.accuracy;
  }
  const values = epochs.map((e) => (metric === 'loss' ? validationLoss(e, norm) : e.val.accuracy));
  if (stat === 'final') {
    let last = 0;
    for (let i = 1; i < epochs.length; i++) if (epochs[i]!.epoch > epochs[last]!.epoch) last = i;
    return values[last] ?? NaN;
  }
  // A diverged epoch (NaN or ∞ loss) has no claim to be the best one.
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return NaN;
  return metric === 'loss' ? Math.min(...finite) : Math.max(...finite);
}

function lastEpoch(epochs: readonly EpochRecord[]): EpochRecord | undefined {
  return epochs.reduce<EpochRecord | undefined>(
    (last, e) => (!last || e.epoch > last.epoch ? e : last),
    undefined,
  );
}

/** Why a finished run has no value under `stat`, or null when it has one. */
function missingValue(r: RunResult, stat: TableStat): string | null {
  if (r.epochs.length === 0) return 'finished with no epochs recorded';
  if (stat === 'ensemble' && !lastEpoch(r.epochs)?.ensemble)
    return 'no snapshot ensemble (only restart and SGDR runs keep one, from their first restart on)';
  return null;
}

function summarise(values: readonly number[]): Summary | null {
  if (values.length === 0) return null;
  return { mean: mean(values), std: values.length > 1 ? sampleStd(values) : null };
}

/** Greek letters and symbols typed as words, so that a baseline can be given in ASCII. */
function normaliseLabel(s: string): string {
  const words: Record<string, string> = {
    η: 'eta',
    β: 'beta',
    ε: 'epsilon',
    α: 'alpha',
    γ: 'gamma',
    '×': 'x',
  };
  return s
    .toLowerCase()
    .replace(/[ηβεαγ×]/g, (c) => words[c]!)
    .replace(/\beps\b/g, 'epsilon')
    .replace(/\s+/g, '');
}

/**
 * The groups of the one method that `query` names: every group of it, one per run setting.
 * Accepts a row's label, the method's name without the settings, a row number, an ASCII
 * spelling of either ("eta" for η), a method id that one method has, or the start of one
 * method's name; anything else is refused with the candidates named. `what` names the
 * option in the message ("baseline", "--methods").
 */
export function matchMethod(methods: readonly MethodGroup[], query: string, what = 'method'): MethodGroup[] {
  const identities = [...new Map(methods.map((m) => [m.methodKey, m])).values()];
  const all = (one: MethodGroup) => methods.filter((m) => m.methodKey === one.methodKey);
  const names = (list: readonly MethodGroup[]) => list.map((m) => `"${m.methodName}"`).join(', ');
  const exact = methods.find((m) => m.label === query || m.key === query || m.methodName === query);
  if (exact) return all(exact);
  // A row number as the table prints its rows, from 1: quicker than a label with Greek letters.
  if (/^\d+$/.test(query)) {
    const row = methods[Number(query) - 1];
    if (row) return all(row);
    throw new Error(`${what} row ${query} does not exist: the table has rows 1 to ${methods.length}`);
  }
  const wanted = normaliseLabel(query);
  const byLabel = methods.filter(
    (m) => normaliseLabel(m.label) === wanted || normaliseLabel(m.methodName) === wanted,
  );
  if (byLabel.length > 0 && new Set(byLabel.map((m) => m.methodKey)).size === 1) return all(byLabel[0]!);
  const byId = identities.filter((m) => m.method === query.toLowerCase());
  if (byId.length === 1) return all(byId[0]!);
  const byPrefix = identities.filter((m) => normaliseLabel(m.methodName).startsWith(wanted));
  if (wanted && byPrefix.length === 1) return all(byPrefix[0]!);
  const ambiguous = byPrefix.length > 1 ? byPrefix : byId;
  if (ambiguous.length > 1) {
    throw new Error(
      `${what} "${query}" matches ${ambiguous.length} methods (${names(ambiguous)}); give more of its label or its row number (1 for the first row)`,
    );
  }
  throw new Error(`${what} "${query}" is none of the methods: ${names(identities)}`);
}

/**
 * The methods a baseline (or --methods) can name, one per method whatever its settings, as
 * `matchMethod` takes them exactly: what a UI's baseline select should offer.
 */
export function methodChoices(runs: readonly RunResult[]): string[] {
  return [...new Set(groupRuns(runs).methods.map((m) => m.methodName))];
}

/** The baseline method's groups, one per run setting: each row is tested against the one trained alike. */
export function resolveBaseline(methods: readonly MethodGroup[], baseline: string): MethodGroup[] {
  return matchMethod(methods, baseline, 'baseline');
}

/**
 * The runs of the methods that `queries` name (each as `matchMethod` takes it), for a
 * figure or table of some methods only. An empty list selects every run.
 */
export function selectMethods(runs: readonly RunResult[], queries: readonly string[]): RunResult[] {
  if (queries.length === 0) return [...runs];
  const { methods, duplicates } = groupRuns(runs);
  const chosen = new Set(queries.flatMap((q) => matchMethod(methods, q, 'method').map((m) => m.key)));
  const keep = new Set(methods.filter((m) => chosen.has(m.key)).flatMap((m) => m.runs));
  // A duplicate seed stays with its group, so the table built from the selection still notes it.
  for (const d of duplicates) if (chosen.has(d.groupKey)) keep.add(d.run);
  return runs.filter((r) => keep.has(r));
}

/** The values of the seeds both cells hold, in the same order: the pairs of a paired test. */
function seedPairs(cell: Cell, ref: Cell): [number[], number[]] {
  const refBySeed = new Map(ref.seeds.map((seed, i) => [seed, ref.perSeed[i]!]));
  const a: number[] = [];
  const b: number[] = [];
  cell.seeds.forEach((seed, i) => {
    const other = refBySeed.get(seed);
    if (other === undefined) return;
    a.push(cell.perSeed[i]!);
    b.push(other);
  });
  return [a, b];
}

function buildCell(runs: readonly RunResult[], metric: Metric, options: TableOptions): Cell {
  const perSeed = runs.map((r) => runValue(r.epochs, metric, options.stat, options.norm));
  return {
    mean: mean(perSeed),
    std: perSeed.length > 1 ? sampleStd(perSeed) : null,
    n: perSeed.length,
    perSeed,
    seeds: runs.map((r) => r.seed),
    isBest: false,
  };
}

function buildTimeToTarget(runs: readonly RunResult[], target: number): TimeToTargetCell {
  const hits: EpochRecord[] = [];
  for (const r of runs) {
    const ordered = [...r.epochs].sort((a, b) => a.epoch - b.epoch);
    const hit = ordered.find((e) => e.val.accuracy >= target);
    if (hit) hits.push(hit);
  }
  return {
    n: runs.length,
    reached: hits.length,
    epochs: summarise(hits.map((e) => e.epoch)),
    seconds: summarise(hits.map((e) => e.counters.seconds)),
    forward: summarise(hits.map((e) => e.counters.forward)),
    backward: summarise(hits.map((e) => e.counters.backward)),
  };
}

/** Marks the best cell of every column (group × metric) by its printed value; ties all win. */
function markBest(rows: readonly TableRow[], columns: number): void {
  for (let g = 0; g < columns; g++) {
    for (const metric of METRICS) {
      const cells = rows
        .map((r) => r.cells[g]![metric])
        .filter((c): c is Cell => c !== null && Number.isFinite(c.mean));
      // A lone value is not "best" of anything.
      if (cells.length < 2) continue;
      const printed = cells.map((c) => roundedForComparison(metric, c.mean));
      const target = metric === 'loss' ? Math.min(...printed) : Math.max(...printed);
      cells.forEach((c, i) => (c.isBest = printed[i] === target));
    }
  }
}

function binomial(n: number, k: number): number {
  let r = 1;
  for (let i = 1; i <= k; i++) r = (r * (n - k + i)) / i;
  return r;
}

const TEST_NAMES: Record<SignificanceTest, string> = {
  welch: "Welch's t-test",
  paired: 'paired t-test',
  mannwhitney: 'Mann–Whitney U test',
};

function describeTable(
  experiments: readonly { name: string }[],
  options: TableOptions,
  epochCounts: readonly number[],
  seeds: { min: number; max: number },
): string {
  const lossKind =
    options.norm === 'thesis'
      ? "loss in the thesis's normalisation (summed minibatch-mean cross-entropy / test examples)"
      : 'loss (mean cross-entropy)';
  const over =
    epochCounts.length === 1 ? `${epochCounts[0]} epoch${epochCounts[0] === 1 ? '' : 's'}` : 'all epochs';
  const what =
    options.stat === 'best'
      ? `Minimum validation ${lossKind} and maximum validation accuracy (%) over ${over}`
      : options.stat === 'ensemble'
        ? `Validation ${lossKind} and validation accuracy (%) of the snapshot ensemble (averaged softmax of the last snapshots before restarts) after ${over.replace('all epochs', 'the last epoch')}`
        : `Validation ${lossKind} and validation accuracy (%) after the last epoch (${over.replace('all epochs', 'runs of different lengths')})`;
  let spread = '';
  if (seeds.max > 1) {
    const n = seeds.min === seeds.max ? `${seeds.max} seeds` : `${seeds.min}–${seeds.max} seeds per cell`;
    spread = `; mean ± sample standard deviation over ${n}`;
  } else if (seeds.max === 1) {
    spread = '; one seed';
  }
  // Two experiments may share a name (the same spec submitted twice): name it once.
  const names = [...new Set(experiments.map((e) => e.name))].join(', ');
  return names ? `${names}: ${what[0]!.toLowerCase()}${what.slice(1)}${spread}.` : `${what}${spread}.`;
}

/**
 * Builds the comparison table. Only finished runs count; the others are left out and listed
 * in the notes, and a method × network with no finished run is an empty cell (a dash), so a
 * missing result can never read as a zero.
 */
export function buildComparisonTable(runs: readonly RunResult[], options: TableOptions): ComparisonTable {
  const test: SignificanceTest = options.test ?? 'welch';
  if (options.timeToTarget !== undefined && !(options.timeToTarget > 0 && options.timeToTarget <= 1)) {
    throw new RangeError(
      `timeToTarget is a validation accuracy fraction in (0, 1] (0.9 for 90 %), got ${options.timeToTarget}`,
    );
  }
  const grouping = groupRuns(runs);
  const { columns, columnKind } = grouping;
  const notes: TableNote[] = [];
  const excluded: ExcludedRun[] = [];
  const baselineGroups = options.baseline ? resolveBaseline(grouping.methods, options.baseline) : null;
  const baselineGroup = baselineGroups?.[0] ?? null;
  const epochCounts = new Set<number>();

  const rows: TableRow[] = grouping.methods.map((m) => {
    const included = new Map<string, RunResult[]>();
    for (const r of m.runs) {
      const column = columnOf(r, columnKind);
      const missing = r.status === 'finished' ? missingValue(r, options.stat) : null;
      if (r.status !== 'finished' || missing) {
        const reason =
          r.status === 'finished'
            ? missing!
            : r.status === 'failed' && r.error
              ? `failed: ${r.error}`
              : r.status;
        excluded.push({
          runId: r.runId,
          label: m.label,
          column: column.title,
          seed: r.seed,
          status: r.status,
          reason,
        });
        continue;
      }
      const list = included.get(column.key) ?? [];
      list.push(r);
      included.set(column.key, list);
      epochCounts.add(r.epochs.reduce((mx, e) => Math.max(mx, e.epoch), 0));
    }
    const cells: GroupCells[] = columns.map((c) => {
      // groupRuns keeps one run per seed: a cell never counts a seed twice.
      const list = included.get(c.key) ?? [];
      const group: GroupCells = {
        loss: list.length ? buildCell(list, 'loss', options) : null,
        accuracy: list.length ? buildCell(list, 'accuracy', options) : null,
      };
      if (options.timeToTarget !== undefined) {
        group.timeToTarget = list.length ? buildTimeToTarget(list, options.timeToTarget) : null;
      }
      return group;
    });
    return {
      key: m.key,
      label: m.label,
      method: m.method,
      settingsKey: m.settingsKey,
      differs: m.differs,
      isBaseline: baselineGroups?.includes(m) ?? false,
      cells,
    };
  });

  // Best of a column among rows trained alike: 12 epochs beating 3 says nothing of the method.
  for (const block of new Set(rows.map((r) => r.settingsKey))) {
    markBest(
      rows.filter((r) => r.settingsKey === block),
      columns.length,
    );
  }

  // Significance against the baseline, cell by cell on the per-seed values.
  const tooFewForMark = new Set<string>();
  const withoutBaseline = new Set<string>();
  if (baselineGroup) {
    for (const row of rows) {
      if (row.isBaseline) continue;
      // Against the baseline trained with the same settings, never another configuration.
      const base = rows.find((r) => r.isBaseline && r.settingsKey === row.settingsKey);
      if (!base) withoutBaseline.add(row.label);
      row.cells.forEach((group, g) => {
        for (const metric of METRICS) {
          const cell = group[metric];
          const ref = base?.cells[g]![metric];
          if (!cell) continue;
          if (!ref) {
            cell.pValue = null;
            continue;
          }
          const result =
            test === 'welch'
              ? welchTTest(cell.perSeed, ref.perSeed)
              : test === 'paired'
                ? pairedTTest(...seedPairs(cell, ref))
                : mannWhitneyU(cell.perSeed, ref.perSeed);
          cell.pValue = Number.isFinite(result.pValue) ? result.pValue : null;
          if (
            test === 'mannwhitney' &&
            2 / binomial(cell.n + ref.n, cell.n) >= SIGNIFICANCE_LEVELS[1].below
          ) {
            tooFewForMark.add(`${Math.min(cell.n, ref.n)} and ${Math.max(cell.n, ref.n)}`);
          }
        }
      });
    }
  }

  const filled = rows.flatMap((r) => r.cells.flatMap((g) => (g.loss ? [g.loss.n] : [])));
  const seedsPerCell = filled.length
    ? { min: Math.min(...filled), max: Math.max(...filled) }
    : { min: 0, max: 0 };

  if (rows.some((r) => r.cells.some((g) => g.loss === null))) {
    notes.push({
      kind: 'missing',
      text: `– : no finished run of this method on this ${columnKind === 'dataset' ? 'dataset' : 'network'}.`,
    });
  }
  if (excluded.length) {
    const list = excluded.map((x) => `${x.label}, ${x.column}, seed ${x.seed} (${x.reason})`).join('; ');
    const count =
      excluded.length === 1
        ? '1 run that did not finish is'
        : `${excluded.length} runs that did not finish are`;
    notes.push({ kind: 'excluded', text: `Left out: ${count} not counted: ${list}.` });
  }
  if (grouping.differingSettings.length) {
    const what = grouping.differingSettings.join(', ');
    const inRows = grouping.differingSettings.some((n) => !grouping.columnSettings.includes(n));
    const inColumns = grouping.columnSettings.length > 0;
    const where = inRows && inColumns ? 'row or column' : inColumns ? 'column' : 'row';
    notes.push({
      kind: 'configurations',
      text:
        `The runs differ in ${what}: each setting is its own ${where}, ` +
        'named by what differs; nothing is averaged across them, and best values and tests compare rows of the ' +
        'same settings only.',
    });
  }
  for (const d of grouping.duplicates) {
    const where = (r: RunResult) => `${r.experimentName} (run ${r.runId.slice(0, 8)})`;
    notes.push({
      kind: 'duplicate-seed',
      text:
        `${d.group} on ${d.column}: seed ${d.run.seed} ran twice; ${where(d.kept)} is counted and ` +
        `${where(d.run)} left out, since a seed repeats the same run and counting both would overstate n.`,
    });
  }
  if (baselineGroup) {
    const marks = SIGNIFICANCE_LEVELS.map((l) => `${l.mark} p < ${l.below}`)
      .reverse()
      .join(', ');
    notes.push({
      kind: 'significance',
      text:
        `${marks}: two-sided ${TEST_NAMES[test]} of the per-seed values against ${baselineGroup.methodName}${baselineGroups!.length > 1 ? ' with the same settings' : ''}` +
        (test === 'welch'
          ? '; cells with fewer than 2 seeds on either side are not tested.'
          : test === 'paired'
            ? ', seed by seed (a seed gives both the same initial weights and data order); cells with fewer than 2 seeds in common are not tested.'
            : '.'),
    });
    if (withoutBaseline.size) {
      notes.push({
        kind: 'significance',
        text: `Not tested, since no run of the baseline ${baselineGroup.methodName} has their settings: ${[...withoutBaseline].join('; ')}.`,
      });
    }
    for (const sizes of tooFewForMark) {
      notes.push({
        kind: 'test-power',
        text: `With ${sizes} seeds the ${TEST_NAMES[test]} cannot reach p < ${SIGNIFICANCE_LEVELS[1].below}; run more seeds.`,
      });
    }
  }

  const counts = [...epochCounts].sort((a, b) => a - b);
  return {
    options: { ...options, test },
    experiments: grouping.experiments,
    columnKind,
    columns,
    rows,
    baseline: baselineGroup ? { key: baselineGroup.methodKey, label: baselineGroup.methodName } : null,
    seedsPerCell,
    settings: { differing: grouping.differingSettings, inColumns: grouping.columnSettings },
    epochCounts: counts,
    caption: describeTable(grouping.experiments, options, counts, seedsPerCell),
    notes,
    excluded,
  };
}

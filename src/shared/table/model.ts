// The comparison table as plain data: rows = methods, column groups = networks (or datasets),
// each with a Loss and an Accuracy cell summarising the seeds. Every renderer (CSV, LaTeX,
// Markdown, terminal) and the UI draw this one model, so they cannot disagree on a number.
import type { MethodId } from '../ids';
import type { EpochRecord } from '../records';
import type { RunResult, RunStatus } from '../results';
import { mannWhitneyU, mean, pairedTTest, sampleStd, welchTTest } from '../stats';
import { roundedForComparison, type Metric } from './format';
import { columnOf, groupRuns, type ColumnGroup, type ColumnKind, type MethodGroup } from './group';

export type TableStat = 'best' | 'final' | 'ensemble';
export type LossNorm = 'mean' | 'thesis';
export type SignificanceTest = 'welch' | 'paired' | 'mannwhitney';

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

export type TableNoteKind = 'missing' | 'excluded' | 'duplicate-seed' | 'significance' | 'test-power';

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

function resolveBaseline(methods: readonly MethodGroup[], baseline: string): MethodGroup {
  const exact = methods.find((m) => m.label === baseline || m.key === baseline);
  if (exact) return exact;
  // A row number as the table prints its rows, from 1: quicker than a label with Greek letters.
  if (/^\d+$/.test(baseline)) {
    const row = methods[Number(baseline) - 1];
    if (row) return row;
    throw new Error(`baseline row ${baseline} does not exist: the table has rows 1 to ${methods.length}`);
  }
  const wanted = normaliseLabel(baseline);
  const byLabel = methods.filter((m) => normaliseLabel(m.label) === wanted);
  if (byLabel.length === 1) return byLabel[0]!;
  const byId = methods.filter((m) => m.method === baseline);
  if (byId.length === 1) return byId[0]!;
  const labels = methods.map((m) => `"${m.label}"`).join(', ');
  if (byId.length > 1) {
    throw new Error(
      `baseline "${baseline}" matches ${byId.length} methods (${byId.map((m) => `"${m.label}"`).join(', ')}); give its label or its row number (1 for the first row)`,
    );
  }
  throw new Error(`baseline "${baseline}" is none of the methods: ${labels}`);
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
  const names = experiments.map((e) => e.name).join(', ');
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
  const baselineGroup = options.baseline ? resolveBaseline(grouping.methods, options.baseline) : null;
  const epochCounts = new Set<number>();
  const duplicateNotes: string[] = [];

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
      const list = included.get(c.key) ?? [];
      const seen = new Map<number, number>();
      for (const r of list) seen.set(r.seed, (seen.get(r.seed) ?? 0) + 1);
      for (const [seed, count] of seen) {
        if (count > 1) duplicateNotes.push(`${m.label} on ${c.title}: seed ${seed} appears in ${count} runs`);
      }
      const group: GroupCells = {
        loss: list.length ? buildCell(list, 'loss', options) : null,
        accuracy: list.length ? buildCell(list, 'accuracy', options) : null,
      };
      if (options.timeToTarget !== undefined) {
        group.timeToTarget = list.length ? buildTimeToTarget(list, options.timeToTarget) : null;
      }
      return group;
    });
    return { key: m.key, label: m.label, method: m.method, isBaseline: m === baselineGroup, cells };
  });

  markBest(rows, columns.length);

  // Significance against the baseline, cell by cell on the per-seed values.
  const tooFewForMark = new Set<string>();
  if (baselineGroup) {
    const base = rows.find((r) => r.isBaseline)!;
    for (const row of rows) {
      if (row.isBaseline) continue;
      row.cells.forEach((group, g) => {
        for (const metric of METRICS) {
          const cell = group[metric];
          const ref = base.cells[g]![metric];
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
  for (const d of duplicateNotes) notes.push({ kind: 'duplicate-seed', text: `${d}; all are counted.` });
  if (baselineGroup) {
    const marks = SIGNIFICANCE_LEVELS.map((l) => `${l.mark} p < ${l.below}`)
      .reverse()
      .join(', ');
    notes.push({
      kind: 'significance',
      text:
        `${marks}: two-sided ${TEST_NAMES[test]} of the per-seed values against ${baselineGroup.label}` +
        (test === 'welch'
          ? '; cells with fewer than 2 seeds on either side are not tested.'
          : test === 'paired'
            ? ', seed by seed (a seed gives both the same initial weights and data order); cells with fewer than 2 seeds in common are not tested.'
            : '.'),
    });
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
    baseline: baselineGroup ? { key: baselineGroup.key, label: baselineGroup.label } : null,
    seedsPerCell,
    epochCounts: counts,
    caption: describeTable(grouping.experiments, options, counts, seedsPerCell),
    notes,
    excluded,
  };
}

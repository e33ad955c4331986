// Every choice a comparison table or a figure offers, declared once: the zod schemas of the
// contract, the CLI's `.choices()` and the renderer's selects all read these lists, so a value
// one of them accepts is a value all of them accept, and every label is spelled once.
// Plain data only (no echarts, no zod): the renderer, the trainer-free CLI and the schemas can
// all import it.

/** Validation statistic per run: the thesis's best over epochs, or the last epoch. */
export const TABLE_STATS = ['best', 'final', 'ensemble'] as const;
export type TableStat = (typeof TABLE_STATS)[number];
export const TABLE_STAT_LABELS: Record<TableStat, string> = {
  best: 'best epoch (min loss, max accuracy)',
  final: 'last epoch',
  ensemble: 'snapshot ensemble after the last epoch (restart and SGDR runs)',
};

/** Validation loss as mean cross-entropy, or in the thesis's normalisation (METHODS.md). */
export const LOSS_NORMS = ['mean', 'thesis'] as const;
export type LossNorm = (typeof LOSS_NORMS)[number];
export const LOSS_NORM_LABELS: Record<LossNorm, string> = {
  mean: 'mean cross-entropy',
  thesis: "the thesis's normalisation",
};

/** Two-sided tests of each method's per-seed values against the baseline's. */
export const SIGNIFICANCE_TESTS = ['welch', 'paired', 'mannwhitney'] as const;
export type SignificanceTest = (typeof SIGNIFICANCE_TESTS)[number];
export const SIGNIFICANCE_TEST_LABELS: Record<SignificanceTest, string> = {
  welch: "Welch's t-test",
  paired: 'paired t-test (seed by seed)',
  mannwhitney: 'Mann–Whitney U test',
};

/** Files a comparison table is written as. */
export const TABLE_FORMATS = ['csv', 'latex', 'markdown', 'text'] as const;
export type TableFormat = (typeof TABLE_FORMATS)[number];
export const TABLE_FORMAT_LABELS: Record<TableFormat, string> = {
  csv: 'CSV',
  latex: 'LaTeX',
  markdown: 'Markdown',
  text: 'plain text',
};
export const TABLE_EXTENSIONS: Record<TableFormat, string> = {
  csv: '.csv',
  latex: '.tex',
  markdown: '.md',
  text: '.txt',
};

/** The thesis's figure types (see FIGURE_DESCRIPTIONS). */
export const FIGURE_KINDS = [
  'val-accuracy',
  'val-loss',
  'train-vs-val-accuracy',
  'train-vs-val-loss',
  'train-loss-restarts',
  'acceptance',
  'moves',
  'move-histogram',
] as const;
export type FigureKind = (typeof FIGURE_KINDS)[number];
/** Short names, for a select or a legend. */
export const FIGURE_KIND_TITLES: Record<FigureKind, string> = {
  'val-accuracy': 'Validation accuracy',
  'val-loss': 'Validation loss',
  'train-vs-val-accuracy': 'Train vs. validation accuracy',
  'train-vs-val-loss': 'Train vs. validation loss',
  'train-loss-restarts': 'Training loss and restarts',
  acceptance: 'Acceptance probability',
  moves: 'Worsening moves',
  'move-histogram': 'Gradient step vs. random move',
};
/** What each figure shows and where the thesis has it, for `--help` and tooltips. */
export const FIGURE_DESCRIPTIONS: Record<FigureKind, string> = {
  'val-accuracy': 'Validation accuracy of each method over training (thesis Fig. 4.3–4.8)',
  'val-loss': 'Validation loss of each method over training (thesis Fig. 4.3–4.8)',
  'train-vs-val-accuracy': 'Training estimate against validation accuracy, per method (thesis Fig. 3.5–3.7)',
  'train-vs-val-loss': 'Training estimate against validation loss, per method (thesis Fig. 3.5–3.7)',
  'train-loss-restarts':
    'Training-loss estimate on a log scale, with restarts and the restart threshold marked (thesis Fig. 2.1, 2.5–2.9)',
  acceptance:
    'Acceptance probability of worsening moves over training, SSA and SGD-SA (thesis Fig. 3.3, 4.1)',
  moves:
    'Accepted and rejected worsening moves per epoch, with ε drops marked, SSA and SGD-SA (thesis Fig. 3.4, 4.2)',
  'move-histogram':
    "η·gradient against SSA's random move at one epoch's end, runs with the spec's moveHistogram (thesis Fig. 3.1, 3.2)",
};

/** Files a figure is written as. */
export const FIGURE_FORMATS = ['svg', 'png'] as const;
export type FigureFormat = (typeof FIGURE_FORMATS)[number];

/** What a figure's x axis counts. Wall time and passes compare methods per unit of compute (METHODS.md). */
export const CHART_X_AXES = ['epoch', 'seconds', 'forward'] as const;
export type ChartX = (typeof CHART_X_AXES)[number];
export const X_AXIS_NAMES: Record<ChartX, string> = {
  epoch: 'Epoch',
  seconds: 'Wall time (s)',
  forward: 'Forward passes',
};

/**
 * Curve smoothing: an exponential moving average's weight, from `min` (none) up to but not
 * including `below` (1 would freeze the curve at its first value).
 */
export const SMOOTHING = { min: 0, below: 1, max: 0.99, step: 0.01, default: 0 } as const;

/** Whether `value` is one of `allowed`, narrowing its type (for CLI flags and query strings). */
export function isOneOf<T extends string>(allowed: readonly T[], value: unknown): value is T {
  return typeof value === 'string' && (allowed as readonly string[]).includes(value);
}

// The thesis's figure types as ECharts options, built from runs: validation curves of several
// methods (Fig. 4.3–4.8), train against validation (Fig. 3.5–3.7), training loss with restart
// markers (Fig. 2.1, 2.5–2.9), acceptance probability over training (Fig. 3.3, 4.1) and
// accepted / rejected worsening moves per epoch with ε drops (Fig. 3.4, 4.2).
import type { EChartsOption, LineSeriesOption, ScatterSeriesOption, SeriesOption } from 'echarts';
import type { EpochRecord } from '../records';
import type { RunResult } from '../results';
import { restartThresholdMeanCe } from '../spec';
import { validationLoss, type LossNorm } from '../table/model';
import { FIGURE_DESCRIPTIONS, FIGURE_KINDS, type FigureKind } from '../options';
import { aggregateByEpoch, xOf, type ChartX } from './aggregate';
import { moveHistogramApplies, moveHistogramFigure } from './move-histogram';
import {
  AUX_PREFIX,
  TRAINING_ID,
  VALIDATION_ID,
  MIN_FONT_SIZE,
  PALETTE,
  bandSeries,
  compactPanels,
  emptyFigure,
  frame,
  inPanel,
  panelTitles,
  seriesGroups,
  subtitle,
  type ChartOptions,
  type SeriesGroup,
} from './frame';

// The kinds and their descriptions live with the other table and figure options.
export { FIGURE_KINDS, FIGURE_DESCRIPTIONS, type FigureKind };

/** Each method once in the legend, in the groups' order (a method spans several panels). */
const legendOf = (groups: readonly SeriesGroup[]) => [...new Set(groups.map((g) => g.name))];
const placed = (series: SeriesOption[], g: SeriesGroup) => series.map((s) => inPanel(s, g.panel));

export interface FigureOptions extends ChartOptions {
  /** Validation loss: mean cross-entropy (default) or the thesis's normalisation. */
  norm?: LossNorm;
  /** Loss on a log axis; default on for the restart figure, off otherwise. */
  logY?: boolean;
  /** move-histogram: the epoch to draw (the last recorded when absent). */
  epoch?: number;
}

export function isFigureKind(kind: string): kind is FigureKind {
  return (FIGURE_KINDS as readonly string[]).includes(kind);
}

const PERCENT = { min: 0, max: 100 };
const NON_NEGATIVE = { min: 0 };

const hasAcceptance = (e: EpochRecord) => (e.acceptance?.count ?? 0) > 0;

/** Whether the runs hold what the figure draws (the acceptance and moves figures need SSA or SGD-SA). */
export function figureApplies(kind: FigureKind, runs: readonly RunResult[]): boolean {
  const epochs = runs.flatMap((r) => r.epochs);
  if (kind === 'acceptance') return epochs.some(hasAcceptance);
  if (kind === 'moves') return epochs.some((e) => e.moves !== null);
  if (kind === 'move-histogram') return moveHistogramApplies(runs);
  return epochs.length > 0;
}

function lossAxisName(norm: LossNorm): string {
  return norm === 'thesis'
    ? "Validation loss (thesis's normalisation)"
    : 'Validation loss (mean cross-entropy)';
}

function validationFigure(
  runs: readonly RunResult[],
  metric: 'accuracy' | 'loss',
  o: FigureOptions,
): EChartsOption {
  const x = o.x ?? 'epoch';
  const norm = o.norm ?? 'mean';
  const log = metric === 'loss' && (o.logY ?? false);
  const groups = seriesGroups(runs, o);
  const series = groups.flatMap((g, i) =>
    placed(
      bandSeries(
        aggregateByEpoch(
          g.runs,
          (e) => (metric === 'accuracy' ? e.val.accuracy : positiveIf(log, validationLoss(e, norm))),
          x,
        ),
        {
          id: `val:${i}`,
          name: g.name,
          color: g.color,
          lineType: g.lineType,
          scale: metric === 'accuracy' ? 100 : 1,
          positive: log,
          range: metric === 'accuracy' ? PERCENT : NON_NEGATIVE,
          bands: o.bands,
        },
      ),
      g,
    ),
  );
  return frame({
    width: o.width,
    title: o.title ?? (metric === 'accuracy' ? 'Validation accuracy' : 'Validation loss'),
    subtitle: subtitle(groups),
    x,
    yName: metric === 'accuracy' ? 'Validation accuracy (%)' : lossAxisName(norm),
    yLog: log,
    yRange: metric === 'accuracy' ? PERCENT : NON_NEGATIVE,
    panels: panelTitles(groups),
    legend: legendOf(groups),
    series,
  });
}

/** Log axes cannot show zero or negative values. */
function positiveIf(log: boolean, v: number): number | null {
  return log && !(v > 0) ? null : v;
}

function trainVsValFigure(
  runs: readonly RunResult[],
  metric: 'accuracy' | 'loss',
  o: FigureOptions,
): EChartsOption {
  const x = o.x ?? 'epoch';
  const log = metric === 'loss' && (o.logY ?? false);
  const groups = seriesGroups(runs, o);
  const scale = metric === 'accuracy' ? 100 : 1;
  // One legend entry per method toggles both of its lines; the line style tells them apart.
  const series = groups.flatMap((g, i) => {
    const pick = (e: EpochRecord, split: 'train' | 'val') =>
      positiveIf(log, metric === 'accuracy' ? e[split].accuracy : e[split].loss);
    return placed(
      [
        ...bandSeries(
          aggregateByEpoch(g.runs, (e) => pick(e, 'val'), x),
          {
            id: `${VALIDATION_ID}${i}`,
            name: g.name,
            color: g.color,
            lineType: 'solid',
            scale,
            positive: log,
            range: metric === 'accuracy' ? PERCENT : NON_NEGATIVE,
            bands: o.bands,
          },
        ),
        ...bandSeries(
          aggregateByEpoch(g.runs, (e) => pick(e, 'train'), x),
          {
            id: `${TRAINING_ID}${i}`,
            name: g.name,
            color: g.color,
            lineType: 'dashed',
            scale,
            positive: log,
            range: metric === 'accuracy' ? PERCENT : NON_NEGATIVE,
            bands: o.bands,
          },
        ),
      ],
      g,
    );
  });
  return frame({
    width: o.width,
    title:
      o.title ??
      (metric === 'accuracy' ? 'Training and validation accuracy' : 'Training and validation loss'),
    subtitle: `${subtitle(groups)} · solid: validation; dashed: training estimate on random minibatches`,
    x,
    yName: metric === 'accuracy' ? 'Accuracy (%)' : 'Loss (mean cross-entropy)',
    yLog: log,
    yRange: metric === 'accuracy' ? PERCENT : NON_NEGATIVE,
    panels: panelTitles(groups),
    legend: legendOf(groups),
    series,
  });
}

/**
 * Keeps marker labels apart: a label is drawn only where no other label of the figure sits within
 * `fraction` of the x axis, so that restarts or ε drops a few epochs apart, in one group or in
 * several, do not print over each other (their dashed lines are all still drawn).
 */
class LabelSpacer {
  private readonly taken: number[] = [];
  private readonly gap: number;

  constructor(runs: readonly RunResult[], x: ChartX, fraction = 0.07) {
    let lo = Infinity;
    let hi = -Infinity;
    for (const r of runs) {
      for (const e of r.epochs) {
        const v = xOf(e, x);
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
    }
    this.gap = hi > lo ? fraction * (hi - lo) : 0;
  }

  claim(at: number): boolean {
    if (this.taken.some((t) => Math.abs(t - at) < this.gap)) return false;
    this.taken.push(at);
    return true;
  }
}

/**
 * One label spacer per panel (labels of different panels cannot collide), each keeping labels
 * apart by a share of the x axis that grows with the number of panels, since each is narrower.
 */
function panelSpacers(
  runs: readonly RunResult[],
  x: ChartX,
  groups: readonly SeriesGroup[],
): (panel: number) => LabelSpacer {
  const panels = Math.max(1, new Set(groups.map((g) => g.panel)).size);
  const spacers = new Map<number, LabelSpacer>();
  return (panel) => {
    let s = spacers.get(panel);
    if (!s) spacers.set(panel, (s = new LabelSpacer(runs, x, Math.min(0.3, 0.07 * panels))));
    return s;
  };
}

/** Vertical marker lines at x positions, one per position, labelled with how many seeds share it. */
function verticalMarks(
  marks: readonly { x: number; seed: number }[],
  label: (count: number) => string,
  color: string,
  spacer: LabelSpacer,
): NonNullable<LineSeriesOption['markLine']>['data'] {
  const byX = new Map<number, Set<number>>();
  for (const m of marks) byX.set(m.x, (byX.get(m.x) ?? new Set()).add(m.seed));
  return [...byX.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([xv, seeds]) => ({
      xAxis: xv,
      lineStyle: { color, type: 'dashed', width: 1.2 },
      label: {
        show: spacer.claim(xv),
        formatter: label(seeds.size),
        position: 'end',
        color,
        fontSize: MIN_FONT_SIZE,
      },
    }));
}

function restartFigure(runs: readonly RunResult[], o: FigureOptions): EChartsOption {
  const x = o.x ?? 'epoch';
  const log = o.logY ?? true;
  const groups = seriesGroups(runs, o);
  const spacerOf = panelSpacers(runs, x, groups);
  const series = groups.flatMap((g, i) => {
    const spacer = spacerOf(g.panel);
    const points = aggregateByEpoch(g.runs, (e) => positiveIf(log, e.train.loss), x);
    const marks: { x: number; seed: number }[] = [];
    for (const r of g.runs) {
      for (const e of r.epochs)
        for (const _ of e.restartEvents ?? []) marks.push({ x: xOf(e, x), seed: r.seed });
    }
    const lines = verticalMarks(marks, (n) => (n > 1 ? `restart ×${n}` : 'restart'), g.color, spacer) ?? [];
    const markLine = lines.length ? { symbol: ['none', 'none'], silent: true, data: lines } : undefined;
    const curves = bandSeries(points, {
      id: `train:${i}`,
      name: g.name,
      color: g.color,
      lineType: g.lineType,
      positive: log,
      range: NON_NEGATIVE,
      bands: o.bands,
      line: markLine ? ({ markLine } as Partial<LineSeriesOption>) : {},
    });
    const run = g.method.runs[0]!;
    const spec = run.methodSpec;
    if (spec.id !== 'restart' || points.length === 0) return placed(curves, g);
    // The curve is the mean CE; a threshold on the thesis's scale is drawn where it fires there.
    const threshold = restartThresholdMeanCe(spec, run.batchSize);
    const thresholdLabel =
      threshold === spec.restartEpsilon
        ? `threshold ε = ${spec.restartEpsilon}`
        : `threshold ε = ${spec.restartEpsilon} (thesis scale: mean CE ${formatThreshold(threshold)})`;
    // The threshold as a two-point series, not a markLine: ECharts (6.0) does not draw a markLine
    // on a log axis below about 0.01 (apache/echarts#21580), and thresholds are 1e-4 to 1e-7.
    const first = points[0]!.x;
    const last = points[points.length - 1]!.x;
    const thresholdLine: LineSeriesOption = {
      id: `${AUX_PREFIX}threshold:${i}`,
      name: g.name,
      type: 'line',
      silent: true,
      // An invisible symbol: ECharts attaches a data label to its symbol, and 'none' has none.
      symbol: 'circle',
      symbolSize: 0,
      showSymbol: true,
      lineStyle: { color: g.color, type: 'dotted', width: 1.2 },
      itemStyle: { color: g.color },
      data: [
        [first, threshold],
        {
          value: [last, threshold],
          label: {
            show: true,
            position: 'top',
            align: 'right',
            formatter: thresholdLabel,
            color: g.color,
            fontSize: MIN_FONT_SIZE,
          },
        },
      ],
      z: 2,
    };
    return placed([...curves, thresholdLine], g);
  });
  return frame({
    width: o.width,
    title: o.title ?? 'Training loss and restarts',
    subtitle: `${subtitle(groups)} · training loss: estimate on random minibatches`,
    x,
    yName: 'Training loss (mean cross-entropy)',
    yLog: log,
    yRange: NON_NEGATIVE,
    panels: panelTitles(groups),
    legend: legendOf(groups),
    series,
  });
}

/** 0.0064, 6.4e-5: enough digits to read a threshold, none of float noise. */
function formatThreshold(v: number): string {
  return v >= 1e-3 ? String(Number(v.toPrecision(3))) : v.toExponential(2).replace(/\.?0+e/, 'e');
}

/** At most this many acceptance samples per series, so that an SVG stays a few hundred kB. */
const MAX_SAMPLES = 4000;

function acceptanceFigure(runs: readonly RunResult[], o: FigureOptions): EChartsOption {
  const x = o.x ?? 'epoch';
  const title = o.title ?? 'Acceptance probability of worsening moves';
  const groups = compactPanels(
    seriesGroups(runs, o).filter((g) => g.runs.some((r) => r.epochs.some(hasAcceptance))),
  );
  if (groups.length === 0) return emptyFigure(title, 'No SSA or SGD-SA run recorded a worsening move.');
  const series: SeriesOption[] = [];
  groups.forEach((g, i) => {
    // The samples of each epoch spread evenly across it, in the order they were drawn (Fig. 3.3).
    const cloud: [number, number][] = [];
    for (const r of g.runs) {
      const ordered = [...r.epochs].sort((a, b) => a.epoch - b.epoch);
      let prevX = 0;
      for (const e of ordered) {
        const end = x === 'epoch' ? e.epoch : xOf(e, x);
        const start = x === 'epoch' ? e.epoch - 1 : prevX;
        const sample = e.acceptance?.sample ?? [];
        sample.forEach((p, j) => cloud.push([start + ((end - start) * (j + 0.5)) / sample.length, p]));
        prevX = end;
      }
    }
    const stride = Math.max(1, Math.ceil(cloud.length / MAX_SAMPLES));
    const scatter: ScatterSeriesOption = {
      id: `${AUX_PREFIX}samples:${i}`,
      name: g.name,
      type: 'scatter',
      data: cloud.filter((_, j) => j % stride === 0),
      symbolSize: 3,
      itemStyle: { color: g.color, opacity: 0.3 },
      silent: true,
      z: 2,
    };
    const means = aggregateByEpoch(g.runs, (e) => (hasAcceptance(e) ? e.acceptance!.mean : null), x);
    // The epoch mean sits at the middle of its epoch, among its samples.
    const centred = x === 'epoch' ? means.map((p) => ({ ...p, x: p.x - 0.5 })) : means;
    series.push(
      ...placed(
        bandSeries(centred, {
          id: `mean:${i}`,
          name: g.name,
          color: g.color,
          lineType: g.lineType,
          range: { min: 0, max: 1 },
          bands: o.bands,
        }),
        g,
      ),
    );
    // After the line, so that the legend shows a line for the method.
    series.push(inPanel(scatter, g.panel));
  });
  return frame({
    width: o.width,
    title,
    subtitle: `${subtitle(groups)} · dots: p of sampled worsening moves; line: epoch mean`,
    x,
    xMin: 0,
    ...(x === 'epoch'
      ? { xMax: Math.max(...groups.flatMap((g) => g.runs.flatMap((r) => r.epochs.map((e) => e.epoch)))) }
      : {}),
    yName: 'Acceptance probability p',
    yMin: 0,
    yMax: 1,
    panels: panelTitles(groups),
    legend: legendOf(groups),
    series,
  });
}

function movesFigure(runs: readonly RunResult[], o: FigureOptions): EChartsOption {
  const x = o.x ?? 'epoch';
  const title = o.title ?? 'Worsening moves per epoch';
  const groups = compactPanels(
    seriesGroups(runs, o).filter((g) => g.runs.some((r) => r.epochs.some((e) => e.moves !== null))),
  );
  if (groups.length === 0)
    return emptyFigure(title, 'No SSA or SGD-SA runs: only they make worsening moves.');
  // One method: colour tells accepted from rejected. Several: colour is the method (as in every
  // other figure) and the line style tells accepted (solid) from rejected (dashed). Networks are
  // panels either way, so no encoding means two things.
  const oneMethod = new Set(groups.map((g) => g.name)).size === 1;
  const legend: string[] = [];
  const spacerOf = panelSpacers(runs, x, groups);
  const series = groups.flatMap((g, i) => {
    const spacer = spacerOf(g.panel);
    const accepted = oneMethod ? 'Accepted worsening moves' : `${g.name}: accepted`;
    const rejected = oneMethod ? 'Rejected worsening moves' : `${g.name}: rejected`;
    for (const n of [accepted, rejected]) if (!legend.includes(n)) legend.push(n);
    const drops: { x: number; seed: number }[] = [];
    for (const r of g.runs) {
      for (const e of r.epochs) {
        // The drop happens after the epoch: on an epoch axis, mark it between this epoch and the next.
        if (e.epsilonDropped) drops.push({ x: x === 'epoch' ? e.epoch + 0.5 : xOf(e, x), seed: r.seed });
      }
    }
    const dropColor = '#C00000';
    const markLine = drops.length
      ? {
          symbol: ['none', 'none'],
          silent: true,
          data: verticalMarks(drops, (n) => (n > 1 ? `ε ÷ 10 (${n} seeds)` : 'ε ÷ 10'), dropColor, spacer),
        }
      : undefined;
    return placed(
      [
        ...bandSeries(
          aggregateByEpoch(g.runs, (e) => e.moves?.acceptedWorse ?? null, x),
          {
            id: `accepted:${i}`,
            name: accepted,
            color: oneMethod ? PALETTE[0]! : g.color,
            lineType: 'solid',
            range: NON_NEGATIVE,
            bands: o.bands,
            line: markLine ? ({ markLine } as Partial<LineSeriesOption>) : {},
          },
        ),
        ...bandSeries(
          aggregateByEpoch(g.runs, (e) => e.moves?.rejectedWorse ?? null, x),
          {
            id: `rejected:${i}`,
            name: rejected,
            color: oneMethod ? PALETTE[1]! : g.color,
            lineType: 'dashed',
            range: NON_NEGATIVE,
            bands: o.bands,
          },
        ),
      ],
      g,
    );
  });
  const panels = panelTitles(groups);
  const sub =
    subtitle(groups) + (oneMethod ? ` · ${groups[0]!.name}` : ' · solid: accepted; dashed: rejected');
  const anyDrop = groups.some((g) => g.runs.some((r) => r.epochs.some((e) => e.epsilonDropped)));
  return frame({
    width: o.width,
    title,
    subtitle: anyDrop ? `${sub} · red lines: ε divided by 10` : sub,
    x,
    yName: 'Worsening moves per epoch',
    yMin: 0,
    panels,
    legend,
    series,
  });
}

/** The ECharts option of a figure kind. */
export function buildFigure(
  kind: FigureKind,
  runs: readonly RunResult[],
  options: FigureOptions = {},
): EChartsOption {
  switch (kind) {
    case 'val-accuracy':
      return validationFigure(runs, 'accuracy', options);
    case 'val-loss':
      return validationFigure(runs, 'loss', options);
    case 'train-vs-val-accuracy':
      return trainVsValFigure(runs, 'accuracy', options);
    case 'train-vs-val-loss':
      return trainVsValFigure(runs, 'loss', options);
    case 'train-loss-restarts':
      return restartFigure(runs, options);
    case 'acceptance':
      return acceptanceFigure(runs, options);
    case 'moves':
      return movesFigure(runs, options);
    case 'move-histogram':
      return moveHistogramFigure(runs, options);
  }
}

export type { ChartX };

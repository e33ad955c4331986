// The thesis's Fig. 3.1 and 3.2: the distribution of η·gradient against SSA's random move
// ε·N(0, 1), per weight, at the end of one epoch of one run, as two overlaid histograms on the
// same bins (recorded on request: the spec's `moveHistogram`).
import type { EChartsOption, LineSeriesOption } from 'echarts';
import type { MoveHistogram } from '../records';
import type { RunResult } from '../results';
import { PALETTE, axisNumber, emptyFigure } from './frame';

export interface MoveHistogramFigureOptions {
  width?: number;
  /** The epoch whose histogram to draw; the last one recorded when absent. */
  epoch?: number;
}

const TITLE = 'Gradient step against random move';

/** Runs (in order) with the recorded histogram of `epoch`, or of their last recorded epoch. */
function pick(runs: readonly RunResult[], epoch: number | undefined) {
  const found: { run: RunResult; epoch: number; h: MoveHistogram }[] = [];
  for (const run of runs) {
    const withHist = run.epochs.filter((e) => e.moveHistogram && (epoch === undefined || e.epoch === epoch));
    const last = withHist.at(-1);
    if (last?.moveHistogram) found.push({ run, epoch: last.epoch, h: last.moveHistogram });
  }
  return found;
}

export function moveHistogramApplies(runs: readonly RunResult[]): boolean {
  return runs.some((r) => r.epochs.some((e) => e.moveHistogram));
}

/** Fractions of the weights per bin, as a step line over the bin edges. */
function stepPoints(edges: readonly number[], counts: readonly number[], total: number): [number, number][] {
  const points: [number, number][] = [];
  counts.forEach((c, i) => {
    points.push([edges[i]!, c / total], [edges[i + 1]!, c / total]);
  });
  return points;
}

const fmt = (x: number) =>
  x === 0 ? '0' : Math.abs(x) < 1e-3 || Math.abs(x) >= 1e4 ? x.toExponential(1) : String(x);

export function moveHistogramFigure(
  runs: readonly RunResult[],
  options: MoveHistogramFigureOptions = {},
): EChartsOption {
  const found = pick(runs, options.epoch);
  if (found.length === 0) {
    return emptyFigure(
      TITLE,
      options.epoch === undefined
        ? 'No run recorded a histogram: add "moveHistogram": {"epochs": [1]} to the spec.'
        : `No run recorded a histogram at epoch ${options.epoch}.`,
    );
  }
  const { run, epoch, h } = found[0]!;
  const gradientName = `η·gradient (η = ${fmt(h.lr)}; std ${h.gradientStats.std.toExponential(2)})`;
  const moveName = `random move ε·N(0, 1) (ε = ${fmt(h.epsilon)}; std ${h.moveStats.std.toExponential(2)})`;
  const series: LineSeriesOption[] = [
    { name: gradientName, data: stepPoints(h.edges, h.gradient, h.parameters), color: PALETTE[0] },
    { name: moveName, data: stepPoints(h.edges, h.move, h.parameters), color: PALETTE[1] },
  ].map((s) => ({
    ...s,
    type: 'line',
    showSymbol: false,
    lineStyle: { width: 1.5, color: s.color },
    areaStyle: { opacity: 0.25, color: s.color },
  }));
  const others = found.length > 1 ? ` (first of ${found.length} runs with one)` : '';
  return {
    backgroundColor: '#ffffff',
    color: PALETTE,
    textStyle: { fontFamily: 'sans-serif' },
    title: {
      text: TITLE,
      subtext: `${run.label} · ${run.model} · seed ${run.seed} · end of epoch ${epoch} · ${h.parameters.toLocaleString('en-US')} weights${others}`,
      left: 'center',
      top: 8,
      textStyle: { fontSize: 16 },
      subtextStyle: { fontSize: 12, color: '#555' },
    },
    legend: { data: [gradientName, moveName], bottom: 8, left: 'center', textStyle: { fontSize: 12 } },
    grid: { left: 72, right: 32, top: 72, bottom: 88 },
    xAxis: {
      type: 'value',
      name: 'Change of a weight',
      nameLocation: 'middle',
      nameGap: 28,
      min: h.edges[0],
      max: h.edges.at(-1),
      splitLine: { show: false },
      axisLabel: { formatter: axisNumber },
    },
    yAxis: {
      type: 'value',
      name: 'Fraction of weights',
      nameLocation: 'middle',
      nameGap: 52,
      min: 0,
      // At the left edge, not through x = 0 where the two distributions peak.
      axisLine: { onZero: false },
      axisLabel: { formatter: axisNumber },
    },
    series,
  };
}

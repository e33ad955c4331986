// What all figures share: which runs make a series, colours, the mean ± std band, and the
// frame (title, legend, axes, tooltip). Pure data in, an ECharts option out.
import type { EChartsOption, LineSeriesOption, SeriesOption } from 'echarts';
import type { RunResult } from '../results';
import { formatSignificant } from '../table/format';
import { groupRuns, type ColumnGroup, type MethodGroup, columnOf } from '../table/group';
import { datasetName } from '../table/names';
import { X_AXIS_NAMES, type AggregatePoint, type ChartX } from './aggregate';

/** Okabe–Ito colours (without yellow, which vanishes on white): distinct for colour-blind readers and in print. */
export const PALETTE = [
  '#0072B2',
  '#D55E00',
  '#009E73',
  '#CC79A7',
  '#E69F00',
  '#56B4E9',
  '#000000',
  '#999999',
];
const LINE_TYPES = ['solid', 'dashed', 'dotted'] as const;
export type LineType = (typeof LINE_TYPES)[number];

export interface ChartOptions {
  /** x axis: epochs (default), wall time or forward passes. */
  x?: ChartX;
  /** Restrict to one network or dataset (its id); all of them by default. */
  column?: string;
  /** Replaces the generated title. */
  title?: string;
  /** Draw mean ± std bands where there are several seeds; default true. */
  bands?: boolean;
  /** Width the chart will be drawn at (px), so that the legend gets the rows it needs; default 900. */
  width?: number;
}

export interface SeriesGroup {
  /** Legend entry: the method label, with the network when the figure shows several. */
  name: string;
  color: string;
  lineType: LineType;
  method: MethodGroup;
  column: ColumnGroup;
  runs: RunResult[];
}

/**
 * One series group per method × network. Colours follow the method's position, so a method
 * keeps its colour across figures of the same runs; line styles tell networks apart.
 */
export function seriesGroups(runs: readonly RunResult[], options: ChartOptions): SeriesGroup[] {
  const grouping = groupRuns(runs);
  const columns = options.column
    ? grouping.columns.filter(
        (c) => c.key === options.column || c.model === options.column || c.dataset === options.column,
      )
    : grouping.columns;
  if (options.column && columns.length === 0) {
    throw new Error(
      `no runs on "${options.column}"; the runs are on ${grouping.columns.map((c) => c.model).join(', ')}`,
    );
  }
  const several = columns.length > 1;
  const groups: SeriesGroup[] = [];
  grouping.methods.forEach((m, mi) => {
    columns.forEach((c, ci) => {
      const own = m.runs.filter((r) => columnOf(r, grouping.columnKind).key === c.key && r.epochs.length > 0);
      if (own.length === 0) return;
      groups.push({
        name: several ? `${m.label} · ${c.title}` : m.label,
        color: PALETTE[mi % PALETTE.length]!,
        lineType: LINE_TYPES[ci % LINE_TYPES.length]!,
        method: m,
        column: c,
        runs: own,
      });
    });
  });
  return groups;
}

/** "lenet-mnist · LeNet-5 on MNIST, 3 seeds": what a reader needs to place the figure. */
export function subtitle(groups: readonly SeriesGroup[]): string {
  const runs = groups.flatMap((g) => g.runs);
  const experiments = [...new Set(runs.map((r) => r.experimentName))].join(', ');
  const columns = [...new Map(groups.map((g) => [g.column.key, g.column])).values()];
  const where = columns.map((c) => `${c.title}`).join(', ');
  const datasets = [...new Set(columns.map((c) => datasetName(c.dataset)))];
  const on = columns.every((c) => c.title === datasetName(c.dataset))
    ? where
    : `${where} on ${datasets.join(', ')}`;
  const seeds = [...new Set(groups.map((g) => g.runs.length))];
  const seedText =
    seeds.length === 1
      ? `${seeds[0]} seed${seeds[0] === 1 ? '' : 's'}${seeds[0]! > 1 ? ', mean ± std' : ''}`
      : `${Math.min(...seeds)}–${Math.max(...seeds)} seeds, mean ± std`;
  return [experiments, on, seedText].filter(Boolean).join(' · ');
}

export interface BandOptions {
  id: string;
  name: string;
  color: string;
  lineType?: LineType;
  /** Multiply values (100 for percent). */
  scale?: number;
  /** Keep the band's lower edge positive, for a log axis. */
  positive?: boolean;
  /** The quantity's range (after scaling): a band never shows a loss below 0 or an accuracy above 100 %. */
  range?: { min?: number; max?: number };
  bands?: boolean;
  /** Extra series options for the mean line (markers, symbols). */
  line?: Partial<LineSeriesOption>;
}

/** Ids of helper series (band edges, sample clouds) start with this; tooltips skip them. */
export const AUX_PREFIX = 'aux:';
/** Ids of the two lines of a method in a train-against-validation figure, which share its name. */
export const TRAINING_ID = 'training:';
export const VALIDATION_ID = 'validation:';

/**
 * A mean line with a mean ± std band, with ECharts' stacked-area technique: an invisible
 * series at mean − std, and stacked on it a filled series of height 2·std. The band series
 * carry the line's name, so that its legend entry hides and shows all three.
 */
export function bandSeries(points: readonly AggregatePoint[], o: BandOptions): SeriesOption[] {
  const k = o.scale ?? 1;
  const lineData = points.map((p) => [p.x, p.mean * k, p.std === null ? null : p.std * k, p.n]);
  const mean: LineSeriesOption = {
    id: o.id,
    name: o.name,
    type: 'line',
    data: lineData as LineSeriesOption['data'],
    encode: { x: 0, y: 1 },
    showSymbol: points.length <= 30,
    symbolSize: 4,
    lineStyle: { color: o.color, width: 2, type: o.lineType ?? 'solid' },
    itemStyle: { color: o.color },
    z: 3,
    ...o.line,
  };
  const hasSpread = points.some((p) => p.std !== null && p.std > 0);
  if (!(o.bands ?? true) || !hasSpread) return [mean];
  // The legend draws an entry from the first series of its name: the mean line comes first.
  const floor = o.positive ? Math.min(...points.map((p) => p.mean * k).filter((v) => v > 0)) / 10 : -Infinity;
  const min = Math.max(floor, o.range?.min ?? -Infinity);
  const max = o.range?.max ?? Infinity;
  const lower = points.map((p) => Math.min(max, Math.max((p.mean - (p.std ?? 0)) * k, min)));
  const upper = points.map((p) => Math.max(min, Math.min((p.mean + (p.std ?? 0)) * k, max)));
  const stack = `${AUX_PREFIX}${o.id}`;
  const common = {
    type: 'line' as const,
    name: o.name,
    stack,
    // Bands may dip below zero (a loss mean minus its std): stack whatever the sign.
    stackStrategy: 'all' as const,
    symbol: 'none',
    silent: true,
    lineStyle: { opacity: 0 },
    itemStyle: { color: o.color },
    z: 1,
  };
  return [
    mean,
    { ...common, id: `${AUX_PREFIX}${o.id}:lower`, data: points.map((p, i) => [p.x, lower[i]!]) },
    {
      ...common,
      id: `${AUX_PREFIX}${o.id}:spread`,
      data: points.map((p, i) => [p.x, upper[i]! - lower[i]!]),
      areaStyle: { color: o.color, opacity: 0.18 },
    },
  ];
}

interface TooltipParam {
  seriesId?: string;
  seriesName?: string;
  marker?: unknown;
  value?: unknown;
  axisValueLabel?: string;
}

/** Text made safe to place in HTML: a method's label is the user's text, not markup. */
export function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}

/**
 * Axis tooltip listing the mean lines with ± std and n, skipping the band helpers. ECharts
 * inserts the returned string as HTML, so every name in it is escaped (the marker is ECharts'
 * own markup); a label such as `<img onerror=…>` must show as text, not run.
 */
function tooltipFormatter(params: unknown): string {
  const list = (Array.isArray(params) ? params : [params]) as TooltipParam[];
  const shown = list.filter((p) => !String(p.seriesId ?? '').startsWith(AUX_PREFIX));
  const head = escapeHtml(shown[0]?.axisValueLabel ?? '');
  const lines = shown.map((p) => {
    const v = Array.isArray(p.value) ? (p.value as (number | null)[]) : [null, p.value as number];
    const y = typeof v[1] === 'number' ? formatSignificant(v[1], 4) : '–';
    const std = typeof v[2] === 'number' ? ` ± ${formatSignificant(v[2], 2)}` : '';
    const n = typeof v[3] === 'number' && v[3] > 1 ? ` (n = ${v[3]})` : '';
    const id = String(p.seriesId ?? '');
    const split = id.startsWith(TRAINING_ID)
      ? ' (training)'
      : id.startsWith(VALIDATION_ID)
        ? ' (validation)'
        : '';
    return `${typeof p.marker === 'string' ? p.marker : ''}${escapeHtml(p.seriesName ?? '')}${split}: ${y}${std}${n}`;
  });
  return [head, ...lines].join('<br/>');
}

export interface FrameOptions {
  title: string;
  subtitle: string;
  x: ChartX;
  yName: string;
  yLog?: boolean;
  yMin?: number;
  yMax?: number;
  /** Default: the first epoch for an epoch axis, 0 otherwise. */
  xMin?: number;
  /** Default: the largest x. */
  xMax?: number;
  /** Width the chart will be drawn at, to leave the legend enough rows; default 900. */
  width?: number;
  legend: string[];
  series: SeriesOption[];
}

/** Axis numbers without binary noise (0.0000999… on a log axis is 0.0001). */
export function axisNumber(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e6 || a < 1e-4) return v.toExponential(0);
  return String(Number(v.toPrecision(6)));
}

/** Rows the legend wraps into, from an estimate of its entries' widths at 12 px. */
function legendRows(names: readonly string[], width: number): number {
  const available = width - 80;
  let rows = 1;
  let used = 0;
  for (const n of names) {
    const w = 25 + 5 + n.length * 7.2 + 16;
    if (used > 0 && used + w > available) {
      rows++;
      used = 0;
    }
    used += w;
  }
  return names.length ? rows : 0;
}

/** Title on top, legend below the plot, named axes; the space below grows with the legend. */
export function frame(o: FrameOptions): EChartsOption {
  const rows = legendRows(o.legend, o.width ?? 900);
  return {
    backgroundColor: '#ffffff',
    color: PALETTE,
    textStyle: { fontFamily: 'sans-serif' },
    title: {
      text: o.title,
      subtext: o.subtitle,
      left: 'center',
      top: 8,
      textStyle: { fontSize: 16 },
      subtextStyle: { fontSize: 12, color: '#555' },
    },
    legend: {
      data: o.legend,
      bottom: 8,
      left: 'center',
      type: 'plain',
      itemGap: 16,
      textStyle: { fontSize: 12 },
    },
    grid: { left: 72, right: 32, top: 72, bottom: 64 + rows * 24 },
    tooltip: { trigger: 'axis', formatter: tooltipFormatter },
    xAxis: {
      type: 'value',
      name: X_AXIS_NAMES[o.x],
      nameLocation: 'middle',
      nameGap: 28,
      min: o.xMin ?? (o.x === 'epoch' ? 'dataMin' : 0),
      max: o.xMax ?? 'dataMax',
      splitLine: { show: false },
      axisLabel: { formatter: axisNumber },
    },
    yAxis: {
      type: o.yLog ? 'log' : 'value',
      name: o.yName,
      nameLocation: 'middle',
      nameGap: 52,
      scale: !o.yLog && o.yMin === undefined,
      ...(o.yMin !== undefined ? { min: o.yMin } : {}),
      ...(o.yMax !== undefined ? { max: o.yMax } : {}),
      axisLabel: { formatter: axisNumber },
    },
    series: o.series,
  };
}

/** An option for an empty figure that says why, instead of a blank frame. */
export function emptyFigure(title: string, why: string): EChartsOption {
  return {
    backgroundColor: '#ffffff',
    title: { text: title, subtext: why, left: 'center', top: 'middle' },
    series: [],
  };
}

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
export type LineType = 'solid' | 'dashed' | 'dotted';

/** Smallest font of any text a figure draws (titles, ticks, legends, marks): legible on screen and print. */
export const MIN_FONT_SIZE = 12;

/** A method's colour and place in the legend. */
export interface MethodStyle {
  color: string;
  order: number;
}

/**
 * The one palette assignment: each method of the runs gets a colour and a legend position from
 * its place among all methods of the runs, whatever their status or how many epochs they have.
 * The live view and the export both compute it from the whole selection (not from what a figure
 * happens to draw), so that a method keeps its colour when another method has no finished run
 * yet, and the legend order is the same everywhere.
 */
export function methodStyles(runs: readonly RunResult[]): Map<string, MethodStyle> {
  const styles = new Map<string, MethodStyle>();
  groupRuns(runs).methods.forEach((m, i) =>
    styles.set(m.key, { color: PALETTE[i % PALETTE.length]!, order: i }),
  );
  return styles;
}

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
  /**
   * Colours and legend order by method key, from `methodStyles` over the whole selection; by
   * default computed from the runs given, which is right when they are the whole selection.
   */
  styles?: ReadonlyMap<string, MethodStyle>;
}

export interface SeriesGroup {
  /** Legend entry: the method label (networks are panels, not legend entries). */
  name: string;
  color: string;
  lineType: LineType;
  method: MethodGroup;
  column: ColumnGroup;
  /** Which panel (small multiple) the group is drawn in: one panel per network or dataset. */
  panel: number;
  runs: RunResult[];
}

/**
 * One series group per method × network. Colours come from `methodStyles`, so a method keeps
 * its colour across figures, views and exports; each network gets its own panel, so that no
 * line style has to tell networks apart.
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
  const styles = options.styles ?? methodStyles(runs);
  const fallback = new Map(grouping.methods.map((m, i) => [m.key, i]));
  const styleOf = (m: MethodGroup): MethodStyle => {
    const known = styles.get(m.key);
    if (known) return known;
    // A method the styles were not computed for: after all the known ones.
    const i = styles.size + fallback.get(m.key)!;
    return { color: PALETTE[i % PALETTE.length]!, order: i };
  };
  const methods = [...grouping.methods].sort((a, b) => styleOf(a).order - styleOf(b).order);
  const groups: SeriesGroup[] = [];
  methods.forEach((m) => {
    columns.forEach((c, ci) => {
      const own = m.runs.filter((r) => columnOf(r, grouping.columnKind).key === c.key && r.epochs.length > 0);
      if (own.length === 0) return;
      groups.push({
        name: m.label,
        color: styleOf(m).color,
        lineType: 'solid',
        method: m,
        column: c,
        panel: ci,
        runs: own,
      });
    });
  });
  return compactPanels(groups);
}

/** Renumbers the groups' panels 0, 1, … in order, after groups (and so networks) were left out. */
export function compactPanels(groups: SeriesGroup[]): SeriesGroup[] {
  const order = [...new Set(groups.map((g) => g.panel))].sort((a, b) => a - b);
  return groups.map((g) => ({ ...g, panel: order.indexOf(g.panel) }));
}

/** The panels of a figure: one per network (or dataset) that has a group, in column order. */
export function panelTitles(groups: readonly SeriesGroup[]): string[] {
  const titles: string[] = [];
  for (const g of groups) titles[g.panel] = g.column.title;
  return titles.map((t) => t ?? '');
}

/** The series drawn in panel `i`: ECharts places a series by its axes' indexes. */
export function inPanel<S extends SeriesOption>(series: S, i: number): S {
  return i === 0 ? series : ({ ...series, xAxisIndex: i, yAxisIndex: i } as S);
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
  axisValue?: unknown;
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
function tooltipFormatter(params: unknown, x?: ChartX): string {
  const list = (Array.isArray(params) ? params : [params]) as TooltipParam[];
  const shown = list.filter((p) => !String(p.seriesId ?? '').startsWith(AUX_PREFIX));
  const at = shown[0]?.axisValue;
  // "Epoch 14", not ECharts' "14.00" for a value axis.
  const head =
    x && typeof at === 'number'
      ? `${X_AXIS_NAMES[x].replace(/ \(s\)$/, '')} ${Number(at.toPrecision(5))}${x === 'seconds' ? ' s' : ''}`
      : escapeHtml(shown[0]?.axisValueLabel ?? '');
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
  /** The axis starts here (0 for counts). */
  yMin?: number;
  /** The axis never goes above this (100 on a percent axis); it ends at a nice value below it when the data do. */
  yMax?: number;
  /** The quantity's range (a loss is never below 0): the axis does not extend past it for a band's sake. */
  yRange?: { min?: number; max?: number };
  /** Default: the first epoch for an epoch axis, 0 otherwise. */
  xMin?: number;
  /** Default: the largest x. */
  xMax?: number;
  /** Width the chart will be drawn at, to leave the legend enough rows; default 900. */
  width?: number;
  /**
   * Small multiples: one panel per title, side by side, sharing the y range; each series names
   * its panel with `inPanel`. One untitled panel by default.
   */
  panels?: string[];
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

export interface NiceAxis {
  min: number;
  max: number;
  interval: number;
}

/**
 * Bounds and a tick step for [lo, hi]: a 1, 2 or 5 × 10ᵏ step (a whole number when `integer`),
 * bounds on multiples of it, at most `cap` (100 on a percent axis: 100 is a multiple of every
 * such step up to 100, so the top tick is never squeezed against the one below it as in "99
 * over 100"), and about `ticks` intervals. ECharts, given a fixed min or max that is not on its
 * own step, prints both (epoch ticks 1, 2, 4, 6, 8, 9); bounds from here never do.
 */
export function niceAxis(
  lo: number,
  hi: number,
  o: { integer?: boolean; ticks?: number; cap?: number; floor?: number } = {},
): NiceAxis {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return { min: 0, max: 1, interval: o.integer ? 1 : 0.2 };
  if (hi < lo) [lo, hi] = [hi, lo];
  if (hi === lo) {
    const pad = o.integer ? 1 : Math.abs(lo) > 0 ? Math.abs(lo) * 0.1 : 1;
    lo -= pad;
    hi += pad;
    if (o.floor !== undefined) lo = Math.max(lo, o.floor);
    if (o.cap !== undefined) hi = Math.min(hi, o.cap);
  }
  const raw = (hi - lo) / (o.ticks ?? 5);
  const power = 10 ** Math.floor(Math.log10(raw));
  let interval = [1, 2, 5, 10].map((m) => m * power).find((step) => step >= raw * 0.999) ?? 10 * power;
  if (o.integer) interval = Math.max(1, Math.round(interval));
  // Multiples of the step, rounded to the step's digits so that 0.30000000000000004 is 0.3.
  const digits = Math.max(0, -Math.floor(Math.log10(interval)) + 1);
  const round = (v: number) => Number(v.toFixed(Math.min(20, digits)));
  let min = round(Math.floor(lo / interval + 1e-9) * interval);
  let max = round(Math.ceil(hi / interval - 1e-9) * interval);
  if (o.floor !== undefined) min = Math.max(min, o.floor);
  if (o.cap !== undefined) max = Math.min(max, o.cap);
  if (max <= min) max = round(min + interval);
  return { min, max, interval };
}

/** The y values a series shows (a mean ± its std, a dot), for a y range shared by the panels. */
function seriesExtent(series: readonly SeriesOption[], axis: 0 | 1): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const s of series) {
    // A stacked series holds band heights, not values; its band lies within mean ± std anyway.
    if ((s as { stack?: unknown }).stack) continue;
    for (const d of ((s as { data?: unknown[] }).data ?? []) as unknown[]) {
      const v = Array.isArray(d) ? d : (d as { value?: unknown })?.value;
      if (!Array.isArray(v)) continue;
      const y = v[axis];
      if (typeof y !== 'number' || !Number.isFinite(y)) continue;
      const spread = axis === 1 && typeof v[2] === 'number' && Number.isFinite(v[2]) ? (v[2] as number) : 0;
      lo = Math.min(lo, y - spread);
      hi = Math.max(hi, y + spread);
    }
  }
  return [lo, hi];
}

/** Rows the legend wraps into, from an estimate of its entries' widths at 12 px. */
export function legendRows(names: readonly string[], width: number): number {
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

const LEFT = 72;
const RIGHT = 32;
/** Between panels: room for the next panel's tick labels. */
const PANEL_GAP = 56;
const pct = (px: number, width: number) => `${((px / width) * 100).toFixed(3)}%`;

/**
 * Title on top, legend below the plot, named axes; the space below grows with the legend.
 * Several panels sit side by side with their network as a heading, the same x and y ranges,
 * and the y name on the first one only.
 */
export function frame(o: FrameOptions): EChartsOption {
  const width = o.width ?? 900;
  const rows = legendRows(o.legend, width);
  const panels = o.panels && o.panels.length > 1 ? o.panels : null;
  const count = panels?.length ?? 1;
  const panelWidth = (width - LEFT - RIGHT - PANEL_GAP * (count - 1)) / count;
  const top = panels ? 92 : 72;
  const bottom = 64 + rows * 24;

  const [xLo, xHi] = seriesExtent(o.series, 0);
  const xStart = o.xMin ?? (o.x === 'epoch' ? xLo : 0);
  const xNice = niceAxis(xStart, o.xMax ?? xHi, { integer: o.x !== 'seconds' });
  const [yLo, yHi] = seriesExtent(o.series, 1);
  const yNice = o.yLog
    ? null
    : niceAxis(
        o.yMin ?? Math.max(yLo, o.yRange?.min ?? -Infinity),
        Math.min(yHi, o.yMax ?? Infinity, o.yRange?.max ?? Infinity),
        {
          ...(o.yMax !== undefined || o.yRange?.max !== undefined
            ? { cap: Math.min(o.yMax ?? Infinity, o.yRange?.max ?? Infinity) }
            : {}),
          ...(o.yMin !== undefined || o.yRange?.min !== undefined
            ? { floor: Math.max(o.yMin ?? -Infinity, o.yRange?.min ?? -Infinity) }
            : {}),
        },
      );
  const fixedY = o.yLog
    ? {
        ...(o.yMin !== undefined ? { min: o.yMin } : {}),
        ...(o.yMax !== undefined ? { max: o.yMax } : {}),
      }
    : yNice;

  const grids = Array.from({ length: count }, (_, i) =>
    panels
      ? { left: pct(LEFT + i * (panelWidth + PANEL_GAP), width), width: pct(panelWidth, width), top, bottom }
      : { left: LEFT, right: RIGHT, top, bottom },
  );
  const xAxes = grids.map((_, i) => ({
    type: 'value' as const,
    gridIndex: i,
    name: X_AXIS_NAMES[o.x],
    nameLocation: 'middle' as const,
    nameGap: 28,
    nameTextStyle: { fontSize: MIN_FONT_SIZE },
    ...xNice,
    // The nice bounds pad the data; an empty epoch 0 is the price of ticks on round numbers.
    ...(o.xMin !== undefined && o.xMin > xNice.min ? { min: o.xMin } : {}),
    splitLine: { show: false },
    axisLabel: { formatter: axisNumber, fontSize: MIN_FONT_SIZE, hideOverlap: true },
  }));
  const yAxes = grids.map((_, i) => ({
    type: o.yLog ? ('log' as const) : ('value' as const),
    gridIndex: i,
    name: i === 0 ? o.yName : '',
    nameLocation: 'middle' as const,
    nameGap: 52,
    nameTextStyle: { fontSize: MIN_FONT_SIZE },
    ...fixedY,
    axisLabel: { formatter: axisNumber, fontSize: MIN_FONT_SIZE, hideOverlap: true },
  }));
  const headings = (panels ?? []).map((text, i) => ({
    text,
    left: pct(LEFT + i * (panelWidth + PANEL_GAP) + panelWidth / 2, width),
    top: 66,
    textAlign: 'center' as const,
    textStyle: { fontSize: 13, fontWeight: 600 as const },
  }));
  const main = {
    text: o.title,
    subtext: o.subtitle,
    left: 'center',
    top: 8,
    textStyle: { fontSize: 16 },
    subtextStyle: { fontSize: MIN_FONT_SIZE, color: '#555' },
  };
  return {
    backgroundColor: '#ffffff',
    color: PALETTE,
    textStyle: { fontFamily: 'sans-serif', fontSize: MIN_FONT_SIZE },
    title: panels ? [main, ...headings] : main,
    legend: {
      data: o.legend,
      bottom: 8,
      left: 'center',
      type: 'plain',
      itemGap: 16,
      textStyle: { fontSize: MIN_FONT_SIZE },
    },
    grid: panels ? grids : grids[0]!,
    tooltip: { trigger: 'axis', formatter: (p: unknown) => tooltipFormatter(p, o.x) },
    xAxis: panels ? xAxes : xAxes[0]!,
    yAxis: panels ? yAxes : yAxes[0]!,
    series: o.series,
  } as EChartsOption;
}

/** An option for an empty figure that says why, instead of a blank frame. */
export function emptyFigure(title: string, why: string): EChartsOption {
  return {
    backgroundColor: '#ffffff',
    title: { text: title, subtext: why, left: 'center', top: 'middle' },
    series: [],
  };
}

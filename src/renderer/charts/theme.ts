// The shared figure builders draw for paper (white background, dark text). On screen the
// same options follow the app's theme: a transparent background and the theme's ink.
import type { EChartsOption } from 'echarts';
import { MIN_FONT_SIZE } from '../../shared/charts';
import { legendRows } from '../../shared/charts/frame';

export interface Ink {
  text: string;
  muted: string;
  axis: string;
  grid: string;
}

export const INK: Record<'light' | 'dark', Ink> = {
  light: { text: '#1f2328', muted: '#59636e', axis: '#8c959f', grid: '#e6e8eb' },
  dark: { text: '#d6dae0', muted: '#9aa4b1', axis: '#6b7480', grid: '#2c323a' },
};

type Obj = Record<string, unknown>;
const asList = (v: unknown): Obj[] => (Array.isArray(v) ? (v as Obj[]) : v ? [v as Obj] : []);

/** Height of one legend row on screen. */
const LEGEND_ROW = 22;
/**
 * Legend rows a screen chart gives up at most: more wrapped rows ate the plot of a short panel,
 * so a longer legend becomes one row that pages.
 */
const MAX_LEGEND_ROWS = 2;

/**
 * The option with screen styling: theme colours, titles and ticks of at least 12 px, subtitles
 * cut to `width`, a legend of one scrolling row, zoom on x (wheel or drag inside the plot), a
 * crosshair, no animation on updates of live data. Series (and so colours) stay the figure's.
 */
export function forScreen(
  option: EChartsOption,
  theme: 'light' | 'dark',
  compact = false,
  width?: number,
): EChartsOption {
  const ink = INK[theme];
  const o = { ...(option as Obj) };
  o.backgroundColor = 'transparent';
  o.textStyle = { ...(o.textStyle as Obj), color: ink.text, fontFamily: 'inherit' };
  o.title = asList(o.title).map((t, i) => ({
    ...t,
    textStyle: {
      ...(t.textStyle as Obj),
      color: ink.text,
      // The first title is the figure's; the others head the panels of small multiples.
      fontSize: i === 0 ? (compact ? 14 : 15) : 13,
      fontWeight: 600,
    },
    subtextStyle: {
      ...(t.subtextStyle as Obj),
      color: ink.muted,
      fontSize: MIN_FONT_SIZE,
      // The builders' subtitles are written for a page; in a narrow panel they are cut, not spilled.
      ...(width ? { width: width - 24, overflow: 'truncate' } : {}),
    },
  }));
  const names = ((asList(o.legend)[0]?.data as unknown[] | undefined) ?? []).map(String);
  const wrapped = legendRows(names, width ?? 600);
  const scroll = wrapped > MAX_LEGEND_ROWS;
  const rows = scroll ? 1 : wrapped;
  o.legend = asList(o.legend).map((l) => ({
    ...l,
    type: scroll ? 'scroll' : 'plain',
    bottom: 4,
    itemGap: 12,
    pageIconColor: ink.text,
    pageTextStyle: { color: ink.muted, fontSize: MIN_FONT_SIZE },
    textStyle: { ...(l.textStyle as Obj), color: ink.text, fontSize: MIN_FONT_SIZE },
  }));
  o.grid = asList(o.grid).map((g) => ({ ...g, bottom: 52 + rows * LEGEND_ROW + (rows ? 8 : 0) }));
  const axis = (a: Obj) => ({
    ...a,
    nameTextStyle: { ...(a.nameTextStyle as Obj), color: ink.muted, fontSize: MIN_FONT_SIZE },
    axisLabel: { ...(a.axisLabel as Obj), color: ink.muted, fontSize: MIN_FONT_SIZE },
    axisLine: { ...(a.axisLine as Obj), lineStyle: { color: ink.axis } },
    axisTick: { ...(a.axisTick as Obj), lineStyle: { color: ink.axis } },
    splitLine: { ...(a.splitLine as Obj), lineStyle: { color: ink.grid } },
  });
  const xs = asList(o.xAxis);
  // Epochs are whole numbers: no 1.2, 1.4 … ticks between them, also when zoomed in.
  o.xAxis = xs.map((a) => (a.name === 'Epoch' ? { ...axis(a), minInterval: 1 } : axis(a)));
  o.yAxis = asList(o.yAxis).map(axis);
  if (xs.length > 0) {
    // Zoom inside the plot; filterMode 'none' keeps lines running to the edge instead of cut.
    o.dataZoom = [{ type: 'inside', xAxisIndex: xs.map((_, i) => i), filterMode: 'none' }];
    o.tooltip = {
      ...(o.tooltip as Obj),
      axisPointer: { type: 'line', snap: true, lineStyle: { color: ink.axis } },
      confine: true,
      textStyle: { fontSize: MIN_FONT_SIZE },
    };
  }
  o.animation = false;
  return o as EChartsOption;
}

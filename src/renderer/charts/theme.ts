// The shared figure builders draw for paper (white background, dark text). On screen the
// same options follow the app's theme: a transparent background and the theme's ink.
import type { EChartsOption } from 'echarts';

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

/**
 * The option with screen styling: theme colours, smaller titles, subtitles cut to `width`,
 * whole epochs on an epoch axis, no animation on updates of live data.
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
  o.title = asList(o.title).map((t) => ({
    ...t,
    textStyle: { ...(t.textStyle as Obj), color: ink.text, fontSize: compact ? 13 : 14, fontWeight: 600 },
    subtextStyle: {
      ...(t.subtextStyle as Obj),
      color: ink.muted,
      fontSize: 11,
      // The builders' subtitles are written for a page; in a narrow panel they are cut, not spilled.
      ...(width ? { width: width - 24, overflow: 'truncate' } : {}),
    },
  }));
  o.legend = asList(o.legend).map((l) => ({
    ...l,
    textStyle: { ...(l.textStyle as Obj), color: ink.text, fontSize: 11 },
  }));
  const axis = (a: Obj) => ({
    ...a,
    nameTextStyle: { ...(a.nameTextStyle as Obj), color: ink.muted },
    axisLabel: { ...(a.axisLabel as Obj), color: ink.muted },
    axisLine: { ...(a.axisLine as Obj), lineStyle: { color: ink.axis } },
    axisTick: { ...(a.axisTick as Obj), lineStyle: { color: ink.axis } },
    splitLine: { ...(a.splitLine as Obj), lineStyle: { color: ink.grid } },
  });
  // Epochs are whole numbers: no 1.2, 1.4 … ticks between them.
  o.xAxis = asList(o.xAxis).map((a) => (a.name === 'Epoch' ? { ...axis(a), minInterval: 1 } : axis(a)));
  o.yAxis = asList(o.yAxis).map(axis);
  o.animation = false;
  return o as EChartsOption;
}

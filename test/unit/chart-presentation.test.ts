// Chart presentation shared by the live view and the export: one palette assignment for both,
// nice ticks (no "99 over 100", no epoch ticks 1, 2, 4, …, 9), legible fonts, small multiples
// per network, and the screen styling of the renderer.
import { describe, expect, it } from 'vitest';
import type { LineSeriesOption, SeriesOption } from 'echarts';
import {
  AUX_PREFIX,
  buildFigure,
  FIGURE_KINDS,
  MIN_FONT_SIZE,
  methodStyles,
  niceAxis,
} from '../../src/shared/charts';
import { isolateLegend, legendNames } from '../../src/renderer/charts/legend-isolate';
import { forScreen } from '../../src/renderer/charts/theme';
import { mnistSmallRuns } from '../fixtures/mnist-small';
import { makeRun } from '../fixtures/runs';

const runs = mnistSmallRuns();
const lenet = runs.filter((r) => r.model === 'lenet5');
type Obj = Record<string, unknown>;
const list = (v: unknown): Obj[] => (Array.isArray(v) ? (v as Obj[]) : v ? [v as Obj] : []);
const meanLines = (o: { series?: unknown }): LineSeriesOption[] =>
  (o.series as SeriesOption[]).filter(
    (s) => s.type === 'line' && !String(s.id).startsWith(AUX_PREFIX),
  ) as LineSeriesOption[];
const colourOf = (o: { series?: unknown }, name: string) =>
  (meanLines(o).find((s) => s.name === name)!.lineStyle as { color: string }).color;

/** Every fontSize anywhere in an option (titles, legends, axes, mark labels). */
function fontSizes(value: unknown, out: number[] = []): number[] {
  if (Array.isArray(value)) for (const v of value) fontSizes(v, out);
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === 'fontSize' && typeof v === 'number') out.push(v);
      else if (k !== 'data' || Array.isArray(v)) fontSizes(v, out);
    }
  }
  return out;
}

describe('one palette assignment for the live view and the export', () => {
  it('keeps each method’s colour and legend place when some of its methods have no run to draw', () => {
    const styles = methodStyles(lenet);
    const all = buildFigure('val-accuracy', lenet, { styles });
    // What the export draws: finished runs only. Here SSA has none yet.
    const withoutSsa = lenet.filter((r) => !r.label.startsWith('SSA'));
    const partial = buildFigure('val-accuracy', withoutSsa, { styles });
    const sgdSa = lenet.find((r) => r.label.startsWith('SGD-SA'))!.label;
    expect(colourOf(partial, sgdSa)).toBe(colourOf(all, sgdSa));
    // Without the shared styles the colours shift: the bug this function exists for.
    expect(colourOf(buildFigure('val-accuracy', withoutSsa), sgdSa)).not.toBe(colourOf(all, sgdSa));
    const legendAll = (all.legend as { data: string[] }).data;
    const legendPartial = (partial.legend as { data: string[] }).data;
    expect(legendPartial).toEqual(legendAll.filter((l) => !l.startsWith('SSA')));
  });

  it('gives a method the same colour in every figure kind and every panel', () => {
    const styles = methodStyles(runs);
    for (const kind of FIGURE_KINDS) {
      const option = buildFigure(kind, runs, { styles });
      if (kind === 'moves') continue; // one colour per method there too, checked below
      for (const s of meanLines(option)) {
        const key = [...styles.keys()].find((k) => k === s.name);
        if (key) expect((s.lineStyle as { color: string }).color).toBe(styles.get(key)!.color);
      }
    }
  });
});

describe('nice axis bounds', () => {
  it('never puts a top tick next to a capped 100 %', () => {
    for (const [lo, hi] of [
      [84.2, 99.3],
      [10, 99.9],
      [97.1, 99.95],
      [0, 100],
    ] as const) {
      const a = niceAxis(lo, hi, { cap: 100, floor: 0 });
      expect(a.max).toBeLessThanOrEqual(100);
      // The range is a whole number of steps: no short last interval.
      const steps = (a.max - a.min) / a.interval;
      expect(Math.abs(steps - Math.round(steps))).toBeLessThan(1e-9);
      expect(a.min).toBeLessThanOrEqual(lo);
      expect(a.max).toBeGreaterThanOrEqual(Math.min(hi, 100));
    }
  });

  it('puts epoch ticks on whole multiples of a whole step', () => {
    for (const last of [2, 5, 9, 12, 25, 100, 163]) {
      const a = niceAxis(1, last, { integer: true });
      expect(Number.isInteger(a.interval)).toBe(true);
      expect(a.min % a.interval).toBe(0);
      expect(a.max % a.interval).toBe(0);
      expect(a.max).toBeGreaterThanOrEqual(last);
    }
    const nine = niceAxis(1, 9, { integer: true });
    expect(nine).toEqual({ min: 0, max: 10, interval: 2 });
  });

  it('gives accuracy figures bounds that are multiples of their step', () => {
    const option = buildFigure('val-accuracy', lenet);
    const y = option.yAxis as { min: number; max: number; interval: number };
    expect(y.max).toBeLessThanOrEqual(100);
    expect(((y.max - y.min) / y.interval) % 1).toBeCloseTo(0, 9);
    const x = option.xAxis as { min: number; max: number; interval: number };
    expect(Number.isInteger(x.interval)).toBe(true);
    expect(x.max % x.interval).toBe(0);
  });
});

describe('legible text', () => {
  it.each(FIGURE_KINDS)('%s draws no text below 12 px, in the export and on screen', (kind) => {
    const option = buildFigure(kind, runs);
    expect(Math.min(...fontSizes(option))).toBeGreaterThanOrEqual(MIN_FONT_SIZE);
    for (const theme of ['light', 'dark'] as const) {
      const screen = forScreen(option, theme, true, 600);
      expect(Math.min(...fontSizes(screen))).toBeGreaterThanOrEqual(MIN_FONT_SIZE);
      // Tick labels: the axis option sets them (ECharts' default is 12 too, but not asserted).
      for (const a of [...list(screen.xAxis), ...list(screen.yAxis)])
        expect((a.axisLabel as { fontSize: number }).fontSize).toBeGreaterThanOrEqual(MIN_FONT_SIZE);
    }
  });
});

describe('small multiples per network', () => {
  it('lays worsening moves of two networks out side by side, each with its own full-height plot', () => {
    const option = buildFigure('moves', runs, { width: 620 });
    const grids = list(option.grid);
    expect(grids).toHaveLength(2);
    // Same top and bottom: neither panel is squeezed by the legend of the other's entries.
    expect(grids[0]!.top).toBe(grids[1]!.top);
    expect(grids[0]!.bottom).toBe(grids[1]!.bottom);
    const legend = (option.legend as { data: string[] }).data;
    // Entries per method, not per method × network.
    expect(legend.every((n) => !/MLP|LeNet/.test(n))).toBe(true);
    const ys = list(option.yAxis);
    expect(ys[0]!.min).toBe(ys[1]!.min);
    expect(ys[0]!.max).toBe(ys[1]!.max);
  });

  it('encodes training vs. validation by line style only, and the network by panel only', () => {
    const option = buildFigure('train-vs-val-accuracy', runs);
    for (const s of meanLines(option)) {
      const id = String(s.id);
      const type = (s.lineStyle as { type: string }).type;
      expect(type).toBe(id.startsWith('training:') ? 'dashed' : 'solid');
    }
    const legend = (option.legend as { data: string[] }).data;
    expect(legend).toEqual([...new Set(runs.map((r) => r.label))]);
  });

  it('keeps one panel for one network, with the option shapes the export always had', () => {
    const option = buildFigure('val-loss', lenet);
    expect(Array.isArray(option.grid)).toBe(false);
    expect(Array.isArray(option.xAxis)).toBe(false);
  });
});

describe('screen styling', () => {
  const option = buildFigure('val-accuracy', lenet);

  it('keeps the legend to one scrolling row, so that it never eats the plot', () => {
    const screen = forScreen(option, 'dark', true, 400);
    const legend = list(screen.legend)[0]!;
    expect(legend.type).toBe('scroll');
    const grid = list(screen.grid)[0]!;
    expect(grid.bottom).toBeLessThanOrEqual(100);
  });

  it('adds zoom on x and a crosshair tooltip, which the export does not need', () => {
    const screen = forScreen(option, 'light', true, 600) as Obj;
    expect(list(screen.dataZoom).some((z) => z.type === 'inside')).toBe(true);
    expect((screen.tooltip as Obj).axisPointer).toBeTruthy();
    expect((option as Obj).dataZoom).toBeUndefined();
  });

  it('keeps the series colours of the figure (the live colours are the export colours)', () => {
    const screen = forScreen(option, 'dark', true, 600);
    const colours = (o: { series?: unknown }) =>
      (o.series as SeriesOption[]).map((s) => (s as { lineStyle?: { color?: string } }).lineStyle?.color);
    expect(colours(screen)).toEqual(colours(option));
  });

  it('draws a single seed without bands and still with nice bounds', () => {
    const one = makeRun({
      methodIndex: 0,
      method: { id: 'sgd' },
      model: 'mlp',
      seed: 1,
      epochs: [0.9, 0.95, 0.991].map((a) => ({ valAcc: a, valLoss: 0.1 })),
    });
    const o = buildFigure('val-accuracy', [one]);
    const y = o.yAxis as { min: number; max: number };
    expect(y.max).toBeLessThanOrEqual(100);
    expect(y.max).toBeGreaterThanOrEqual(99.1);
  });
});

describe('legend clicks isolate a method', () => {
  const names = ['SGD', 'SSA', 'SGD-SA'];

  it('shows the clicked method alone, then all again on a second click', () => {
    const alone = isolateLegend(names, null, 'SSA');
    expect(alone).toEqual({ SGD: false, SSA: true, 'SGD-SA': false });
    expect(isolateLegend(names, alone, 'SSA')).toBeNull();
  });

  it('adds a hidden method to the isolated ones, and returns to all when every one is shown', () => {
    const alone = isolateLegend(names, null, 'SSA');
    const two = isolateLegend(names, alone, 'SGD');
    expect(two).toEqual({ SGD: true, SSA: true, 'SGD-SA': false });
    expect(isolateLegend(names, two, 'SGD-SA')).toBeNull();
  });

  it('reads the entry names of a built figure', () => {
    expect(legendNames(buildFigure('val-accuracy', lenet) as Record<string, unknown>)).toEqual([
      ...new Set(lenet.map((r) => r.label)),
    ]);
  });
});

describe('tooltip heading', () => {
  it('names the x position as the axis does: "Epoch 14", "Wall time 12.346 s"', () => {
    const f = (kind: 'epoch' | 'seconds') =>
      (buildFigure('val-accuracy', lenet, { x: kind }).tooltip as { formatter: (p: unknown) => string })
        .formatter;
    const param = (axisValue: number) => [
      {
        seriesId: 'val:0',
        seriesName: 'SGD',
        marker: '',
        value: [axisValue, 90],
        axisValue,
        axisValueLabel: '14.00',
      },
    ];
    expect(f('epoch')(param(14)).split('<br/>')[0]).toBe('Epoch 14');
    expect(f('seconds')(param(12.345678)).split('<br/>')[0]).toBe('Wall time 12.346 s');
  });
});

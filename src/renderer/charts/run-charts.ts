// Run-view charts the figure kinds do not cover: the annealing schedule (temperature, ε with
// its drops, learning rate) per epoch. Built with the shared frame so they look like the rest.
import type { EChartsOption, LineSeriesOption } from 'echarts';
import { X_AXIS_NAMES, xOf, type ChartX } from '../../shared/charts';
import { PALETTE } from '../../shared/charts';
import { axisNumber, frame } from '../../shared/charts/frame';
import type { RunResult } from '../../shared/results';

export function scheduleFigure(run: RunResult, x: ChartX = 'epoch', width = 600): EChartsOption | null {
  const epochs = [...run.epochs].sort((a, b) => a.epoch - b.epoch);
  const line = (
    id: string,
    name: string,
    color: string,
    pick: (i: number) => number | null,
  ): LineSeriesOption => ({
    id,
    name,
    type: 'line',
    data: epochs.map((e, i) => [xOf(e, x), pick(i)]),
    showSymbol: epochs.length <= 30,
    symbolSize: 4,
    lineStyle: { color, width: 2 },
    itemStyle: { color },
  });
  const series: LineSeriesOption[] = [];
  if (epochs.some((e) => e.temperature !== null)) {
    series.push(line('temperature', 'Temperature T', PALETTE[0]!, (i) => epochs[i]!.temperature));
  }
  if (epochs.some((e) => e.epsilon !== null)) {
    const eps = line('epsilon', 'ε (move scale)', PALETTE[1]!, (i) => epochs[i]!.epsilon);
    const drops = epochs.filter((e) => e.epsilonDropped);
    if (drops.length) {
      eps.markLine = {
        symbol: ['none', 'none'],
        silent: true,
        data: drops.map((e) => ({
          xAxis: x === 'epoch' ? e.epoch + 0.5 : xOf(e, x),
          lineStyle: { color: '#C00000', type: 'dashed' },
          label: { formatter: 'ε ÷ 10', color: '#C00000', fontSize: 10 },
        })),
      };
    }
    series.push(eps);
  }
  if (epochs.some((e) => e.lr !== null)) {
    series.push(line('lr', 'Learning rate η', PALETTE[2]!, (i) => epochs[i]!.lr));
  }
  if (series.length === 0 || epochs.length === 0) return null;
  const option = frame({
    width,
    title: 'Schedule',
    subtitle: `${run.label} · seed ${run.seed} · log scale`,
    x,
    yName: 'Value',
    yLog: true,
    legend: series.map((s) => String(s.name)),
    series,
  }) as Record<string, unknown>;
  // Tooltip: plain values (the shared formatter expects mean ± std data).
  option.tooltip = {
    trigger: 'axis',
    valueFormatter: (v: unknown) => (typeof v === 'number' ? axisNumber(v) : '–'),
  };
  option.xAxis = { ...(option.xAxis as object), name: X_AXIS_NAMES[x] };
  return option as EChartsOption;
}

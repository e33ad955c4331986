// Chart option builders on fixed data and on the recorded mnist-small experiment: what each
// series holds, bands, markers and axes.
import { describe, expect, it } from 'vitest';
import type { LineSeriesOption, ScatterSeriesOption, SeriesOption } from 'echarts';
import type { RunResult } from '../../src/shared/results';
import { mean, sampleStd } from '../../src/shared/stats';
import {
  aggregateByEpoch,
  AUX_PREFIX,
  bandSeries,
  buildFigure,
  figureApplies,
  FIGURE_KINDS,
} from '../../src/shared/charts';
import { makeRun } from '../fixtures/runs';
import { renderSvg } from '../../src/main/export/figures';
import { mnistSmallRuns } from '../fixtures/mnist-small';
import { withMoveHistogram } from '../fixtures/move-histogram';

const lenet = mnistSmallRuns().filter((r) => r.model === 'lenet5');
const byLabel = (runs: RunResult[], prefix: string) => runs.filter((r) => r.label.startsWith(prefix));

type Line = Omit<LineSeriesOption, 'data'> & { data: (number | null)[][] };
const seriesOf = (option: { series?: unknown }) => option.series as SeriesOption[];
const meanLines = (option: { series?: unknown }) =>
  seriesOf(option).filter((s) => s.type === 'line' && !String(s.id).startsWith(AUX_PREFIX)) as Line[];
const lineNamed = (option: { series?: unknown }, name: string, idPrefix = '') =>
  meanLines(option).find((s) => s.name === name && String(s.id).startsWith(idPrefix))!;

describe('aggregation over seeds', () => {
  const mk = (seed: number, accs: number[], seconds: number) =>
    makeRun({
      methodIndex: 0,
      method: { id: 'sgd' },
      model: 'mlp',
      seed,
      epochs: accs.map((a, i) => ({ valLoss: 1, valAcc: a, seconds: (i + 1) * seconds })),
    });

  it('gives per-epoch mean, sample std and n, over the seeds that reached the epoch', () => {
    const runs = [mk(1, [0.5, 0.6, 0.7], 10), mk(2, [0.7, 0.8], 20)];
    const points = aggregateByEpoch(runs, (e) => e.val.accuracy, 'seconds');
    expect(points.map((p) => p.n)).toEqual([2, 2, 1]);
    expect(points[0]!.mean).toBeCloseTo(0.6, 15);
    expect(points[0]!.std).toBeCloseTo(sampleStd([0.5, 0.7]), 15);
    expect(points[2]!.std).toBeNull();
    // Wall time differs between seeds: the x of an epoch is their mean.
    expect(points.map((p) => p.x)).toEqual([15, 30, 30]);
  });

  it('skips values that are missing or not finite', () => {
    const runs = [mk(1, [0.5, NaN], 10)];
    expect(aggregateByEpoch(runs, (e) => e.val.accuracy, 'epoch').map((p) => p.epoch)).toEqual([1]);
  });
});

describe('mean ± std bands', () => {
  const points = [
    { epoch: 1, x: 1, mean: 0.5, std: 0.1, n: 3 },
    { epoch: 2, x: 2, mean: 0.95, std: 0.1, n: 3 },
  ];

  it('stacks a spread of 2·std on an invisible lower edge, all under the legend name of the line', () => {
    const [line, lower, spread] = bandSeries(points, {
      id: 'a',
      name: 'SGD',
      color: '#123456',
      scale: 100,
    }) as Line[];
    expect(line!.id).toBe('a');
    expect(line!.data.map((d) => d[1])).toEqual([50, 95]);
    expect(lower!.data.map((d) => d[1])).toEqual([40, 85]);
    expect(spread!.data.map((d) => d[1])).toEqual([20, 20]);
    expect(lower!.stack).toBe(spread!.stack);
    expect(line!.stack).toBeUndefined();
    expect([lower!.name, spread!.name]).toEqual(['SGD', 'SGD']);
    expect((spread!.areaStyle as { color: string }).color).toBe('#123456');
    expect((lower!.lineStyle as { opacity: number }).opacity).toBe(0);
  });

  it('keeps the band inside the quantity’s range', () => {
    const [, lower, spread] = bandSeries(points, {
      id: 'a',
      name: 'SGD',
      color: '#000',
      scale: 100,
      range: { min: 0, max: 100 },
    }) as Line[];
    // 95 ± 10 is cut at 100: the band runs from 85 to 100.
    expect(lower!.data[1]![1]).toBe(85);
    expect(spread!.data[1]![1]).toBe(15);
  });

  it('draws no band for a single seed or when asked not to', () => {
    const one = points.map((p) => ({ ...p, std: null, n: 1 }));
    expect(bandSeries(one, { id: 'a', name: 'SGD', color: '#000' })).toHaveLength(1);
    expect(bandSeries(points, { id: 'a', name: 'SGD', color: '#000', bands: false })).toHaveLength(1);
  });
});

describe('validation figures', () => {
  const option = buildFigure('val-accuracy', lenet);

  it('has one legend entry and one mean line per method, in percent, with a title and named axes', () => {
    const labels = [...new Set(lenet.map((r) => r.label))];
    expect((option.legend as { data: string[] }).data).toEqual(labels);
    expect(meanLines(option).map((s) => s.name)).toEqual(labels);
    expect((option.title as { text: string }).text).toBe('Validation accuracy');
    expect((option.title as { subtext: string }).subtext).toBe(
      'mnist-small · LeNet-5 on MNIST · 3 seeds, mean ± std',
    );
    expect((option.xAxis as { name: string }).name).toBe('Epoch');
    expect((option.yAxis as { name: string }).name).toBe('Validation accuracy (%)');
    const sgd = lineNamed(option, 'SGD (η = 0.1)');
    expect(sgd.data).toHaveLength(25);
    const epoch10 = byLabel(lenet, 'SGD (η = 0.1)').map((r) => r.epochs[9]!.val.accuracy * 100);
    expect(sgd.data[9]![1]).toBeCloseTo(mean(epoch10), 10);
    expect(sgd.data[9]![2]).toBeCloseTo(sampleStd(epoch10), 10);
  });

  it('gives every method its own colour, shared by its line and its band', () => {
    const colours = meanLines(option).map((s) => (s.lineStyle as { color: string }).color);
    expect(new Set(colours).size).toBe(colours.length);
    const spread = seriesOf(option).find((s) => String(s.id) === `${AUX_PREFIX}val:0:spread`) as Line;
    expect((spread.areaStyle as { color: string }).color).toBe(colours[0]);
  });

  it('plots against forward passes or wall time on request', () => {
    const fwd = buildFigure('val-loss', lenet, { x: 'forward' });
    const ssa = lineNamed(fwd, 'SSA (ε = 0.01, T = 0.05, α = 0.85)');
    // Three forward passes per minibatch, 30 minibatches per epoch.
    expect(ssa.data[0]![0]).toBe(90);
    expect((fwd.xAxis as { name: string }).name).toBe('Forward passes');
    const secs = buildFigure('val-loss', lenet, { x: 'seconds', norm: 'thesis' });
    expect((secs.yAxis as { name: string }).name).toBe("Validation loss (thesis's normalisation)");
    expect(lineNamed(secs, 'SGD (η = 0.1)').data[0]![0]).toBeGreaterThan(0);
  });

  it('draws one panel per network when the runs span several, each method once in the legend', () => {
    const both = buildFigure('val-accuracy', mnistSmallRuns());
    const labels = [...new Set(mnistSmallRuns().map((r) => r.label))];
    expect((both.legend as { data: string[] }).data).toEqual(labels);
    const panels = (both.title as { text: string }[]).slice(1).map((t) => t.text);
    expect(panels).toEqual(['MLP', 'LeNet-5']);
    expect(both.grid).toHaveLength(2);
    const sgd = meanLines(both).filter((s) => s.name === 'SGD (η = 0.1)');
    expect(sgd.map((s) => s.xAxisIndex ?? 0).sort()).toEqual([0, 1]);
    // The network is the panel, so the line style stays free (and solid) for the method.
    expect(new Set(sgd.map((s) => (s.lineStyle as { type: string }).type))).toEqual(new Set(['solid']));
    expect(new Set(sgd.map((s) => (s.lineStyle as { color: string }).color)).size).toBe(1);
    expect(meanLines(buildFigure('val-accuracy', mnistSmallRuns(), { column: 'mlp' }))).toHaveLength(6);
    expect(() => buildFigure('val-accuracy', lenet, { column: 'vgg16' })).toThrow(/no runs on "vgg16"/);
  });

  it('lists only mean lines in its tooltip', () => {
    const formatter = (option.tooltip as { formatter: (p: unknown) => string }).formatter;
    const html = formatter([
      { seriesId: 'val:0', seriesName: 'SGD', marker: '', value: [3, 91.234, 1.5, 3], axisValueLabel: '3' },
      { seriesId: `${AUX_PREFIX}val:0:lower`, seriesName: 'SGD', marker: '', value: [3, 89.7] },
    ]);
    expect(html).toBe('3<br/>SGD: 91.23 ± 1.5 (n = 3)');
  });

  it('shows a label in its tooltip as text, never as markup', () => {
    const formatter = (option.tooltip as { formatter: (p: unknown) => string }).formatter;
    const marker = '<span style="color:red"></span>';
    const html = formatter([
      {
        seriesId: 'val:0',
        seriesName: `<img src=x onerror="alert(1)"> & 'η'`,
        marker,
        value: [3, 90],
        axisValueLabel: '<b>3',
      },
    ]);
    // ECharts' own marker stays markup; the user's label and the axis value do not.
    expect(html).toBe(
      `&lt;b&gt;3<br/>${marker}&lt;img src=x onerror=&quot;alert(1)&quot;&gt; &amp; &#39;η&#39;: 90.00`,
    );
  });
});

describe('train against validation', () => {
  it('draws a solid validation and a dashed training line per method under one legend entry', () => {
    const option = buildFigure('train-vs-val-loss', byLabel(lenet, 'SGD (η = 0.1)'));
    expect((option.legend as { data: string[] }).data).toEqual(['SGD (η = 0.1)']);
    const val = lineNamed(option, 'SGD (η = 0.1)', 'validation:');
    const train = lineNamed(option, 'SGD (η = 0.1)', 'training:');
    expect((val.lineStyle as { type: string }).type).toBe('solid');
    expect((train.lineStyle as { type: string }).type).toBe('dashed');
    const runs = byLabel(lenet, 'SGD (η = 0.1)');
    expect(train.data[4]![1]).toBeCloseTo(mean(runs.map((r) => r.epochs[4]!.train.loss)), 10);
    expect(val.data[4]![1]).toBeCloseTo(mean(runs.map((r) => r.epochs[4]!.val.loss)), 10);
  });
});

describe('training loss with restarts', () => {
  const option = buildFigure('train-loss-restarts', lenet);
  const restart = lineNamed(option, 'SGD with restarts (η = 0.01, β = 0.9, ε = 0.01)');
  const marks = (restart.markLine as { data: { xAxis?: number; yAxis?: number }[] }).data;

  it('marks every restart of every seed at its epoch, and the threshold', () => {
    const expected = byLabel(lenet, 'SGD with restarts').flatMap((r) =>
      r.epochs.filter((e) => (e.restartEvents ?? []).length > 0).map((e) => e.epoch),
    );
    expect(expected).toEqual([12, 14, 16]);
    expect(marks.filter((m) => m.xAxis !== undefined).map((m) => m.xAxis)).toEqual(expected);
    // The threshold is a dotted series across the run (a log-axis markLine below 0.01 is not drawn).
    const threshold = seriesOf(option).find((s) =>
      String(s.id).startsWith('aux:threshold'),
    ) as LineSeriesOption;
    expect(threshold.name).toBe(restart.name);
    const ys = (threshold.data as unknown[]).map(
      (d) => (Array.isArray(d) ? d : (d as { value: number[] }).value)[1],
    );
    expect(ys).toEqual([0.01, 0.01]);
  });

  it('draws a threshold far below 0.01 into the SVG (ECharts drops such markLines on a log axis)', () => {
    const tiny = lenet.map((r) =>
      r.methodSpec.id === 'restart' ? { ...r, methodSpec: { ...r.methodSpec, restartEpsilon: 1e-6 } } : r,
    );
    const svg = renderSvg(buildFigure('train-loss-restarts', tiny));
    expect(svg).toContain('threshold ε = 0.000001');
  });

  it('draws a thesis-scale threshold where it fires on the mean-CE axis: ε · batch size', () => {
    const thesis = lenet.map((r) =>
      r.methodSpec.id === 'restart'
        ? {
            ...r,
            batchSize: 64,
            methodSpec: { ...r.methodSpec, restartEpsilon: 1e-4, lossScale: 'thesis' as const },
          }
        : r,
    );
    const option = buildFigure('train-loss-restarts', thesis);
    const line = seriesOf(option).find((s) => String(s.id).startsWith('aux:threshold')) as LineSeriesOption;
    const points = line.data as unknown[];
    const ys = points.map((d) => (Array.isArray(d) ? d : (d as { value: number[] }).value)[1]);
    expect(ys).toEqual([1e-4 * 64, 1e-4 * 64]);
    const label = (points[1] as { label: { formatter: string } }).label.formatter;
    expect(label).toBe('threshold ε = 0.0001 (thesis scale: mean CE 0.0064)');
  });

  it('uses a log axis, and no markers for methods without restarts', () => {
    expect((option.yAxis as { type: string }).type).toBe('log');
    expect(lineNamed(option, 'SGD (η = 0.1)').markLine).toBeUndefined();
  });
});

describe('acceptance probability', () => {
  const ssaRuns = byLabel(lenet, 'SSA');
  const option = buildFigure('acceptance', lenet);

  it('scatters every sampled probability inside its epoch and draws the epoch mean', () => {
    const scatter = seriesOf(option).find(
      (s) => s.type === 'scatter' && s.name === ssaRuns[0]!.label,
    ) as ScatterSeriesOption & { data: number[][] };
    const total = ssaRuns.reduce(
      (n, r) => n + r.epochs.reduce((m, e) => m + (e.acceptance?.sample.length ?? 0), 0),
      0,
    );
    expect(scatter.data).toHaveLength(total);
    for (const [x, p] of scatter.data) {
      expect(p).toBeGreaterThanOrEqual(0);
      expect(p).toBeLessThanOrEqual(1);
      expect(x).toBeGreaterThan(0);
      expect(x).toBeLessThan(25);
    }
    expect((option.legend as { data: string[] }).data).toEqual([ssaRuns[0]!.label, 'SGD-SA (H1)']);
  });

  it('applies only to runs that made worsening moves, and says so when there are none', () => {
    const sgd = byLabel(lenet, 'SGD (η = 0.1)');
    expect(figureApplies('acceptance', sgd)).toBe(false);
    expect(figureApplies('acceptance', lenet)).toBe(true);
    const empty = buildFigure('acceptance', sgd);
    expect((empty.title as { subtext: string }).subtext).toMatch(/No SSA or SGD-SA run/);
    expect(empty.series).toEqual([]);
  });
});

describe('worsening moves', () => {
  const ssaRuns = byLabel(lenet, 'SSA');

  it('draws accepted and rejected worsening moves per epoch, and ε drops after their epoch', () => {
    const option = buildFigure('moves', ssaRuns);
    expect((option.legend as { data: string[] }).data).toEqual([
      'Accepted worsening moves',
      'Rejected worsening moves',
    ]);
    const accepted = lineNamed(option, 'Accepted worsening moves');
    const rejected = lineNamed(option, 'Rejected worsening moves');
    expect(accepted.data[2]![1]).toBeCloseTo(mean(ssaRuns.map((r) => r.epochs[2]!.moves!.acceptedWorse)), 12);
    expect(rejected.data[2]![1]).toBeCloseTo(mean(ssaRuns.map((r) => r.epochs[2]!.moves!.rejectedWorse)), 12);
    const drops = (accepted.markLine as { data: { xAxis: number }[] }).data.map((d) => d.xAxis);
    expect(drops).toEqual([9.5, 11.5]);
    expect((option.title as { subtext: string }).subtext).toContain('red lines: ε divided by 10');
  });

  it('explains red lines only when some run dropped ε (SGD-SA never does)', () => {
    const option = buildFigure('moves', byLabel(lenet, 'SGD-SA'));
    expect((option.title as { subtext: string }).subtext).not.toContain('red lines');
  });

  it('names the method in each entry when several methods are drawn', () => {
    const option = buildFigure('moves', lenet);
    expect((option.legend as { data: string[] }).data).toEqual([
      'SSA (ε = 0.01, T = 0.05, α = 0.85): accepted',
      'SSA (ε = 0.01, T = 0.05, α = 0.85): rejected',
      'SGD-SA (H1): accepted',
      'SGD-SA (H1): rejected',
    ]);
  });
});

describe('every figure kind', () => {
  it.each(FIGURE_KINDS)('%s has a title, labelled axes and a legend from the recorded experiment', (kind) => {
    const option = buildFigure(kind, kind === 'move-histogram' ? withMoveHistogram(lenet) : lenet);
    expect((option.title as { text: string }).text.length).toBeGreaterThan(0);
    expect((option.xAxis as { name: string }).name.length).toBeGreaterThan(0);
    expect((option.yAxis as { name: string }).name.length).toBeGreaterThan(0);
    expect((option.legend as { data: string[] }).data.length).toBeGreaterThan(0);
    expect(meanLines(option).length).toBeGreaterThan(0);
  });
});

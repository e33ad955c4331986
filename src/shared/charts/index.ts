// Chart option builders: pure functions of runs → ECharts options, drawn live by the UI and
// rendered to SVG / PNG by the export.
export { aggregateByEpoch, xOf, X_AXIS_NAMES, type AggregatePoint, type ChartX } from './aggregate';
export { bandSeries, seriesGroups, PALETTE, AUX_PREFIX, type ChartOptions, type SeriesGroup } from './frame';
export {
  buildFigure,
  figureApplies,
  isFigureKind,
  FIGURE_KINDS,
  FIGURE_DESCRIPTIONS,
  type FigureKind,
  type FigureOptions,
} from './figures';

// Chart option builders: pure functions of runs → ECharts options, drawn live by the UI and
// rendered to SVG / PNG by the export.
export { aggregateByEpoch, xOf, X_AXIS_NAMES, type AggregatePoint, type ChartX } from './aggregate';
export {
  bandSeries,
  seriesGroups,
  methodStyles,
  niceAxis,
  PALETTE,
  AUX_PREFIX,
  MIN_FONT_SIZE,
  type ChartOptions,
  type MethodStyle,
  type SeriesGroup,
} from './frame';
export {
  buildFigure,
  figureApplies,
  isFigureKind,
  FIGURE_KINDS,
  FIGURE_DESCRIPTIONS,
  type FigureKind,
  type FigureOptions,
} from './figures';

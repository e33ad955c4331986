// The pieces every renderer prints for a cell, so that the formats differ only in markup.
import { formatCount, formatMetric, formatPValue, formatSeconds, formatStd, type Metric } from './format';
import { significanceMark, type Cell, type ComparisonTable, type TimeToTargetCell } from './model';

export interface CellParts {
  value: string;
  /** Null for a single seed: one value has no spread, so no ± is printed. */
  std: string | null;
  /** Significance mark against the baseline ("", "*", "**"). */
  mark: string;
  /** "0.012", "< 0.001", or null when untested. */
  p: string | null;
  isBest: boolean;
}

export function cellParts(metric: Metric, cell: Cell | null): CellParts | null {
  if (!cell) return null;
  const value = formatMetric(metric, cell.mean);
  return {
    value,
    std: cell.std === null ? null : formatStd(metric, cell.std, value),
    mark: significanceMark(cell.pValue),
    p: cell.pValue == null ? null : formatPValue(cell.pValue),
    isBest: cell.isBest,
  };
}

export function metricHeading(metric: Metric): string {
  return metric === 'loss' ? 'Loss' : 'Accuracy (%)';
}

/** "90%" for a target of 0.9, keeping digits a user gave (0.925 → "92.5%"). */
export function targetText(target: number): string {
  return `${Number((target * 100).toPrecision(10))}%`;
}

export interface TimeToTargetParts {
  epochs: string;
  seconds: string;
  forward: string;
  backward: string;
  /** "2/3". */
  reached: string;
  none: boolean;
}

export function timeToTargetParts(cell: TimeToTargetCell | null | undefined): TimeToTargetParts | null {
  if (!cell) return null;
  return {
    epochs: cell.epochs ? formatCount(Number(cell.epochs.mean.toFixed(1))) : '',
    seconds: cell.seconds ? formatSeconds(cell.seconds.mean) : '',
    forward: cell.forward ? formatCount(Math.round(cell.forward.mean)) : '',
    backward: cell.backward ? formatCount(Math.round(cell.backward.mean)) : '',
    reached: `${cell.reached}/${cell.n}`,
    none: cell.reached === 0,
  };
}

export const TIME_TO_TARGET_HEADINGS = ['Epochs', 'Time (s)', 'Forward', 'Backward', 'Reached'] as const;

export function hasTimeToTarget(table: ComparisonTable): boolean {
  return table.options.timeToTarget !== undefined;
}

/** Whether any cell has several seeds, so that tables need room for ± and n. */
export function hasSpread(table: ComparisonTable): boolean {
  return table.seedsPerCell.max > 1;
}

export function timeToTargetCaption(table: ComparisonTable): string {
  const target = targetText(table.options.timeToTarget ?? 1);
  return (
    `Time to ${target} validation accuracy: epochs, wall time and forward / backward passes over ` +
    `training minibatches until the first epoch at or above it, mean over the seeds that reached it.`
  );
}

/** "best in its column", and where rows differ in settings, among which rows. */
export function bestScope(table: ComparisonTable): string {
  const rowsSplit = table.settings.differing.some((n) => !table.settings.inColumns.includes(n));
  return rowsSplit ? 'best in its column among rows of the same settings' : 'best in its column';
}

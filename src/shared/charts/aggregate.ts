// Per-epoch mean ± std over the seeds of one method on one network: what every line and
// band of the figures is drawn from.
import { CHART_X_AXES, X_AXIS_NAMES, type ChartX } from '../options';
import type { EpochRecord } from '../records';
import type { RunResult } from '../results';
import { configurationKey, runBackendClass } from '../table/group';
import { mean, sampleStd } from '../stats';

export { CHART_X_AXES, X_AXIS_NAMES, type ChartX };

export function xOf(e: EpochRecord, x: ChartX): number {
  switch (x) {
    case 'epoch':
      return e.epoch;
    case 'seconds':
      return e.counters.seconds;
    case 'forward':
      return e.counters.forward;
  }
}

export interface AggregatePoint {
  epoch: number;
  /** Mean over the seeds that have this epoch (wall time differs between seeds). */
  x: number;
  mean: number;
  /** Null below two seeds. */
  std: number | null;
  n: number;
}

/**
 * Aggregates a per-epoch value over runs, epoch by epoch. Runs of different lengths (a live
 * run, a cancelled one) contribute to the epochs they have; epochs where `value` is null or
 * not finite for every run are skipped.
 */
export function aggregateByEpoch(
  runs: readonly RunResult[],
  value: (e: EpochRecord) => number | null,
  x: ChartX,
): AggregatePoint[] {
  assertOneConfiguration(runs);
  const byEpoch = new Map<number, { xs: number[]; ys: number[] }>();
  for (const run of runs) {
    for (const e of run.epochs) {
      const y = value(e);
      if (y === null || !Number.isFinite(y)) continue;
      const slot = byEpoch.get(e.epoch) ?? { xs: [], ys: [] };
      slot.xs.push(xOf(e, x));
      slot.ys.push(y);
      byEpoch.set(e.epoch, slot);
    }
  }
  return [...byEpoch.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([epoch, { xs, ys }]) => ({
      epoch,
      x: mean(xs),
      mean: mean(ys),
      std: ys.length > 1 ? sampleStd(ys) : null,
      n: ys.length,
    }));
}

/**
 * A mean curve is only a mean over seeds of one configuration: runs that differ in anything
 * else (epochs, subset, method parameters …) are separate series (see groupRuns), and a caller
 * that hands them over together is a bug that would draw a curve no experiment produced.
 */
function assertOneConfiguration(runs: readonly RunResult[]): void {
  // A run whose backend is not known yet (queued under `auto`) matches either class.
  const keys = new Set(runs.map((r) => configurationKey(r, null)));
  const classes = new Set(runs.map(runBackendClass));
  classes.delete(null);
  if (keys.size > 1 || classes.size > 1) {
    throw new Error(
      `aggregateByEpoch: runs of differing configurations given; average each group (groupRuns) on its own`,
    );
  }
}

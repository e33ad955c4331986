// How numbers are printed in every rendering of a table. The model uses the same rounding
// to decide ties, so that two cells that print alike are both marked best.

/** Significant digits of a loss: the thesis prints 0.001931. */
export const LOSS_SIGNIFICANT_DIGITS = 4;
/** Decimals of an accuracy in percent: the thesis prints 67.41. */
export const ACCURACY_DECIMALS = 2;

export type Metric = 'loss' | 'accuracy';

/** `digits` significant digits in positional notation; exponent notation only below 1e-6. */
export function formatSignificant(x: number, digits: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return (0).toFixed(digits - 1);
  const magnitude = Math.floor(Math.log10(Math.abs(x)));
  if (magnitude < -6) return x.toExponential(digits - 1);
  return x.toFixed(Math.max(0, digits - 1 - magnitude));
}

/** A loss as printed in tables. */
export function formatLoss(x: number): string {
  return formatSignificant(x, LOSS_SIGNIFICANT_DIGITS);
}

/** An accuracy fraction as printed in tables: percent, two decimals. */
export function formatAccuracy(fraction: number): string {
  return (fraction * 100).toFixed(ACCURACY_DECIMALS);
}

export function formatMetric(metric: Metric, value: number): string {
  return metric === 'loss' ? formatLoss(value) : formatAccuracy(value);
}

/** A standard deviation printed to the same last digit as its mean, so that ± lines up. */
export function formatStd(metric: Metric, std: number, meanText: string): string {
  const scaled = metric === 'accuracy' ? std * 100 : std;
  // Below 1e-6 the mean is in exponent notation, and two digits of the spread are plenty.
  if (meanText.includes('e')) return scaled.toExponential(1);
  const decimals = (meanText.split('.')[1] ?? '').length;
  return scaled.toFixed(decimals);
}

/** The value a cell is compared on: its printed rounding, read back. */
export function roundedForComparison(metric: Metric, value: number): number {
  return Number(formatMetric(metric, value));
}

/** A p-value: three decimals, or "< 0.001". */
export function formatPValue(p: number): string {
  if (!Number.isFinite(p)) return '';
  return p < 0.001 ? '< 0.001' : p.toFixed(3);
}

/** Raw values for CSV: full information, without binary noise such as 67.41000000000001. */
export function formatRaw(x: number): string {
  if (!Number.isFinite(x)) return '';
  return String(Number(x.toPrecision(12)));
}

/** A mean count (epochs, passes): whole when it is whole, else one decimal. */
export function formatCount(x: number): string {
  if (!Number.isFinite(x)) return '';
  return Number.isInteger(x) ? String(x) : x.toFixed(1);
}

/** Wall time in seconds. */
export function formatSeconds(x: number): string {
  if (!Number.isFinite(x)) return '';
  return x < 100 ? x.toFixed(1) : x.toFixed(0);
}

// Sweeps: a method entry's `"sweep": {"lr": [0.1, 0.05], "momentum": [0, 0.9]}` stands for the
// cartesian product of methods, one per combination of values. validateSpec expands it, so the
// stored spec, the runs, the table and the figures see plain methods, each with its own label.
// This module knows no schema: spec.ts hands it the method's parameter names and a check of one
// value, so that every value is validated by the method's own schema and reported by its path.

/** Most methods one sweep may make: a slip such as a 100-value list should not queue thousands of runs. */
export const SWEEP_LIMIT = 256;

/** A problem, its path relative to the method entry (['sweep', 'lr', 2]). */
export interface EntryProblem {
  path: PropertyKey[];
  message: string;
}

/** The swept parameters in the order written, each with its values. */
export type SweepAxes = [key: string, values: readonly unknown[]][];

/** One combination: each swept parameter with its value and that value's index in its list. */
export type Combination = { key: string; value: unknown; index: number }[];

/** Fields that name or label a method rather than parameterise it. */
const NOT_SWEPT = new Set(['id', 'label', 'sweep']);

/**
 * Check a method entry's `sweep`: an object of parameter → non-empty list, every parameter one
 * the method takes and not also given outright, every value valid (`check`), the product within
 * SWEEP_LIMIT. The axes come back only when all of it holds.
 */
export function readSweep(
  sweep: unknown,
  method: { id: string; params: readonly string[]; given: readonly string[] },
  check: (key: string, value: unknown) => EntryProblem[],
): { axes: SweepAxes | null; problems: EntryProblem[] } {
  const problems: EntryProblem[] = [];
  if (!sweep || typeof sweep !== 'object' || Array.isArray(sweep)) {
    problems.push({ path: ['sweep'], message: 'must be an object of parameter → list of values' });
    return { axes: null, problems };
  }
  const entries = Object.entries(sweep as Record<string, unknown>);
  if (entries.length === 0) problems.push({ path: ['sweep'], message: 'must name at least one parameter' });
  const swept = method.params.filter((p) => !NOT_SWEPT.has(p));
  const axes: SweepAxes = [];
  for (const [key, values] of entries) {
    if (!swept.includes(key)) {
      problems.push({
        path: ['sweep', key],
        message: NOT_SWEPT.has(key)
          ? `"${key}" cannot be swept`
          : `unknown parameter "${key}" of ${method.id}; expected one of ${swept.join(', ')}`,
      });
      continue;
    }
    if (method.given.includes(key)) {
      problems.push({ path: ['sweep', key], message: `is also given as "${key}"; give it in one place` });
      continue;
    }
    if (!Array.isArray(values)) {
      problems.push({ path: ['sweep', key], message: 'must be a list of values' });
      continue;
    }
    if (values.length === 0) {
      problems.push({ path: ['sweep', key], message: 'must list at least one value' });
      continue;
    }
    values.forEach((v, j) => {
      for (const p of check(key, v))
        problems.push({ path: ['sweep', key, j, ...p.path.slice(1)], message: p.message });
    });
    axes.push([key, values]);
  }
  const count = axes.reduce((n, [, values]) => n * values.length, 1);
  if (count > SWEEP_LIMIT) {
    problems.push({ path: ['sweep'], message: `makes ${count} methods; at most ${SWEEP_LIMIT}` });
  }
  return { axes: problems.length === 0 ? axes : null, problems };
}

/**
 * Every combination of the axes, the first parameter varying slowest and the last fastest (as
 * nested loops in the order written, or Python's itertools.product).
 */
export function combinations(axes: SweepAxes): Combination[] {
  let out: Combination[] = [[]];
  for (const [key, values] of axes) {
    out = out.flatMap((combo) => values.map((value, index) => [...combo, { key, value, index }]));
  }
  return out;
}

/** "lr = 0.05, momentum = 0.9": the values that tell a sweep's methods apart. */
export function describeCombination(combo: Combination): string {
  return combo.map(({ key, value }) => `${key} = ${formatValue(value)}`).join(', ');
}

function formatValue(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(formatValue).join(', ')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.entries(v)
      .map(([k, x]) => `${k}: ${formatValue(x)}`)
      .join(', ')}}`;
  }
  return String(v);
}

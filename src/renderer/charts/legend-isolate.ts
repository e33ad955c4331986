// Legend clicks as experiment trackers do them: a click shows that method alone, a second click
// on the method shown alone shows all again, and a click on another hidden one adds it.

/** The legend's entry names of an option (the first legend's data). */
export function legendNames(option: Record<string, unknown>): string[] {
  const legends = Array.isArray(option.legend) ? option.legend : option.legend ? [option.legend] : [];
  const data = (legends[0] as { data?: unknown[] } | undefined)?.data ?? [];
  return data.map((d) => (typeof d === 'string' ? d : String((d as { name?: unknown }).name ?? '')));
}

/**
 * The entries to show after a click on `clicked`, given what was shown (`null`: all). Returns
 * null when all are shown again.
 */
export function isolateLegend(
  names: readonly string[],
  shown: Readonly<Record<string, boolean>> | null,
  clicked: string,
): Record<string, boolean> | null {
  const only = (keep: (n: string) => boolean) => Object.fromEntries(names.map((n) => [n, keep(n)]));
  if (!shown) return names.length > 1 ? only((n) => n === clicked) : null;
  const visible = names.filter((n) => shown[n]);
  if (visible.length === 1 && visible[0] === clicked) return null;
  const next = only((n) => (n === clicked ? !shown[n] : Boolean(shown[n])));
  return names.every((n) => next[n]) ? null : next;
}

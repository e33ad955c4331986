// A plain aligned table for a terminal: what `annealab run` prints at the end. The same
// content as the other renderers; the best cell of a column is flagged with • since a
// terminal has no bold that survives a pipe or a log file.
import {
  cellParts,
  hasTimeToTarget,
  metricHeading,
  TIME_TO_TARGET_HEADINGS,
  timeToTargetCaption,
  timeToTargetParts,
  bestScope,
} from './cells';
import { METRICS, type ComparisonTable } from './model';

export interface TextOptions {
  /** `marks` (default) or `pvalues` in each cell. */
  significance?: 'marks' | 'pvalues';
  caption?: string;
}

const BEST = '•';
const GAP = '  ';

/** Columns of text, each aligned, under group titles that span their columns. */
function layout(
  titles: readonly string[],
  span: number,
  header: readonly string[],
  body: readonly (readonly string[])[],
): string[] {
  const columns = header.length;
  const widths = header.map((h, c) => Math.max(h.length, ...body.map((r) => r[c]!.length)));
  // Widen a group's last column when its title is longer than its columns together.
  titles.forEach((t, g) => {
    const first = 1 + g * span;
    const inner = widths.slice(first, first + span).reduce((a, b) => a + b, 0) + GAP.length * (span - 1);
    if (t.length > inner) widths[first + span - 1]! += t.length - inner;
  });
  const pad = (s: string, c: number) => (c === 0 ? s.padEnd(widths[c]!) : s.padStart(widths[c]!));
  const lines: string[] = [];
  if (titles.length) {
    let line = ''.padEnd(widths[0]!);
    let rule = ''.padEnd(widths[0]!);
    titles.forEach((t, g) => {
      const first = 1 + g * span;
      const inner = widths.slice(first, first + span).reduce((a, b) => a + b, 0) + GAP.length * (span - 1);
      const left = Math.floor((inner - t.length) / 2);
      line += GAP + (' '.repeat(left) + t).padEnd(inner);
      rule += GAP + '─'.repeat(inner);
    });
    lines.push(line.trimEnd(), rule);
  }
  lines.push(
    header
      .map((h, c) => pad(h, c))
      .join(GAP)
      .trimEnd(),
  );
  lines.push(widths.map((w) => '─'.repeat(w)).join(GAP));
  for (const r of body)
    lines.push(
      Array.from({ length: columns }, (_, c) => pad(r[c]!, c))
        .join(GAP)
        .trimEnd(),
    );
  return lines;
}

export function renderText(table: ComparisonTable, options: TextOptions = {}): string {
  const significance = options.significance ?? 'marks';
  const titles = table.columns.map((c) => c.title);
  // Marks and the best flag sit in fixed-width slots after the value, so that the digits
  // stay aligned; headings end where the digits end.
  const markWidth = significance === 'marks' && table.baseline ? 2 : 0;
  const slot = ' '.repeat(markWidth + 2);
  const header = ['Method', ...table.columns.flatMap(() => METRICS.map((m) => metricHeading(m) + slot))];
  const body = table.rows.map((r) => [
    r.label,
    ...r.cells.flatMap((g) =>
      METRICS.map((m) => {
        const p = cellParts(m, g[m]);
        if (!p) return `–${slot}`;
        let s = p.value + (p.std !== null ? ` ± ${p.std}` : '');
        if (significance === 'marks') s += p.mark.padEnd(markWidth);
        else if (p.p !== null) s += ` (p ${p.p.startsWith('<') ? p.p : `= ${p.p}`})`;
        return s + (p.isBest ? ` ${BEST}` : '  ');
      }),
    ),
  ]);

  const lines = [options.caption ?? table.caption, ''];
  lines.push(...layout(titles, 2, header, body));

  if (hasTimeToTarget(table)) {
    const span = TIME_TO_TARGET_HEADINGS.length;
    const head = ['Method', ...table.columns.flatMap(() => [...TIME_TO_TARGET_HEADINGS])];
    const rows = table.rows.map((r) => [
      r.label,
      ...r.cells.flatMap((g) => {
        const p = timeToTargetParts(g.timeToTarget);
        if (!p) return TIME_TO_TARGET_HEADINGS.map(() => '–');
        if (p.none) return ['–', '–', '–', '–', p.reached];
        return [p.epochs, p.seconds, p.forward, p.backward, p.reached];
      }),
    ]);
    lines.push('', timeToTargetCaption(table), '', ...layout(titles, span, head, rows));
  }

  const notes: string[] = [];
  if (table.rows.some((r) => r.cells.some((g) => g.loss?.isBest || g.accuracy?.isBest))) {
    notes.push(`${BEST} ${bestScope(table)}.`);
  }
  for (const n of table.notes) notes.push(n.text);
  if (notes.length) lines.push('', ...notes);
  return lines.join('\n') + '\n';
}

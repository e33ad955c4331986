// Markdown (GitHub-flavoured pipe table): for READMEs, issues and lab notebooks.
import {
  cellParts,
  hasTimeToTarget,
  metricHeading,
  TIME_TO_TARGET_HEADINGS,
  timeToTargetCaption,
  timeToTargetParts,
  type CellParts,
} from './cells';
import { METRICS, type ComparisonTable } from './model';

export interface MarkdownOptions {
  /** `marks` (default) or `pvalues` in each cell. */
  significance?: 'marks' | 'pvalues';
  caption?: string;
}

/** Escapes characters that Markdown would read as markup or as a cell boundary. */
export function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_[\]<>|#]/g, (c) => `\\${c}`);
}

function cellMd(parts: CellParts | null, significance: 'marks' | 'pvalues'): string {
  if (!parts) return '–';
  const bold = (s: string) => (parts.isBest ? `**${s}**` : s);
  let out = bold(parts.value);
  if (parts.std !== null) out += ` ± ${bold(parts.std)}`;
  if (significance === 'marks') out += escapeMarkdown(parts.mark);
  else if (parts.p !== null) out += ` (p ${parts.p.startsWith('<') ? parts.p : `= ${parts.p}`})`;
  return out;
}

function row(cells: readonly string[]): string {
  return `| ${cells.join(' | ')} |`;
}

export function renderMarkdown(table: ComparisonTable, options: MarkdownOptions = {}): string {
  const significance = options.significance ?? 'marks';
  const lines: string[] = [];
  lines.push(`**${escapeMarkdown(options.caption ?? table.caption)}**`, '');
  const header = ['Method'];
  for (const c of table.columns)
    for (const m of METRICS) header.push(escapeMarkdown(`${c.title} ${metricHeading(m)}`));
  lines.push(row(header));
  lines.push(row([':--', ...header.slice(1).map(() => '--:')]));
  for (const r of table.rows) {
    const cells = r.cells.flatMap((g) => METRICS.map((m) => cellMd(cellParts(m, g[m]), significance)));
    lines.push(row([escapeMarkdown(r.label), ...cells]));
  }

  if (hasTimeToTarget(table)) {
    lines.push('', escapeMarkdown(timeToTargetCaption(table)), '');
    const head = ['Method'];
    for (const c of table.columns)
      for (const h of TIME_TO_TARGET_HEADINGS) head.push(escapeMarkdown(`${c.title} ${h}`));
    lines.push(row(head));
    lines.push(row([':--', ...head.slice(1).map(() => '--:')]));
    for (const r of table.rows) {
      const cells = r.cells.flatMap((g) => {
        const p = timeToTargetParts(g.timeToTarget);
        if (!p) return TIME_TO_TARGET_HEADINGS.map(() => '–');
        if (p.none) return ['–', '–', '–', '–', p.reached];
        return [p.epochs, p.seconds, p.forward, p.backward, p.reached];
      });
      lines.push(row([escapeMarkdown(r.label), ...cells]));
    }
  }

  const notes: string[] = [];
  if (table.rows.some((r) => r.cells.some((g) => g.loss?.isBest || g.accuracy?.isBest))) {
    notes.push('Best per column in **bold**.');
  }
  for (const n of table.notes) notes.push(escapeMarkdown(n.text));
  // One paragraph per note.
  for (const n of notes) lines.push('', n);
  return lines.join('\n') + '\n';
}

// CSV (RFC 4180): one row per method, one column per network × metric, for spreadsheets and
// scripts. Every number, per-seed values included, is printed as the tables print it
// (accuracy in percent, two decimals; loss to four significant digits). The notes follow the
// data as `#` comment lines, so the file stays tidy data: pandas `read_csv(comment='#')` and
// R `read.csv(comment.char='#')` read only the table; a field holding `#` is quoted, which
// both readers honour.
import { cellParts, metricHeading, targetText, timeToTargetParts } from './cells';
import { formatMetric, formatRaw, type Metric } from './format';
import { METRICS, type ComparisonTable } from './model';

export interface CsvOptions {
  /** Append one column per seed and metric with the raw per-seed values. */
  perSeed?: boolean;
  /** Append the notes (runs left out, significance) as `#` comment lines under the table; default true. */
  notes?: boolean;
}

/**
 * Quotes a field when RFC 4180 requires it (comma, quote, CR or LF), doubling inner quotes;
 * also when it holds `#`, so that a reader skipping comments does not cut the line there.
 */
export function csvField(value: string): string {
  return /[",\r\n#]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** A note as one comment line: `# ` and the text on one line. */
export function csvComment(text: string): string {
  return `# ${text.replace(/[\r\n]+/g, ' ')}`;
}

export function csvLine(fields: readonly string[]): string {
  return fields.map(csvField).join(',');
}

/** Per-seed column identities of a group: each seed once, or more when a seed repeats. */
function seedColumns(table: ComparisonTable, g: number): { seed: number; occurrence: number }[] {
  const max = new Map<number, number>();
  for (const row of table.rows) {
    const cell = row.cells[g]!.loss;
    if (!cell) continue;
    const counts = new Map<number, number>();
    for (const s of cell.seeds) counts.set(s, (counts.get(s) ?? 0) + 1);
    for (const [s, c] of counts) max.set(s, Math.max(max.get(s) ?? 0, c));
  }
  return [...max.entries()]
    .sort((a, b) => a[0] - b[0])
    .flatMap(([seed, c]) => Array.from({ length: c }, (_, occurrence) => ({ seed, occurrence })));
}

export function renderCsv(table: ComparisonTable, options: CsvOptions = {}): string {
  const spread = table.seedsPerCell.max > 1;
  const tested = table.baseline !== null;
  const target = table.options.timeToTarget;
  const header = ['Method'];
  type Getter = (rowIndex: number) => string;
  const getters: Getter[] = [(r) => table.rows[r]!.label];

  table.columns.forEach((col, g) => {
    const cellOf = (r: number, metric: Metric) => table.rows[r]!.cells[g]![metric];
    for (const metric of METRICS) {
      const name = `${col.title} ${metricHeading(metric)}`;
      header.push(name);
      // An empty field, not a dash: an empty field is the missing value every CSV reader knows.
      getters.push((r) => cellParts(metric, cellOf(r, metric))?.value ?? '');
      if (spread) {
        header.push(`${col.title} ${metric === 'loss' ? 'Loss' : 'Accuracy'} SD`);
        getters.push((r) => cellParts(metric, cellOf(r, metric))?.std ?? '');
      }
      if (tested) {
        header.push(`${col.title} ${metric === 'loss' ? 'Loss' : 'Accuracy'} p`);
        getters.push((r) => {
          const p = cellOf(r, metric)?.pValue;
          return p == null ? '' : formatRaw(Number(p.toPrecision(4)));
        });
      }
    }
    if (spread) {
      header.push(`${col.title} n`);
      getters.push((r) => String(cellOf(r, 'loss')?.n ?? ''));
    }
    if (target !== undefined) {
      const t = targetText(target);
      const parts = (r: number) => timeToTargetParts(table.rows[r]!.cells[g]!.timeToTarget);
      header.push(
        `${col.title} Epochs to ${t}`,
        `${col.title} Seconds to ${t}`,
        `${col.title} Forward passes to ${t}`,
        `${col.title} Backward passes to ${t}`,
        `${col.title} Seeds reaching ${t}`,
      );
      getters.push(
        (r) => parts(r)?.epochs ?? '',
        (r) => parts(r)?.seconds ?? '',
        (r) => parts(r)?.forward ?? '',
        (r) => parts(r)?.backward ?? '',
        (r) => parts(r)?.reached ?? '',
      );
    }
    if (options.perSeed) {
      for (const metric of METRICS) {
        for (const { seed, occurrence } of seedColumns(table, g)) {
          const suffix = occurrence > 0 ? ` (${occurrence + 1})` : '';
          header.push(`${col.title} ${metricHeading(metric)} seed ${seed}${suffix}`);
          getters.push((r) => {
            const cell = cellOf(r, metric);
            if (!cell) return '';
            const idx = cell.seeds.map((s, i) => (s === seed ? i : -1)).filter((i) => i >= 0)[occurrence];
            if (idx === undefined) return '';
            const v = cell.perSeed[idx]!;
            return Number.isFinite(v) ? formatMetric(metric, v) : '';
          });
        }
      }
    }
  });

  const lines = [csvLine(header)];
  table.rows.forEach((_, r) => lines.push(csvLine(getters.map((get) => get(r)))));
  if (options.notes ?? true) {
    for (const note of table.notes) lines.push(csvComment(note.text));
  }
  return lines.join('\r\n') + '\r\n';
}

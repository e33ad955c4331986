// Table export: runs in, the file's text out. The CLI and the UI's export dialog call this;
// reading runs from the store and writing files is theirs.
import { TABLE_EXTENSIONS, TABLE_FORMATS, type TableFormat } from '../../shared/options';
import type { RunResult } from '../../shared/results';
import {
  buildComparisonTable,
  renderCsv,
  renderLatex,
  renderMarkdown,
  renderText,
  type ComparisonTable,
  type CsvOptions,
  type LatexOptions,
  type MarkdownOptions,
  type TableOptions,
  type TextOptions,
} from '../../shared/table';

export { TABLE_FORMATS, TABLE_EXTENSIONS, type TableFormat };

export interface ExportTableOptions extends TableOptions {
  csv?: CsvOptions;
  latex?: LatexOptions;
  markdown?: MarkdownOptions;
  text?: TextOptions;
}

export function renderTable(
  table: ComparisonTable,
  format: TableFormat,
  options: ExportTableOptions,
): string {
  switch (format) {
    case 'csv':
      return renderCsv(table, options.csv);
    case 'latex':
      return renderLatex(table, options.latex);
    case 'markdown':
      return renderMarkdown(table, options.markdown);
    case 'text':
      return renderText(table, options.text);
  }
}

/**
 * The comparison table of the runs in one format. Throws for an unknown format or baseline,
 * with a message that names the valid ones.
 */
export function exportTable(
  runs: readonly RunResult[],
  format: TableFormat,
  options: ExportTableOptions,
): string {
  if (!(TABLE_FORMATS as readonly string[]).includes(format)) {
    throw new Error(`unknown table format "${format}"; expected one of ${TABLE_FORMATS.join(', ')}`);
  }
  return renderTable(buildComparisonTable(runs, options), format, options);
}

// The figure export lives beside it; re-exported so that one import serves both.
export { exportFigure, FIGURE_KINDS, FIGURE_FORMATS, type FigureKind, type FigureFormat } from './figures';

// Exports: the comparison table (CSV, LaTeX, Markdown, text) and the figures (SVG, PNG) of a
// selection of runs, with the file name and type a download or a save dialog needs.
import { ContractError, smoothRuns, type ExportFile } from '../../shared/contract';
import type { RunResult } from '../../shared/results';
import {
  exportFigure,
  exportTable,
  TABLE_EXTENSIONS,
  type ExportFigureOptions,
  type FigureFormat,
  type FigureKind,
  type TableFormat,
} from '../export';
import type { Store } from '../store';
import { selectResults } from './runs';

type Selection = { experimentIds: string[]; runIds?: string[] };
type TableOptions = NonNullable<Parameters<typeof exportTable>[2]>;

const TABLE_MIME = {
  csv: 'text/csv',
  latex: 'application/x-tex',
  markdown: 'text/markdown',
  text: 'text/plain',
} as const;

/**
 * The table of `runs`. The table model refuses what the options ask for but the runs cannot
 * give (a baseline that is none of the methods): that is the user's to change.
 */
export function tableText(runs: readonly RunResult[], format: TableFormat, options: TableOptions): string {
  try {
    return exportTable(runs, format, options);
  } catch (err) {
    throw new ContractError((err as Error).message, 'conflict');
  }
}

/** A name for the file from the experiments it covers, safe on every file system. */
export function exportName(runs: readonly RunResult[]): string {
  const names = [...new Set(runs.map((r) => r.experimentName))];
  const base = names.length === 1 ? names[0]! : names.length > 1 ? 'comparison' : 'empty';
  return base.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '') || 'annealab';
}

export function tableFile(
  store: Store,
  request: Selection & { format: TableFormat; options: Omit<TableOptions, 'csv'>; perSeed: boolean },
): ExportFile {
  const { format, options, perSeed, ...selection } = request;
  const runs = selectResults(store, selection);
  const content = tableText(runs, format, { ...options, csv: { perSeed } });
  return {
    filename: `${exportName(runs)}${TABLE_EXTENSIONS[format]}`,
    mime: TABLE_MIME[format],
    content,
    encoding: 'utf8',
  };
}

export function figureFile(
  store: Store,
  request: Selection & {
    kind: FigureKind;
    format: FigureFormat;
    options: ExportFigureOptions & { smoothing: number };
  },
): ExportFile {
  const { kind, format, options, ...selection } = request;
  const runs = smoothRuns(selectResults(store, selection), options.smoothing);
  const { smoothing: _smoothing, ...figure } = options;
  const filename = `${exportName(runs)}-${kind}.${format}`;
  if (format === 'svg') {
    return {
      filename,
      mime: 'image/svg+xml',
      content: exportFigure(runs, kind, 'svg', figure),
      encoding: 'utf8',
    };
  }
  return {
    filename,
    mime: 'image/png',
    content: exportFigure(runs, kind, 'png', figure).toString('base64'),
    encoding: 'base64',
  };
}

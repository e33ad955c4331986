// The comparison table: model and renderers (see model.ts for what a cell holds).
export * from './model';
export * from './format';
export { cellParts, metricHeading, targetText, type CellParts } from './cells';
export {
  groupRuns,
  columnKindOf,
  configurationKey,
  backendClassOf,
  runBackendClass,
  type BackendClass,
  type ColumnGroup,
  type ColumnKind,
  type DuplicateRun,
  type MethodGroup,
  type RunGrouping,
  type SettingDifference,
} from './group';
export { modelName, datasetName } from './names';
export { renderCsv, csvField, type CsvOptions } from './csv';
export { renderLatex, escapeLatex, type LatexOptions } from './latex';
export { renderMarkdown, escapeMarkdown, type MarkdownOptions } from './markdown';
export { renderText, type TextOptions } from './text';

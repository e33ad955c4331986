// The export service: comparison tables (CSV, LaTeX, Markdown, text) and figures (SVG, PNG).
export {
  exportTable,
  renderTable,
  TABLE_FORMATS,
  TABLE_EXTENSIONS,
  type TableFormat,
  type ExportTableOptions,
} from './tables';
export {
  exportFigure,
  renderSvg,
  renderPng,
  svgToPng,
  rasterize,
  type Raster,
  findSansFont,
  FIGURE_KINDS,
  FIGURE_DESCRIPTIONS,
  FIGURE_FORMATS,
  type FigureKind,
  type FigureFormat,
  type FigureOptions,
  type ExportFigureOptions,
  type PngOptions,
  type RenderSize,
} from './figures';

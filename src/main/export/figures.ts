// Figures without a browser: ECharts' server-side SVG renderer, then resvg for PNG.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Resvg } from '@resvg/resvg-js';
import * as echarts from 'echarts';
import type { EChartsOption } from 'echarts';
import { ContractError } from '../../shared/contract';
import { FIGURE_FORMATS, type FigureFormat } from '../../shared/options';
import type { RunResult, RunStatus } from '../../shared/results';
import {
  buildFigure,
  figureApplies,
  FIGURE_DESCRIPTIONS,
  FIGURE_KINDS,
  methodStyles,
  type FigureKind,
  type FigureOptions,
} from '../../shared/charts';

export { FIGURE_KINDS, FIGURE_DESCRIPTIONS, type FigureKind, type FigureOptions };
export { FIGURE_FORMATS, type FigureFormat };

export interface RenderSize {
  /** CSS pixels of the SVG; default 900 × 560. */
  width?: number;
  height?: number;
}

export interface PngOptions extends RenderSize {
  /** Device pixels per SVG pixel; default 2, sharp enough for print at column width. */
  scale?: number;
}

const DEFAULT_WIDTH = 900;
const DEFAULT_HEIGHT = 560;

/** Renders an option to an SVG document. */
export function renderSvg(option: EChartsOption, size: RenderSize = {}): string {
  const chart = echarts.init(null, null, {
    renderer: 'svg',
    ssr: true,
    width: size.width ?? DEFAULT_WIDTH,
    height: size.height ?? DEFAULT_HEIGHT,
  });
  try {
    // Animation would render the first frame of the transition, i.e. an empty plot.
    chart.setOption({ ...option, animation: false });
    return chart.renderToSVGString();
  } finally {
    // An undisposed chart keeps timers alive and the process from exiting.
    chart.dispose();
  }
}

/**
 * Sans-serif fonts to try, by file name, with the family name resvg knows them by. Without a
 * canvas, ECharts lays text out with Arial's character widths; Liberation Sans has the same
 * metrics, so legends and labels land where ECharts placed them. Wider fonts (DejaVu Sans)
 * still render, but long legend entries may touch.
 */
const FONT_CANDIDATES: { file: string; family: string }[] = [
  { file: 'LiberationSans-Regular.ttf', family: 'Liberation Sans' },
  { file: 'Arial.ttf', family: 'Arial' },
  { file: 'arial.ttf', family: 'Arial' },
  { file: 'Helvetica.ttc', family: 'Helvetica' },
  { file: 'DejaVuSans.ttf', family: 'DejaVu Sans' },
  { file: 'NotoSans-Regular.ttf', family: 'Noto Sans' },
];
const FONT_DIRS = [
  '/usr/share/fonts',
  '/usr/local/share/fonts',
  '/System/Library/Fonts',
  '/Library/Fonts',
  'C:\\Windows\\Fonts',
];

function findFile(dir: string, names: ReadonlySet<string>, depth: number): string | null {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return null;
  }
  for (const e of entries) if (e.isFile() && names.has(e.name)) return join(dir, e.name);
  if (depth === 0) return null;
  for (const e of entries) {
    if (!e.isDirectory()) continue;
    const hit = findFile(join(dir, e.name), names, depth - 1);
    if (hit) return hit;
  }
  return null;
}

let fontCache: { family: string; file: string } | null | undefined;

/**
 * A sans-serif font present on this machine. resvg draws no text at all for a family it
 * cannot find, which would silently give figures without labels; so the export looks for a
 * known font and fails loudly when there is none.
 */
export function findSansFont(): { family: string; file: string } | null {
  if (fontCache !== undefined) return fontCache;
  fontCache = null;
  for (const candidate of FONT_CANDIDATES) {
    for (const dir of FONT_DIRS) {
      if (!existsSync(dir)) continue;
      const file = findFile(dir, new Set([candidate.file]), 4);
      if (file) return (fontCache = { family: candidate.family, file });
    }
  }
  return fontCache;
}

export interface Raster {
  width: number;
  height: number;
  /** RGBA, row by row. */
  pixels: Buffer;
  png(): Buffer;
}

/** Rasterises an SVG (from `renderSvg`) with a sans-serif font that exists here. */
export function rasterize(svg: string, options: PngOptions = {}): Raster {
  const font = findSansFont();
  if (!font) {
    throw new Error(
      'no sans-serif font found for the PNG text (looked for Liberation Sans, Arial, Helvetica, DejaVu Sans, ' +
        'Noto Sans); install one, e.g. `apt-get install fonts-liberation`, or export SVG',
    );
  }
  const resvg = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: options.scale ?? 2 },
    background: '#ffffff',
    font: {
      loadSystemFonts: true,
      fontFiles: [font.file],
      defaultFontFamily: font.family,
      sansSerifFamily: font.family,
    },
    logLevel: 'off',
  });
  const image = resvg.render();
  return { width: image.width, height: image.height, pixels: image.pixels, png: () => image.asPng() };
}

/** Rasterises an SVG (from `renderSvg`) to PNG. */
export function svgToPng(svg: string, options: PngOptions = {}): Buffer {
  return rasterize(svg, options).png();
}

/** Renders an option straight to PNG. */
export function renderPng(option: EChartsOption, options: PngOptions = {}): Buffer {
  return svgToPng(renderSvg(option, options), options);
}

export interface ExportFigureOptions extends FigureOptions, PngOptions {
  /** Runs of these statuses are drawn; default only finished ones, as in the tables. */
  statuses?: readonly RunStatus[];
}

/**
 * A figure of the runs as SVG text or PNG bytes. Throws when the runs hold nothing the
 * figure draws (e.g. `acceptance` without SSA or SGD-SA runs), so that a script does not
 * write an empty picture.
 */
export function exportFigure(
  runs: readonly RunResult[],
  kind: FigureKind,
  format: 'svg',
  options?: ExportFigureOptions,
): string;
export function exportFigure(
  runs: readonly RunResult[],
  kind: FigureKind,
  format: 'png',
  options?: ExportFigureOptions,
): Buffer;
export function exportFigure(
  runs: readonly RunResult[],
  kind: FigureKind,
  format: FigureFormat,
  options?: ExportFigureOptions,
): string | Buffer;
export function exportFigure(
  runs: readonly RunResult[],
  kind: FigureKind,
  format: FigureFormat,
  options: ExportFigureOptions = {},
): string | Buffer {
  if (!(FIGURE_KINDS as readonly string[]).includes(kind)) {
    throw new Error(`unknown figure kind "${kind}"; expected one of ${FIGURE_KINDS.join(', ')}`);
  }
  const statuses = options.statuses ?? ['finished'];
  const drawn = runs.filter((r) => statuses.includes(r.status));
  if (!figureApplies(kind, drawn)) {
    const what =
      kind === 'acceptance' || kind === 'moves'
        ? 'no finished SSA or SGD-SA run with worsening moves'
        : kind === 'move-histogram'
          ? 'no finished run recorded a move histogram (the spec\'s "moveHistogram": {"epochs": [1]})'
          : 'no finished run with recorded epochs';
    // The user's choice of figure for these experiments, not a bug: refused as bad input.
    throw new ContractError(
      `cannot draw "${kind}": ${what} among the ${runs.length} runs given; choose another figure kind ` +
        `(${FIGURE_KINDS.filter((k) => figureApplies(k, drawn)).join(', ') || 'none applies yet'}) ` +
        'or experiments that have such runs',
      'bad-input',
    );
  }
  // Colours and legend order from every run given, as the live view computes them from its whole
  // selection: a method without a finished run must not shift the others' colours.
  const styles = options.styles ?? methodStyles(runs);
  const svg = renderSvg(buildFigure(kind, drawn, { ...options, styles }), options);
  return format === 'svg' ? svg : svgToPng(svg, options);
}

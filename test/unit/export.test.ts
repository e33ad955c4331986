// The export service: tables in every format, and figures rendered to SVG and PNG without a
// browser. Every figure kind of the recorded experiment is written to test-artifacts/figures
// so that a person can look at it.
import { mkdirSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  exportFigure,
  exportTable,
  FIGURE_KINDS,
  findSansFont,
  rasterize,
  renderSvg,
  TABLE_FORMATS,
} from '../../src/main/export';
import { buildFigure } from '../../src/shared/charts';
import type { RunResult } from '../../src/shared/results';
import { mnistSmallRuns } from '../fixtures/mnist-small';
import { withMoveHistogram } from '../fixtures/move-histogram';

const runs = mnistSmallRuns();
const lenet = runs.filter((r) => r.model === 'lenet5');
const ARTIFACTS = new URL('../../test-artifacts/figures/', import.meta.url);

/** Pixels darker than light grey in a rectangle of an RGBA raster. */
function darkPixels(
  raster: { width: number; pixels: Buffer },
  x0: number,
  y0: number,
  x1: number,
  y1: number,
): number {
  let n = 0;
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      const i = (y * raster.width + x) * 4;
      if (raster.pixels[i]! + raster.pixels[i + 1]! + raster.pixels[i + 2]! < 3 * 160) n++;
    }
  }
  return n;
}

describe('exportTable', () => {
  it('renders every format from the runs', () => {
    const options = { stat: 'best', norm: 'mean', baseline: 'SGD (η = 0.1)' } as const;
    expect(exportTable(runs, 'csv', options).split('\r\n')[0]).toMatch(
      /^Method,MLP Loss,MLP Loss SD,MLP Loss p,/,
    );
    expect(exportTable(runs, 'latex', options)).toContain('\\toprule');
    expect(exportTable(runs, 'markdown', options)).toContain('| Method | MLP Loss | MLP Accuracy (%) |');
    expect(exportTable(runs, 'text', options)).toContain('• best in its column.');
    expect(TABLE_FORMATS).toEqual(['csv', 'latex', 'markdown', 'text']);
  });

  it('passes renderer options through and refuses an unknown format or baseline', () => {
    const csv = exportTable(runs, 'csv', {
      stat: 'final',
      norm: 'thesis',
      csv: { perSeed: true, notes: false },
    });
    expect(csv).toContain('LeNet-5 Accuracy (%) seed 3');
    expect(() => exportTable(runs, 'docx' as 'csv', { stat: 'best', norm: 'mean' })).toThrow(
      /unknown table format/,
    );
    expect(() => exportTable(runs, 'csv', { stat: 'best', norm: 'mean', baseline: 'adam' })).toThrow(
      /baseline/,
    );
  });
});

describe('figures', () => {
  it('renders an SVG document with the title, axis names and legend text', () => {
    const svg = renderSvg(buildFigure('val-accuracy', lenet), { width: 800, height: 500 });
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('width="800"');
    expect(svg).toContain('Validation accuracy');
    expect(svg).toContain('Epoch');
    expect(svg).toContain('SGD-SA (H1)');
    // Entities: the η of a label survives as text.
    expect(svg).toContain('SGD (η = 0.1)');
  });

  it('finds a font, so that PNG text is drawn', () => {
    expect(findSansFont()).not.toBeNull();
  });

  it('draws the text of a figure into the PNG', () => {
    // A figure with nothing but a title and its subtitle: any dark pixel in it is text.
    const withText = rasterize(
      renderSvg({ title: { text: 'Validation accuracy', left: 'center', top: 10 } }),
      {
        scale: 1,
      },
    );
    const blank = rasterize(renderSvg({ title: { text: '', left: 'center', top: 10 } }), { scale: 1 });
    expect(darkPixels(withText, 0, 0, withText.width, 60)).toBeGreaterThan(200);
    expect(darkPixels(blank, 0, 0, blank.width, 60)).toBe(0);
  });

  it('exports PNG bytes at twice the SVG size by default', () => {
    const png = exportFigure(lenet, 'val-loss', 'png');
    expect(png.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
    // IHDR: width and height, big-endian, at bytes 16–23.
    expect(png.readUInt32BE(16)).toBe(1800);
    expect(png.readUInt32BE(20)).toBe(1120);
  });

  it('draws only finished runs unless told otherwise', () => {
    const failed: RunResult = { ...lenet[0]!, runId: 'x', status: 'failed', label: 'Broken method' };
    expect(exportFigure([...lenet, failed], 'val-accuracy', 'svg')).not.toContain('Broken method');
    expect(
      exportFigure([...lenet, failed], 'val-accuracy', 'svg', { statuses: ['finished', 'failed'] }),
    ).toContain('Broken method');
  });

  it('refuses a figure the runs cannot fill, and an unknown kind', () => {
    const sgd = lenet.filter((r) => r.method === 'sgd');
    expect(() => exportFigure(sgd, 'acceptance', 'svg')).toThrow(/no finished SSA or SGD-SA run/);
    expect(() => exportFigure(sgd, 'violin' as 'moves', 'svg')).toThrow(/unknown figure kind "violin"/);
  });

  it.each(FIGURE_KINDS)('renders %s from the recorded experiment to SVG and PNG', (kind) => {
    mkdirSync(ARTIFACTS, { recursive: true });
    const runs = kind === 'move-histogram' ? withMoveHistogram(lenet) : lenet;
    const svg = exportFigure(runs, kind, 'svg');
    const png = exportFigure(runs, kind, 'png');
    writeFileSync(new URL(`${kind}.svg`, ARTIFACTS), svg);
    writeFileSync(new URL(`${kind}.png`, ARTIFACTS), png);
    expect(svg).toContain('<path');
    expect(png.length).toBeGreaterThan(20_000);
  });
});

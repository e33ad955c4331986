// The thesis's Table 4.2 (METHODS.md), reproduced cell for cell from runs whose best values
// are the thesis's numbers.
import { describe, expect, it } from 'vitest';
import {
  buildComparisonTable,
  cellParts,
  renderCsv,
  renderLatex,
  renderMarkdown,
  renderText,
} from '../../src/shared/table';
import { THESIS_TABLE_4_2, thesisTable42Runs } from '../fixtures/thesis-table-4-2';

const table = buildComparisonTable(thesisTable42Runs(), { stat: 'best', norm: 'thesis' });

/** The thesis prints trailing zeros away (84.6); our tables always print two decimals (84.60). */
const printedAccuracy = (percent: number) => percent.toFixed(2);

describe("the thesis's Table 4.2", () => {
  it('has its rows and columns in its order', () => {
    expect(table.columns.map((c) => c.title)).toEqual(THESIS_TABLE_4_2.columns);
    expect(table.rows.map((r) => r.label)).toEqual(THESIS_TABLE_4_2.rows.map((r) => r.label));
    expect(table.seedsPerCell).toEqual({ min: 1, max: 1 });
    expect(table.epochCounts).toEqual([100]);
  });

  it('has every cell of the thesis, as the thesis prints it', () => {
    THESIS_TABLE_4_2.rows.forEach((expected, r) => {
      THESIS_TABLE_4_2.models.forEach((_, g) => {
        const [loss, acc] = expected.cells[g]!;
        const cells = table.rows[r]!.cells[g]!;
        const lossParts = cellParts('loss', cells.loss)!;
        const accParts = cellParts('accuracy', cells.accuracy)!;
        expect(lossParts.value, `${expected.label} ${THESIS_TABLE_4_2.columns[g]} loss`).toBe(
          loss.toFixed(6),
        );
        expect(Number(accParts.value)).toBe(acc);
        expect(accParts.value).toBe(printedAccuracy(acc));
        // One run: no spread to print.
        expect(lossParts.std).toBeNull();
        expect(accParts.std).toBeNull();
      });
    });
  });

  it('marks the best of each column as the thesis numbers have it', () => {
    const best = (g: number, metric: 'loss' | 'accuracy') =>
      table.rows.filter((r) => r.cells[g]![metric]!.isBest).map((r) => r.label);
    expect(best(0, 'loss')).toEqual(['SGD (η = 0.1)']);
    expect(best(0, 'accuracy')).toEqual(['SGD-SA']);
    expect(best(1, 'loss')).toEqual(['SGD-SA']);
    expect(best(1, 'accuracy')).toEqual(['SGD-SA']);
    expect(best(2, 'loss')).toEqual(['SGD-SA']);
    expect(best(2, 'accuracy')).toEqual(['SGD-SA']);
  });

  it('renders the same cells in LaTeX, CSV, Markdown and text', () => {
    const latex = renderLatex(table);
    expect(latex).toContain(
      'SGD (\\ensuremath{\\eta} = 0.1) & \\textbf{0.001931} & 67.41 & 0.001465 & 84.60 & 0.001547 & 82.28 \\\\',
    );
    expect(latex).toContain(
      'SGD-SA & 0.001949 & \\textbf{69.02} & \\textbf{0.001032} & \\textbf{85.99} & \\textbf{0.001119} & \\textbf{84.06} \\\\',
    );
    expect(latex).not.toContain('$\\pm$');

    const csv = renderCsv(table).split('\r\n');
    expect(csv[0]).toBe(
      'Method,AlexNet Loss,AlexNet Accuracy (%),VGG16 Loss,VGG16 Accuracy (%),ResNet34 Loss,ResNet34 Accuracy (%)',
    );
    expect(csv[2]).toBe('Scheduled SGD,0.002032,68.40,0.001406,84.73,0.001472,82.58');

    const md = renderMarkdown(table);
    expect(md).toContain(
      '| SGD (η = 0.001) with momentum | 0.002137 | 66.68 | 0.001432 | 84.92 | 0.001589 | 83.07 |',
    );

    const text = renderText(table);
    const line = text.split('\n').find((l) => l.startsWith('SGD-SA'))!;
    expect(line.split(/\s{2,}/).map((s) => s.trim())).toEqual([
      'SGD-SA',
      '0.001949',
      '69.02 •',
      '0.001032 •',
      '85.99 •',
      '0.001119 •',
      '84.06 •',
    ]);
  });

  it('reads other numbers for the last epoch and for the mean cross-entropy', () => {
    const final = buildComparisonTable(thesisTable42Runs(), { stat: 'final', norm: 'thesis' });
    const sgdAlex = final.rows[0]!.cells[0]!;
    expect(sgdAlex.loss!.mean).toBeGreaterThan(0.001931);
    expect(sgdAlex.accuracy!.mean).toBeLessThan(0.6741);

    const mean = buildComparisonTable(thesisTable42Runs(), { stat: 'best', norm: 'mean' });
    expect(mean.rows[0]!.cells[0]!.loss!.mean).toBeCloseTo(0.001931 * 512, 12);
    expect(mean.caption).toContain('mean cross-entropy');
    expect(table.caption).toContain("thesis's normalisation");
  });
});

// The renderers: the same cells in CSV, LaTeX, Markdown and text, each with its own escaping.
import { describe, expect, it } from 'vitest';
import {
  buildComparisonTable,
  csvField,
  escapeLatex,
  escapeMarkdown,
  renderCsv,
  renderLatex,
  renderMarkdown,
  renderText,
} from '../../src/shared/table';
import { makeRun } from '../fixtures/runs';

const QUOTED = 'SGD "fast", η = 0.1';

function fixture() {
  const mk = (
    methodIndex: number,
    method: { id: 'sgd' | 'ssa' } & Record<string, unknown>,
    model: string,
    seed: number,
    loss: number,
    acc: number,
    status: 'finished' | 'failed' = 'finished',
  ) =>
    makeRun({
      experimentName: 'lenet_mnist 100% & more',
      methodIndex,
      method,
      model,
      seed,
      status,
      error: status === 'failed' ? 'NaN loss' : null,
      epochs: [
        { valLoss: loss + 0.1, valAcc: acc - 0.05, seconds: 4 * seed, forward: 100, backward: 100 },
        { valLoss: loss, valAcc: acc, seconds: 8 * seed, forward: 200, backward: 200 },
      ],
    });
  return [
    mk(0, { id: 'sgd', lr: 0.1, label: QUOTED }, 'lenet5', 1, 0.3, 0.9),
    mk(0, { id: 'sgd', lr: 0.1, label: QUOTED }, 'lenet5', 2, 0.32, 0.92),
    mk(0, { id: 'sgd', lr: 0.1, label: QUOTED }, 'lenet5', 3, 0.31, 0.91),
    mk(0, { id: 'sgd', lr: 0.1, label: QUOTED }, 'convnet', 1, 0.2, 0.95),
    mk(1, { id: 'ssa' }, 'lenet5', 1, 0.9, 0.6),
    mk(1, { id: 'ssa' }, 'lenet5', 2, 0.95, 0.62),
    mk(1, { id: 'ssa' }, 'lenet5', 3, 0.92, 0.61),
    mk(1, { id: 'ssa' }, 'convnet', 1, 0.2, 0.9, 'failed'),
  ];
}

/** The `#` comment lines (the notes) apart from the data, as `read_csv(comment='#')` takes them. */
function splitComments(text: string): { data: string; comments: string[] } {
  const lines = text.split('\r\n');
  return {
    data: lines.filter((l) => !l.startsWith('#')).join('\r\n'),
    comments: lines.filter((l) => l.startsWith('#')),
  };
}

/** A strict RFC 4180 reader of the data lines, to check that what we write reads back. */
function parseCsv(full: string): string[][] {
  const text = splitComments(full).data;
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let quoted = false;
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    const next = text[i + 1];
    if (quoted) {
      if (c === '"' && next === '"') {
        field += '"';
        i += 2;
        continue;
      }
      if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field === '') {
      quoted = true;
    } else if (c === ',') {
      record.push(field);
      field = '';
    } else if (c === '\r' && next === '\n') {
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      i += 2;
      continue;
    } else if (c === '\n' || c === '\r' || c === '"') {
      throw new Error(`bare ${JSON.stringify(c)} at ${i}`);
    } else {
      field += c;
    }
    i++;
  }
  if (field !== '' || record.length) throw new Error('last record does not end with CRLF');
  return records;
}

describe('CSV', () => {
  const table = buildComparisonTable(fixture(), { stat: 'best', norm: 'mean', baseline: 'ssa' });

  it('quotes fields as RFC 4180 requires', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    // A reader skipping # comments would cut an unquoted field there.
    expect(csvField('SGD #2')).toBe('"SGD #2"');
  });

  it('reads back with one row per method, the same field count everywhere, and percent accuracies', () => {
    const records = parseCsv(renderCsv(table));
    const header = records[0]!;
    expect(records.every((r) => r.length === header.length)).toBe(true);
    const col = (name: string) => {
      const i = header.indexOf(name);
      if (i < 0) throw new Error(`no column ${name} in ${header.join(' | ')}`);
      return i;
    };
    const sgd = records[1]!;
    expect(sgd[0]).toBe(QUOTED);
    expect(sgd[col('LeNet-5 Loss')]).toBe('0.3100');
    expect(sgd[col('LeNet-5 Loss SD')]).toBe('0.0100');
    expect(sgd[col('LeNet-5 Accuracy (%)')]).toBe('91.00');
    expect(sgd[col('LeNet-5 Accuracy SD')]).toBe('1.00');
    expect(sgd[col('LeNet-5 n')]).toBe('3');
    expect(Number(sgd[col('LeNet-5 Loss p')])).toBeLessThan(0.01);
    // One seed: a value, an empty spread.
    expect(sgd[col('LeNet-Like Loss'.replace('Like', 'like'))]).toBe('0.2000');
    expect(sgd[col('LeNet-like Loss SD')]).toBe('');
  });

  it('leaves a missing cell empty, never zero, and says why in a # comment line after the data', () => {
    const records = parseCsv(renderCsv(table));
    const header = records[0]!;
    const ssa = records[2]!;
    expect(ssa[header.indexOf('LeNet-like Loss')]).toBe('');
    expect(ssa[header.indexOf('LeNet-like Accuracy (%)')]).toBe('');
    expect(ssa[header.indexOf('LeNet-like n')]).toBe('');
    // The data is the header and one record per method; the notes are not records.
    expect(records).toHaveLength(3);
    const text = renderCsv(table);
    const { comments } = splitComments(text);
    expect(comments.some((n) => n.startsWith('# Left out: 1 run') && n.includes('failed: NaN loss'))).toBe(
      true,
    );
    expect(comments.some((n) => n.startsWith("# * p < 0.05, ** p < 0.01: two-sided Welch's t-test"))).toBe(
      true,
    );
    // Comments come after every record, never between them.
    const lines = text.trimEnd().split('\r\n');
    expect(lines.slice(0, 3).some((l) => l.startsWith('#'))).toBe(false);
    expect(lines.slice(3).every((l) => l.startsWith('# '))).toBe(true);
    expect(renderCsv(table, { notes: false })).not.toContain('#');
  });

  it('adds per-seed values on request, rounded like the means', () => {
    const records = parseCsv(renderCsv(table, { perSeed: true, notes: false }));
    const header = records[0]!;
    expect(records[1]![header.indexOf('LeNet-5 Accuracy (%) seed 2')]).toBe('92.00');
    expect(records[1]![header.indexOf('LeNet-5 Loss seed 3')]).toBe('0.3100');
    expect(records[2]![header.indexOf('LeNet-like Loss seed 1')]).toBe('');
  });

  it('omits spread columns when every cell has one seed', () => {
    const one = buildComparisonTable(
      fixture().filter((r) => r.seed === 1),
      { stat: 'best', norm: 'mean' },
    );
    expect(parseCsv(renderCsv(one))[0]!.some((h) => h.endsWith(' SD') || h.endsWith(' n'))).toBe(false);
  });
});

describe('LaTeX', () => {
  it('escapes the special characters and the Greek of the labels', () => {
    expect(escapeLatex('a_b 100% & #1 $5 {x} ~ ^ \\')).toBe(
      'a\\_b 100\\% \\& \\#1 \\$5 \\{x\\} \\textasciitilde{} \\textasciicircum{} \\textbackslash{}',
    );
    expect(escapeLatex('SGD (η = 0.1, β = 0.9) × 2 ± 1')).toBe(
      'SGD (\\ensuremath{\\eta} = 0.1, \\ensuremath{\\beta} = 0.9) \\ensuremath{\\times} 2 \\ensuremath{\\pm} 1',
    );
    expect(escapeLatex('a < b | c > d')).toBe('a \\textless{} b \\textbar{} c \\textgreater{} d');
    expect(escapeLatex('café 漢')).toBe('café ?');
    expect(escapeLatex('a--b')).toBe('a-{}-b');
    expect(escapeLatex('– : none')).toBe('-- : none');
  });

  const table = buildComparisonTable(fixture(), { stat: 'best', norm: 'mean', baseline: 'ssa' });
  const tex = renderLatex(table);

  it('is a booktabs table with caption, a safe label, group headers and a row per method', () => {
    expect(tex).toContain('\\begin{table}[htbp]');
    expect(tex).toMatch(/\\caption\{lenet\\_mnist 100\\% \\& more: minimum validation loss/);
    expect(tex).toMatch(/\\label\{tab:lenet_mnist-100-more:best-mean-[0-9a-f]{8}\}\n {2}\\medskip\n/);
    expect(tex).toContain('\\toprule');
    expect(tex).toContain('\\cmidrule(lr){2-3}\\cmidrule(lr){4-5}');
    expect(tex).toContain('\\multicolumn{2}{c}{LeNet-5} & \\multicolumn{2}{c}{LeNet-like}');
    expect(tex).toContain('Method & Loss & Accuracy & Loss & Accuracy \\\\');
    expect(tex).toContain('\\bottomrule');
    const tabular = tex.slice(tex.indexOf('\\begin{tabular}'), tex.indexOf('\\end{tabular}'));
    expect((tabular.match(/\\\\$/gm) ?? []).length).toBe(4); // two header lines, two methods
  });

  it('prints mean $\\pm$ std in bold where best, a significance mark, and a dash where missing', () => {
    const sgdLine = tex.split('\n').find((l) => l.includes('fast'))!;
    expect(sgdLine).toContain("SGD ''fast'', \\ensuremath{\\eta} = 0.1".replace("''fast''", '"fast"'));
    expect(sgdLine).toContain('\\textbf{0.3100} $\\pm$ \\textbf{0.0100}\\textsuperscript{**}');
    expect(sgdLine).toContain('\\textbf{91.00} $\\pm$ \\textbf{1.00}\\textsuperscript{**}');
    // One seed: no ±; no other method on this network, so nothing is best.
    expect(sgdLine).toMatch(/& 0\.2000 & 95\.00 \\\\$/);
    const ssaLine = tex.split('\n').find((l) => l.startsWith('    SSA'))!;
    expect(ssaLine).toMatch(/& -- & -- \\\\$/);
    expect(ssaLine).not.toContain('textsuperscript');
  });

  it('explains the marks and the left-out run under the table', () => {
    const notes = tex.slice(tex.indexOf('\\begin{minipage}'));
    expect(notes).toContain('Best per column in bold.');
    expect(notes).toContain(
      "\\textsuperscript{*}\\,$p < 0.05$, \\textsuperscript{**}\\,$p < 0.01$: two-sided Welch's t-test",
    );
    expect(notes).toContain('Left out: 1 run that did not finish is not counted');
  });

  it('gives each table its own default label: other options or other runs, another label', () => {
    const label = (t: string) => /\\label\{([^}]+)\}/.exec(t)![1]!;
    const of = (o: Parameters<typeof buildComparisonTable>[1], runs = fixture()) =>
      label(renderLatex(buildComparisonTable(runs, o)));
    const labels = [
      of({ stat: 'best', norm: 'mean' }),
      of({ stat: 'final', norm: 'mean' }),
      of({ stat: 'best', norm: 'thesis' }),
      of({ stat: 'best', norm: 'mean', timeToTarget: 0.9 }),
      of(
        { stat: 'best', norm: 'mean' },
        fixture().filter((r) => r.model === 'lenet5'),
      ),
    ];
    expect(new Set(labels).size).toBe(labels.length);
    // The same table again: the same label, so a \\ref in a paper survives a re-export.
    expect(of({ stat: 'best', norm: 'mean' })).toBe(labels[0]);
  });

  it('prints p-values in the cells on request, and a whole document on request', () => {
    const withP = renderLatex(table, { significance: 'pvalues', document: true, label: 'tab:my table' });
    expect(withP).toMatch(/\(\$p (< 0\.001|= 0\.\d{3})\$\)/);
    expect(withP).toContain('\\label{tab:my-table}');
    expect(withP.startsWith('\\documentclass{article}')).toBe(true);
    expect(withP).toContain('\\usepackage{booktabs}');
    expect(withP.trimEnd().endsWith('\\end{document}')).toBe(true);
  });

  it('adds a time-to-target tabular when asked', () => {
    const t = buildComparisonTable(fixture(), { stat: 'best', norm: 'mean', timeToTarget: 0.9 });
    const out = renderLatex(t);
    expect(out).toContain('Time to 90\\% validation accuracy');
    expect(out).toContain('Epochs & Time (s) & Forward & Backward & Reached');
    // SGD on LeNet-5: every seed reached 90 % at epoch 2, after 8·seed seconds.
    expect(out).toMatch(/fast.*& 2 & 16\.0 & 200 & 200 & 3\/3 &/);
    // SSA never reached it.
    expect(out).toMatch(/SSA.*& -- & -- & -- & -- & 0\/3 &/);
  });
});

describe('Markdown', () => {
  it('escapes markup and cell boundaries', () => {
    expect(escapeMarkdown('a|b *c* _d_ [e] <f>')).toBe('a\\|b \\*c\\* \\_d\\_ \\[e\\] \\<f\\>');
  });

  it('prints a pipe table with bold best cells, ±, escaped marks and dashes', () => {
    const md = renderMarkdown(
      buildComparisonTable(fixture(), { stat: 'best', norm: 'mean', baseline: 'ssa' }),
    );
    const lines = md.split('\n');
    const header = lines.find((l) => l.startsWith('| Method'))!;
    expect(header).toBe(
      '| Method | LeNet-5 Loss | LeNet-5 Accuracy (%) | LeNet-like Loss | LeNet-like Accuracy (%) |',
    );
    const sgd = lines.find((l) => l.includes('fast'))!;
    expect(sgd).toBe(
      '| SGD "fast", η = 0.1 | **0.3100** ± **0.0100**\\*\\* | **91.00** ± **1.00**\\*\\* | 0.2000 | 95.00 |',
    );
    expect(lines.find((l) => l.startsWith('| SSA'))!.endsWith('| – | – |')).toBe(true);
    expect(md).toContain('Best per column in **bold**.');
  });
});

describe('text', () => {
  const table = buildComparisonTable(fixture(), { stat: 'best', norm: 'mean', baseline: 'ssa' });
  const text = renderText(table);
  const lines = text.split('\n');

  it('aligns every column: the digits of a column end at one position, under the end of its heading', () => {
    const header = lines.find((l) => l.startsWith('Method'))!;
    const rows = lines.filter((l) => l.startsWith('SGD') || l.startsWith('SSA'));
    expect(rows).toHaveLength(2);
    const headingEnds = [...header.matchAll(/(Loss|Accuracy \(%\))/g)].map((m) => m.index! + m[0].length);
    // Past the widest label, whose own numbers would match too.
    const start = 'SSA (ε = 0.01, T = 1, α = 0.97)'.length;
    const valueEnds = (row: string) =>
      [...row.slice(start).matchAll(/\d+\.\d+( ± \d+\.\d+)?|–/g)].map((m) => start + m.index! + m[0].length);
    expect(valueEnds(rows[0]!)).toEqual(headingEnds);
    expect(valueEnds(rows[1]!)).toEqual(headingEnds);
  });

  it('prints the same cells: ±, marks, best flag and dashes', () => {
    const sgd = lines.find((l) => l.startsWith('SGD'))!;
    expect(sgd).toContain('0.3100 ± 0.0100** •');
    expect(sgd).toContain('91.00 ± 1.00** •');
    const ssa = lines.find((l) => l.startsWith('SSA'))!;
    expect(ssa.match(/–/g)).toHaveLength(2);
    expect(text).toContain('• best in its column.');
    expect(text).toContain("* p < 0.05, ** p < 0.01: two-sided Welch's t-test");
  });
});

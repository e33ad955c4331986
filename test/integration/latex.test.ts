// The LaTeX export compiles as exported: it is put inside a minimal document and run through
// pdflatex -halt-on-error; the text of the PDF is checked, and the page is rendered to PNG in
// test-artifacts/latex/ for a person to look at. Needs texlive-latex-base,
// texlive-latex-recommended (booktabs) and poppler-utils (pdftotext, pdftoppm). Without
// pdflatex the tests are skipped with a message, except on CI (CI=true), where they fail.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunResult } from '../../src/shared/results';
import { buildComparisonTable, renderLatex } from '../../src/shared/table';
import { mnistSmallRuns } from '../fixtures/mnist-small';
import { thesisTable42Runs } from '../fixtures/thesis-table-4-2';

const has = (tool: string) => spawnSync(tool, ['-v'], { stdio: 'ignore' }).error === undefined;
const HAVE_PDFLATEX = has('pdflatex');
const HAVE_POPPLER = has('pdftotext') && has('pdftoppm');
const ON_CI = process.env.CI === 'true';
const ARTIFACTS = join(import.meta.dirname, '../../test-artifacts/latex');

if (!HAVE_PDFLATEX && !ON_CI) {
  console.warn(
    '\n  SKIPPED test/integration/latex.test.ts: pdflatex is not installed ' +
      '(apt-get install texlive-latex-base texlive-latex-recommended poppler-utils).\n',
  );
}

const work = mkdtempSync(join(tmpdir(), 'annealab-latex-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const MINIMAL = (body: string, preamble = '') =>
  [
    '\\documentclass{article}',
    preamble,
    '\\usepackage{booktabs}',
    '\\begin{document}',
    body,
    '\\end{document}',
    '',
  ]
    .filter((l) => l !== '')
    .join('\n');

/** Compiles a document; returns the PDF's path and the log. */
function compile(name: string, tex: string): { pdf: string; log: string } {
  writeFileSync(join(work, `${name}.tex`), tex);
  const r = spawnSync('pdflatex', ['-halt-on-error', '-interaction=nonstopmode', `${name}.tex`], {
    cwd: work,
    encoding: 'utf8',
  });
  const log = readFileSync(join(work, `${name}.log`), 'utf8');
  if (r.status !== 0) {
    const error = log.split('\n').findIndex((l) => l.startsWith('!'));
    throw new Error(
      `pdflatex failed on ${name}.tex:\n${log
        .split('\n')
        .slice(error, error + 12)
        .join('\n')}`,
    );
  }
  return { pdf: join(work, `${name}.pdf`), log };
}

function pdfText(pdf: string): string {
  return spawnSync('pdftotext', ['-layout', pdf, '-'], { encoding: 'utf8' }).stdout;
}

/** The first page as a PNG in test-artifacts/latex/, cropped around the table. */
function snapshot(pdf: string, name: string): string {
  mkdirSync(ARTIFACTS, { recursive: true });
  const out = join(ARTIFACTS, name);
  // 200 dpi, the upper part of a letter page, where the float sits.
  const args = ['-png', '-r', '200', '-singlefile', '-f', '1', '-l', '1', '-x', '250', '-y', '300'];
  const r = spawnSync('pdftoppm', [...args, '-W', '1350', '-H', '1000', pdf, out]);
  expect(r.status).toBe(0);
  return `${out}.png`;
}

/** The recorded experiment, plus what a table must cope with: a failed run and a label full of special characters. */
function experiment(): RunResult[] {
  const runs = mnistSmallRuns();
  const special = 'SGD_fast 100% & #1 {x} ~^\\ $5 <a|b>';
  const relabelled = runs
    .filter((r) => r.methodIndex === 0)
    .map((r) => ({ ...r, runId: `${r.runId}-copy`, methodIndex: 6, label: special }));
  const failed: RunResult = {
    ...runs.find((r) => r.method === 'ssa' && r.model === 'mlp')!,
    runId: 'failed-1',
    seed: 4,
    status: 'failed',
    error: 'training diverged in epoch 3: loss is NaN_ (50% of batches)',
    epochs: [],
  };
  return [...runs, ...relabelled, failed];
}

describe.skipIf(!HAVE_PDFLATEX && !ON_CI)('the LaTeX export compiles with pdflatex', () => {
  it('has pdflatex and poppler-utils to work with', () => {
    expect(HAVE_PDFLATEX, 'pdflatex is not installed (texlive-latex-base, texlive-latex-recommended)').toBe(
      true,
    );
    expect(HAVE_POPPLER, 'pdftotext / pdftoppm are not installed (poppler-utils)').toBe(true);
  });

  it('compiles the comparison of a real experiment, with significance, time to target and notes', () => {
    const table = buildComparisonTable(experiment(), {
      stat: 'best',
      norm: 'mean',
      baseline: 'SGD (η = 0.1)',
      timeToTarget: 0.85,
    });
    const tex = renderLatex(table, { label: 'tab:mnist-small' });
    // With graphicx loaded, as most papers do, a table wider than the text is shrunk to fit.
    const { pdf, log } = compile(
      'mnist-small',
      MINIMAL(tex, '\\usepackage[T1]{fontenc}\n\\usepackage{graphicx}'),
    );
    expect(log).not.toMatch(/Overfull \\hbox/);
    const text = pdfText(pdf);
    // Numbers, the spread, the marks' explanation and the left-out run made it to the page.
    const sgd = table.rows[0]!.cells[1]!;
    expect(text).toContain(
      `${(sgd.accuracy!.mean * 100).toFixed(2)} ± ${(sgd.accuracy!.std! * 100).toFixed(2)}`,
    );
    expect(text).toContain('SGD (η = 0.1)');
    expect(text).toContain('SGD_fast 100% & #1 {x} ~^\\ $5 <a|b>');
    expect(text).toMatch(/p < 0\.05, \*\* ?p < 0\.01: two-sided Welch['’]s t-test/);
    expect(text).toContain('loss is NaN_ (50% of batches)');
    expect(text).toContain('Time to 85% validation accuracy');
    console.info(`  LaTeX table rendered to ${snapshot(pdf, 'mnist-small')}`);
  });

  it('gives two tables of one experiment in one document distinct labels, and rows split by settings compile', () => {
    // The same experiment twice under other settings: rows named "… · epochs 5" and "… · epochs 9".
    const runs = mnistSmallRuns().filter((r) => r.model === 'lenet5');
    const config = (epochs: number) => ({
      dataset: { id: 'mnist', trainSize: 1000, testSize: 500, seed: 0 },
      epochs,
      batchSize: 64,
      dropLast: false,
      estimateBatches: 10,
      augment: false,
      init: 'pytorch',
      backend: 'auto',
    });
    const split = [
      ...runs.map((r) => ({ ...r, config: config(5) })),
      ...runs.map((r) => ({ ...r, runId: `${r.runId}-b`, experimentId: 'b', config: config(9) })),
    ];
    const best = renderLatex(buildComparisonTable(split, { stat: 'best', norm: 'mean' }));
    const final = renderLatex(buildComparisonTable(split, { stat: 'final', norm: 'thesis' }));
    const labels = [best, final].map((t) => /\\label\{([^}]+)\}/.exec(t)![1]!);
    expect(new Set(labels).size).toBe(2);
    const refs = labels.map((l) => `Table~\\ref{${l}}`).join(' and ');
    const { pdf, log } = compile('two-tables', MINIMAL(`${refs}.\n\n${best}\n${final}`));
    expect(log).not.toMatch(/multiply defined/);
    const text = pdfText(pdf);
    expect(text).toMatch(/epochs 5/);
    expect(text).toMatch(/epochs 9/);
    expect(text).toMatch(/nothing is\s+averaged/);
    console.info(`  LaTeX tables rendered to ${snapshot(pdf, 'two-tables')}`);
  });

  it("compiles the thesis's Table 4.2 in the default OT1 encoding, and as a standalone document", () => {
    const table = buildComparisonTable(thesisTable42Runs(), { stat: 'best', norm: 'thesis' });
    // Only booktabs: the table may run into the margin, but it compiles.
    const { pdf } = compile('thesis-4-2', MINIMAL(renderLatex(table)));
    const text = pdfText(pdf);
    for (const value of ['0.001931', '67.41', '0.001032', '85.99', '84.06']) expect(text).toContain(value);
    console.info(`  LaTeX table rendered to ${snapshot(pdf, 'thesis-table-4-2')}`);
    const standalone = compile('standalone', renderLatex(table, { document: true }));
    expect(pdfText(standalone.pdf)).toContain('0.002137');
  });
});

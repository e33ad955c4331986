// LaTeX: a booktabs table that compiles as exported (with \usepackage{booktabs}), with
// caption, label, the best cell of each column in bold, mean $\pm$ std, and the significance
// marks and left-out runs explained in notes under the table.
import {
  cellParts,
  hasTimeToTarget,
  TIME_TO_TARGET_HEADINGS,
  timeToTargetCaption,
  timeToTargetParts,
  bestScope,
  type CellParts,
} from './cells';
import { METRICS, SIGNIFICANCE_LEVELS, type ComparisonTable } from './model';

export interface LatexOptions {
  /** Replaces the generated caption (plain text; escaped here). */
  caption?: string;
  /** \label key; default `tab:` + the experiment names. Characters outside [A-Za-z0-9:._-] become '-'. */
  label?: string;
  /** `marks` (default): * and ** explained under the table; `pvalues`: the p-value in each cell. */
  significance?: 'marks' | 'pvalues';
  /** Float placement; default `htbp`. */
  placement?: string;
  /** Wrap in a minimal article document that compiles on its own. */
  document?: boolean;
}

/** Unicode that labels and notes carry, as LaTeX that pdflatex understands without extra packages. */
const UNICODE: Record<string, string> = {
  α: '\\ensuremath{\\alpha}',
  β: '\\ensuremath{\\beta}',
  γ: '\\ensuremath{\\gamma}',
  δ: '\\ensuremath{\\delta}',
  Δ: '\\ensuremath{\\Delta}',
  ε: '\\ensuremath{\\varepsilon}',
  ϵ: '\\ensuremath{\\epsilon}',
  η: '\\ensuremath{\\eta}',
  θ: '\\ensuremath{\\theta}',
  λ: '\\ensuremath{\\lambda}',
  μ: '\\ensuremath{\\mu}',
  µ: '\\ensuremath{\\mu}',
  π: '\\ensuremath{\\pi}',
  σ: '\\ensuremath{\\sigma}',
  τ: '\\ensuremath{\\tau}',
  ω: '\\ensuremath{\\omega}',
  '×': '\\ensuremath{\\times}',
  '±': '\\ensuremath{\\pm}',
  '−': '\\ensuremath{-}',
  '≤': '\\ensuremath{\\leq}',
  '≥': '\\ensuremath{\\geq}',
  '≈': '\\ensuremath{\\approx}',
  '→': '\\ensuremath{\\rightarrow}',
  '·': '\\ensuremath{\\cdot}',
  '°': '\\ensuremath{^\\circ}',
  '–': '--',
  '—': '---',
  '…': '\\dots{}',
  '‘': '`',
  '’': "'",
  '“': '``',
  '”': "''",
  '\u00a0': '~',
  '•': '\\textbullet{}',
};

const SPECIAL: Record<string, string> = {
  '\\': '\\textbackslash{}',
  '{': '\\{',
  '}': '\\}',
  $: '\\$',
  '&': '\\&',
  '#': '\\#',
  '%': '\\%',
  _: '\\_',
  '~': '\\textasciitilde{}',
  '^': '\\textasciicircum{}',
  // In the default OT1 encoding these print as ¡ ¿ and an em dash.
  '<': '\\textless{}',
  '>': '\\textgreater{}',
  '|': '\\textbar{}',
};

/**
 * Escapes plain text for LaTeX: the ten special characters, the Greek letters and symbols of
 * method labels, and Latin-1 letters as they are (LaTeX's default UTF-8 input handles them).
 * Anything else would stop pdflatex with "Unicode character not set up", so it becomes '?'.
 */
export function escapeLatex(text: string): string {
  let out = '';
  const chars = [...text];
  chars.forEach((ch, i) => {
    const code = ch.codePointAt(0)!;
    // A run of typed hyphens would turn into an en or em dash.
    if (ch === '-' && chars[i + 1] === '-') out += '-{}';
    else if (SPECIAL[ch] !== undefined) out += SPECIAL[ch];
    else if (UNICODE[ch] !== undefined) out += UNICODE[ch];
    else if (code < 0x80) out += ch;
    else if (code >= 0xc0 && code <= 0xff && ch !== '÷') out += ch;
    else out += '?';
  });
  return out;
}

/**
 * The default \label names the experiments and the statistic, then a short hash of what
 * the table is of (experiment ids, every option, the rows), so that two tables of one
 * document (best and final, two loss scales, two selections) never share a label.
 */
function labelKey(table: ComparisonTable, label: string | undefined): string {
  if (label !== undefined) return label.replace(/[^A-Za-z0-9:._-]+/g, '-');
  const names = table.experiments.map((e) => e.name).join('-') || 'comparison';
  const identity = JSON.stringify([
    table.experiments.map((e) => e.id),
    table.options,
    table.rows.map((r) => r.key),
    table.columns.map((c) => c.key),
  ]);
  const raw = `tab:${names}:${table.options.stat}-${table.options.norm}-${fnv1a(identity)}`;
  return raw.replace(/[^A-Za-z0-9:._-]+/g, '-');
}

/** 32-bit FNV-1a as 8 hex digits: short, stable across runs and machines. */
function fnv1a(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

/** Whether row `i` starts another block of settings (rows trained alike sit together). */
function newBlock(table: ComparisonTable, i: number): boolean {
  return i > 0 && table.rows[i]!.settingsKey !== table.rows[i - 1]!.settingsKey;
}

function markTex(mark: string): string {
  return mark ? `\\textsuperscript{${mark}}` : '';
}

function cellTex(parts: CellParts | null, significance: 'marks' | 'pvalues'): string {
  if (!parts) return '--';
  const bold = (s: string) => (parts.isBest ? `\\textbf{${s}}` : s);
  let out = bold(parts.value);
  if (parts.std !== null) out += ` $\\pm$ ${bold(parts.std)}`;
  if (significance === 'marks') out += markTex(parts.mark);
  else if (parts.p !== null)
    out += ` {\\footnotesize ($p ${parts.p.startsWith('<') ? parts.p : `= ${parts.p}`}$)}`;
  return out;
}

function groupHeader(titles: readonly string[], span: number): string[] {
  const heads = titles.map((t) => `\\multicolumn{${span}}{c}{${escapeLatex(t)}}`);
  const rules = titles.map((_, g) => `\\cmidrule(lr){${2 + g * span}-${1 + (g + 1) * span}}`);
  return [`   & ${heads.join(' & ')} \\\\`, `  ${rules.join('')}`];
}

function notesTex(table: ComparisonTable, significance: 'marks' | 'pvalues'): string[] {
  const lines: string[] = [];
  if (table.rows.some((r) => r.cells.some((g) => g.loss?.isBest || g.accuracy?.isBest))) {
    lines.push(
      bestScope(table) === 'best in its column'
        ? 'Best per column in bold.'
        : 'Best per column among rows of the same settings in bold.',
    );
  }
  for (const note of table.notes) {
    if (note.kind === 'significance') {
      const marks = SIGNIFICANCE_LEVELS.map((l) => `${markTex(l.mark)}\\,$p < ${l.below}$`)
        .reverse()
        .join(', ');
      const rest = escapeLatex(note.text.slice(note.text.indexOf(':') + 1).trim());
      lines.push(significance === 'marks' ? `${marks}: ${rest}` : `$p$: ${rest}`);
    } else {
      lines.push(escapeLatex(note.text));
    }
  }
  return lines;
}

/**
 * A tabular typeset into a box first, so that it can be shrunk to the line width when it is
 * wider and the document loaded graphicx (\resizebox); without graphicx it is set as it is,
 * so the export never needs more than booktabs to compile.
 */
function fitted(tabular: readonly string[]): string[] {
  return [
    '  \\sbox{\\annealabbox}{%',
    ...tabular.map((l) => `  ${l}`),
    '  }%',
    '  \\ifdim\\wd\\annealabbox>\\linewidth',
    '    \\ifdefined\\resizebox\\resizebox{\\linewidth}{!}{\\usebox{\\annealabbox}}\\else\\usebox{\\annealabbox}\\fi',
    '  \\else\\usebox{\\annealabbox}\\fi',
  ];
}

export function renderLatex(table: ComparisonTable, options: LatexOptions = {}): string {
  const significance = options.significance ?? 'marks';
  const groups = table.columns.length;
  const titles = table.columns.map((c) => c.title);
  // "Accuracy" without "(%)": the caption says it, and the narrower heading keeps three
  // networks within a page.
  const heading = (m: (typeof METRICS)[number]) => (m === 'loss' ? 'Loss' : 'Accuracy');
  const out: string[] = [];
  out.push(
    '% Requires \\usepackage{booktabs}; shrunk to the line width when too wide if graphicx is loaded.',
  );
  out.push('% Generated by Annealab.');
  out.push(`\\begin{table}[${options.placement ?? 'htbp'}]`);
  out.push('  \\centering');
  out.push('  \\small');
  out.push('  \\setlength{\\tabcolsep}{4pt}');
  out.push('  \\ifdefined\\annealabbox\\else\\newsavebox{\\annealabbox}\\fi');
  out.push(`  \\caption{${escapeLatex(options.caption ?? table.caption)}}`);
  out.push(`  \\label{${labelKey(table, options.label)}}`);
  // A caption above a table gets \abovecaptionskip above it and nothing below in the
  // standard classes: without this the caption sits on the top rule.
  out.push('  \\medskip');

  const main: string[] = [];
  main.push(`\\begin{tabular}{@{}l${'rr'.repeat(groups)}@{}}`);
  main.push('  \\toprule');
  main.push(...groupHeader(titles, 2));
  main.push(`  Method & ${table.columns.map(() => METRICS.map(heading).join(' & ')).join(' & ')} \\\\`);
  main.push('  \\midrule');
  table.rows.forEach((row, i) => {
    if (newBlock(table, i)) main.push('  \\midrule');
    const cells = row.cells.flatMap((g) => METRICS.map((m) => cellTex(cellParts(m, g[m]), significance)));
    main.push(`  ${escapeLatex(row.label)} & ${cells.join(' & ')} \\\\`);
  });
  main.push('  \\bottomrule');
  main.push('\\end{tabular}');
  out.push(...fitted(main));

  if (hasTimeToTarget(table)) {
    const span = TIME_TO_TARGET_HEADINGS.length;
    const ttt: string[] = [];
    ttt.push(`\\begin{tabular}{@{}l${'r'.repeat(span * groups)}@{}}`);
    ttt.push('  \\toprule');
    ttt.push(...groupHeader(titles, span));
    ttt.push(
      `  Method & ${table.columns.map(() => TIME_TO_TARGET_HEADINGS.map(escapeLatex).join(' & ')).join(' & ')} \\\\`,
    );
    ttt.push('  \\midrule');
    table.rows.forEach((row, i) => {
      if (newBlock(table, i)) ttt.push('  \\midrule');
      const cells = row.cells.flatMap((g) => {
        const p = timeToTargetParts(g.timeToTarget);
        if (!p) return Array<string>(span).fill('--');
        if (p.none) return ['--', '--', '--', '--', p.reached];
        return [p.epochs, p.seconds, p.forward, p.backward, p.reached];
      });
      ttt.push(`  ${escapeLatex(row.label)} & ${cells.join(' & ')} \\\\`);
    });
    ttt.push('  \\bottomrule');
    ttt.push('\\end{tabular}');
    out.push('');
    out.push('  \\medskip');
    out.push(`  {\\raggedright\\footnotesize ${escapeLatex(timeToTargetCaption(table))}\\par}`);
    out.push('  \\smallskip');
    out.push(...fitted(ttt));
  }

  const notes = notesTex(table, significance);
  if (notes.length) {
    out.push('');
    out.push('  \\smallskip');
    out.push('  \\begin{minipage}{\\linewidth}');
    out.push('    \\footnotesize');
    notes.forEach((n, i) => out.push(`    ${n}${i < notes.length - 1 ? '\\\\' : ''}`));
    out.push('  \\end{minipage}');
  }
  out.push('\\end{table}');
  const body = out.join('\n') + '\n';
  if (!options.document) return body;
  return [
    '\\documentclass{article}',
    '\\usepackage[T1]{fontenc}',
    '\\usepackage{booktabs}',
    '\\begin{document}',
    body,
    '\\end{document}',
    '',
  ].join('\n');
}

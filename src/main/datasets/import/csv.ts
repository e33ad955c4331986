// CSV as Kaggle's MNIST has it: one image per row, the label first, then one column per
// pixel (0–255, row by row, greyscale), with or without a header row. Labels may be numbers
// or names. A file with "test" in its name is the test split.
import { resolveClasses, type ClassNames } from './classes';
import { ImportError, throwIfAborted } from './errors';
import type { SourceFile } from './sources';
import type { ImporterContext, ParsedDataset } from './types';

const COMMA = 0x2c;
const SEMICOLON = 0x3b;
const TAB = 0x09;
const QUOTE = 0x22;
const CR = 0x0d;
const LF = 0x0a;
const SPACE = 0x20;

/** Text whose first line has at least two delimited fields, most of them numbers. */
export function looksLikeCsv(file: SourceFile): boolean {
  const head = file.data.subarray(0, 4096);
  if (head.length === 0 || head.includes(0)) return false;
  const text = Buffer.from(head)
    .toString('utf8')
    .replace(/^\uFEFF/, '');
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (/\.csv$/i.test(file.name)) return true;
  const line = lines[1] ?? lines[0];
  if (!line) return false;
  const delimiter = String.fromCharCode(delimiterOf(line));
  const fields = line.split(delimiter);
  return fields.length >= 5 && fields.filter((f) => /^\s*\d+\s*$/.test(f)).length >= fields.length / 2;
}

function delimiterOf(line: string): number {
  const counts = [COMMA, SEMICOLON, TAB].map(
    (d) => [d, line.split(String.fromCharCode(d)).length - 1] as const,
  );
  counts.sort((a, b) => b[1] - a[1]);
  return counts[0]![1] > 0 ? counts[0]![0] : COMMA;
}

interface CsvPart {
  file: SourceFile;
  side: number;
  images: Uint8Array;
  keys: string[];
  /** File line number of each row, for messages about its label. */
  lines: number[];
}

function parseCsv(file: SourceFile, ctx: ImporterContext, progress: (bytes: number) => void): CsvPart {
  let data = file.data;
  if (data[0] === 0xef && data[1] === 0xbb && data[2] === 0xbf) data = data.subarray(3);
  const firstEnd = data.indexOf(LF) === -1 ? data.length : data.indexOf(LF);
  const firstLine = Buffer.from(data.subarray(0, firstEnd)).toString('utf8').replace(/\r$/, '');
  const delimiter = delimiterOf(firstLine);
  const firstFields = splitLine(firstLine, String.fromCharCode(delimiter));
  const columns = firstFields.length;
  const hasHeader = firstFields.slice(1).some((f) => !/^\s*\d+\s*$/.test(f));
  const pixels = columns - 1;
  const side = Math.round(Math.sqrt(pixels));
  if (columns < 2 || side * side !== pixels) {
    const whole = Math.round(Math.sqrt(columns));
    throw new ImportError(
      file.display,
      whole * whole === columns
        ? `no label column: its ${columns} columns are exactly one ${whole}×${whole} image (Kaggle's test.csv has no labels); a label column must come first`
        : `${pixels} pixel columns after the label do not make a square image (expected a label column, then H×W greyscale pixels with H = W)`,
    );
  }

  let lineCount = 1;
  for (let i = 0; i < data.length; i++) if (data[i] === LF) lineCount++;
  const images = new Uint8Array(lineCount * pixels);
  const keys: string[] = [];
  const lines: number[] = [];
  let pos = hasHeader ? Math.min(firstEnd + 1, data.length) : 0;
  let line = hasHeader ? 2 : 1;
  const fail = (column: number | null, problem: string): never => {
    throw new ImportError(
      file.display,
      `line ${line}${column === null ? '' : `, column ${column}`}: ${problem}`,
    );
  };
  const fieldText = (start: number, end: number) => Buffer.from(data.subarray(start, end)).toString('utf8');

  while (pos < data.length) {
    // Blank lines (the last one, usually) are skipped.
    let end = pos;
    while (end < data.length && data[end] !== LF) end++;
    let lineEnd = end;
    if (lineEnd > pos && data[lineEnd - 1] === CR) lineEnd--;
    if (lineEnd === pos) {
      pos = end + 1;
      line++;
      continue;
    }
    // The label: everything up to the first delimiter, quotes removed.
    let p = pos;
    let label: string;
    if (data[p] === QUOTE) {
      const close = data.indexOf(QUOTE, p + 1);
      if (close === -1 || close > lineEnd) fail(1, 'the quoted label has no closing quote');
      label = fieldText(p + 1, close);
      p = close + 1;
    } else {
      while (p < lineEnd && data[p] !== delimiter) p++;
      label = fieldText(pos, p).trim();
    }
    if (label === '') fail(1, 'the label is empty');
    const row = keys.length;
    let column = 1;
    let o = row * pixels;
    while (p < lineEnd) {
      if (data[p] !== delimiter) fail(column, `expected "${String.fromCharCode(delimiter)}" after the field`);
      p++;
      column++;
      if (column > columns) fail(null, `more than the ${columns} fields of the first line`);
      while (p < lineEnd && data[p] === SPACE) p++;
      let value = 0;
      let digits = 0;
      while (p < lineEnd && data[p]! >= 0x30 && data[p]! <= 0x39) {
        value = value * 10 + data[p]! - 0x30;
        digits++;
        p++;
      }
      while (p < lineEnd && data[p] === SPACE) p++;
      if (digits === 0 || (p < lineEnd && data[p] !== delimiter) || value > 255) {
        // Where, not what: the field's text would carry a file's content into the message, which
        // the browser host sends back to a page.
        fail(column, 'the pixel is not a whole number from 0 to 255');
      }
      images[o++] = value;
    }
    if (column < columns) fail(null, `${column} fields, but the first line has ${columns}`);
    keys.push(label);
    lines.push(line);
    pos = end + 1;
    line++;
    if (keys.length % 1000 === 0) {
      throwIfAborted(ctx.signal, ctx.name);
      progress(pos);
    }
  }
  progress(data.length);
  if (keys.length === 0) throw new ImportError(file.display, 'holds no rows of data');
  return { file, side, images: images.subarray(0, keys.length * pixels), keys, lines };
}

function splitLine(line: string, delimiter: string): string[] {
  return line.split(delimiter).map((f) => f.trim().replace(/^"(.*)"$/s, '$1'));
}

export function importCsv(
  files: readonly SourceFile[],
  names: ClassNames | undefined,
  ctx: ImporterContext,
): ParsedDataset {
  // Rows are only known once read, so progress counts bytes.
  const total = files.reduce((n, f) => n + f.data.length, 0);
  let before = 0;
  const parts = files.map((file) => {
    const part = parseCsv(file, ctx, (bytes) => ctx.onProgress(before + bytes, total));
    before += file.data.length;
    return part;
  });
  const isTest = (p: CsvPart) => /test/i.test(p.file.name);
  const train = parts.filter((p) => !isTest(p));
  const test = parts.filter((p) => isTest(p));
  if (train.length === 0)
    throw new ImportError(test[0]!.file.display, 'only test files were given; add the training file');
  if (train.length > 1 || test.length > 1) {
    const group = train.length > 1 ? train : test;
    throw new ImportError(
      undefined,
      `several ${train.length > 1 ? 'training' : 'test'} files given (${group.map((p) => p.file.display).join(', ')}); import one dataset at a time`,
    );
  }
  const side = train[0]!.side;
  const odd = parts.find((p) => p.side !== side);
  if (odd) {
    throw new ImportError(
      odd.file.display,
      `mixed image sizes: its rows are ${odd.side}×${odd.side} images, those of ${train[0]!.file.display} ${side}×${side}`,
    );
  }
  const ordered = [train[0]!, ...test];
  const { classes, labels } = resolveClasses(
    ordered.map((p, i) => ({
      file: p.file.display,
      describe: (row: number) => `line ${p.lines[row]}`,
      keys: p.keys,
      isTest: i > 0,
    })),
    names,
  );
  const split = (p: CsvPart, i: number) => ({ images: p.images, labels: labels[i]!, count: p.keys.length });
  return {
    format: 'csv',
    height: side,
    width: side,
    channels: 1,
    classes,
    train: split(train[0]!, 0),
    test: test[0] ? split(test[0], 1) : null,
    used: ordered.map((p) => p.file),
    notes: [],
  };
}

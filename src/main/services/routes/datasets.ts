// datasets.*: list, preview, describe, import and delete, with the events the Datasets view
// listens for when what the data dir holds changed.
import {
  datasetDescription,
  datasetEntries,
  datasetPreview,
  deleteImported,
  importedView,
  importInto,
} from '../datasets';
import type { AppHandlers, RouteContext } from './context';

type DatasetRoutes = Pick<
  AppHandlers,
  'datasets.list' | 'datasets.preview' | 'datasets.describe' | 'datasets.import' | 'datasets.delete'
>;

export const datasetRoutes = (ctx: RouteContext): DatasetRoutes => ({
  'datasets.list': () => datasetEntries(ctx.dataDir, ctx.store),
  'datasets.preview': async ({ id, samples }) => {
    const { preview, converted } = await datasetPreview(ctx.dataDir, ctx.store, id, samples);
    if (converted) ctx.emit('datasets.changed', { id });
    return preview;
  },
  'datasets.describe': ({ name }) => datasetDescription(ctx.dataDir, ctx.store, name),
  'datasets.import': async ({ paths, name, testFraction, resize }) => {
    const row = await importInto(ctx.dataDir, ctx.store, paths, {
      name,
      testFraction,
      resize,
      onProgress: (p) => ctx.emit('datasets.importProgress', { name, ...p }),
    });
    ctx.emit('datasets.changed', { id: row.name });
    return importedView(row);
  },
  'datasets.delete': async ({ name }) => {
    const deleted = await deleteImported(ctx.dataDir, ctx.store, name);
    ctx.emit('datasets.changed', { id: name });
    return deleted;
  },
});

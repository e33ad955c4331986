// experiments.*, runs.get, runs.delete, runs.exportWeights and results.get.
import {
  checkExperiment,
  deleteExperiment,
  experimentDetail,
  experimentSummaries,
  renameExperiment,
  submitSpec,
} from '../experiments';
import { weightsDownload } from '../run-weights';
import { deleteRun, runDetail, selectResults } from '../runs';
import type { AppHandlers, RouteContext } from './context';

export const experimentRoutes = (
  ctx: RouteContext,
): Pick<
  AppHandlers,
  | 'experiments.list'
  | 'experiments.validate'
  | 'experiments.submit'
  | 'experiments.get'
  | 'experiments.rename'
  | 'experiments.delete'
  | 'runs.get'
  | 'runs.delete'
  | 'runs.exportWeights'
  | 'results.get'
> => ({
  'experiments.list': () => experimentSummaries(ctx.store),
  'experiments.validate': ({ spec }) => checkExperiment(ctx.dataDir, spec),
  'experiments.submit': async ({ spec }) => {
    const { experiment, runs } = await submitSpec(ctx.store, ctx.dataDir, spec);
    ctx.changed('submitted');
    return { experimentId: experiment.id, runIds: runs.map((r) => r.id) };
  },
  'experiments.get': ({ key }) => experimentDetail(ctx.store, key),
  'experiments.rename': ({ key, name }) => {
    const renamed = renameExperiment(ctx.store, key, name);
    ctx.changed('renamed');
    return renamed;
  },
  'experiments.delete': async ({ key, cancel }) => {
    const deleted = await deleteExperiment(ctx.store, ctx.dataDir, key, {
      cancel,
      afterCancel: () => ctx.changed('cancel'),
    });
    ctx.changed('deleted');
    return deleted;
  },
  'runs.get': ({ runId }) => runDetail(ctx.store, runId),
  'runs.exportWeights': ({ runId, last }) => weightsDownload(ctx.store, ctx.dataDir, runId, { last }),
  'runs.delete': async ({ runId, cancel }) => {
    const deleted = await deleteRun(ctx.store, ctx.dataDir, runId, {
      cancel,
      afterCancel: () => ctx.changed('cancel'),
    });
    ctx.changed('deleted');
    return deleted;
  },
  'results.get': (selection) => selectResults(ctx.store, selection),
});

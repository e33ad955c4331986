// experiments.*, runs.get, runs.exportWeights and results.get.
import { checkExperiment, experimentSummaries, submitSpec } from '../experiments';
import { weightsDownload } from '../run-weights';
import { runDetail, selectResults } from '../runs';
import type { AppHandlers, RouteContext } from './context';

export const experimentRoutes = (
  ctx: RouteContext,
): Pick<
  AppHandlers,
  | 'experiments.list'
  | 'experiments.validate'
  | 'experiments.submit'
  | 'runs.get'
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
  'runs.get': ({ runId }) => runDetail(ctx.store, runId),
  'runs.exportWeights': ({ runId, last }) => weightsDownload(ctx.store, ctx.dataDir, runId, { last }),
  'results.get': (selection) => selectResults(ctx.store, selection),
});

// app.info, system.info, and the queue's executor setting.
import { describeExecutorSetting, setExecutor } from '../executors';
import { describeSystem } from '../system';
import { ANNEALAB_VERSION } from '../version';
import type { AppHandlers, RouteContext } from './context';

export const systemRoutes = (
  ctx: RouteContext,
): Pick<AppHandlers, 'app.info' | 'system.info' | 'system.executor' | 'system.setExecutor'> => ({
  'app.info': () => ({ host: ctx.host, version: ANNEALAB_VERSION, dataDir: ctx.dataDir }),
  'system.info': () => describeSystem(ctx.store, ctx.dataDir, ctx.host),
  'system.executor': () => describeExecutorSetting(ctx.store, ctx.dataDir),
  'system.setExecutor': (input) => {
    setExecutor(ctx.store, input);
    ctx.changed('executor');
    return describeExecutorSetting(ctx.store, ctx.dataDir);
  },
});

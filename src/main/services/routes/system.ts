// app.info and system.info.
import { describeSystem } from '../system';
import { ANNEALAB_VERSION } from '../version';
import type { AppHandlers, RouteContext } from './context';

export const systemRoutes = (ctx: RouteContext): Pick<AppHandlers, 'app.info' | 'system.info'> => ({
  'app.info': () => ({ host: ctx.host, version: ANNEALAB_VERSION, dataDir: ctx.dataDir }),
  'system.info': () => describeSystem(ctx.store, ctx.dataDir, ctx.host),
});

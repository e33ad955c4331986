// export.table and export.figure.
import { figureFile, tableFile } from '../exports';
import type { AppHandlers, RouteContext } from './context';

export const exportRoutes = (ctx: RouteContext): Pick<AppHandlers, 'export.table' | 'export.figure'> => ({
  'export.table': (request) => tableFile(ctx.store, request),
  'export.figure': (request) => figureFile(ctx.store, request),
});

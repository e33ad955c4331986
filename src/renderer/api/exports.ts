// The export domain: tables and figures rendered by the host's export service.
import type { Input } from '../../shared/contract';
import { bridge } from './bridge';

export const exportsApi = {
  table: (input: Input<'export.table'>) => bridge().invoke('export.table', input),
  figure: (input: Input<'export.figure'>) => bridge().invoke('export.figure', input),
};
export type ExportsApi = typeof exportsApi;

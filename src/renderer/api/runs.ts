// The runs domain: one run with its records, runs of a selection, and the live runner events.
import type { Payload } from '../../shared/contract';
import { bridge } from './bridge';

export const runsApi = {
  get: (runId: string) => bridge().invoke('runs.get', { runId }),
  results: (experimentIds: string[], runIds?: string[]) =>
    bridge().invoke('results.get', { experimentIds, ...(runIds ? { runIds } : {}) }),
  onRunner: (listener: (event: Payload<'runner'>) => void) => bridge().on('runner', listener),
};
export type RunsApi = typeof runsApi;

// The system domain: host, backend, devices, data dir.
import type { Payload } from '../../shared/contract';
import { bridge } from './bridge';

export const systemApi = {
  app: () => bridge().invoke('app.info', {}),
  info: () => bridge().invoke('system.info', {}),
  onCommand: (listener: (p: Payload<'app.command'>) => void) => bridge().on('app.command', listener),
};
export type SystemApi = typeof systemApi;

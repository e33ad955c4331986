// The system domain: host, backend, devices, data dir, the queue's executor.
import type { Payload } from '../../shared/contract';
import type { ExecutorSetting } from '../../shared/executor';
import { bridge } from './bridge';

export const systemApi = {
  app: () => bridge().invoke('app.info', {}),
  info: () => bridge().invoke('system.info', {}),
  executor: () => bridge().invoke('system.executor', {}),
  setExecutor: (setting: ExecutorSetting) => bridge().invoke('system.setExecutor', setting),
  onCommand: (listener: (p: Payload<'app.command'>) => void) => bridge().on('app.command', listener),
};
export type SystemApi = typeof systemApi;

// The queue domain: the snapshot, its controls, and change notifications.
import type { Payload } from '../../shared/contract';
import { bridge } from './bridge';

export const queueApi = {
  list: () => bridge().invoke('queue.list', {}),
  pause: () => bridge().invoke('queue.pause', {}),
  resume: () => bridge().invoke('queue.resume', {}),
  setConcurrency: (value: number | null) => bridge().invoke('queue.setConcurrency', { value }),
  cancel: (runId: string) => bridge().invoke('queue.cancel', { runId }),
  retry: (runId: string, resume = false) => bridge().invoke('queue.retry', { runId, resume }),
  move: (runId: string, index: number) => bridge().invoke('queue.move', { runId, index }),
  onChanged: (listener: (p: Payload<'queue.changed'>) => void) => bridge().on('queue.changed', listener),
  onExecutor: (listener: (p: Payload<'executor.changed'>) => void) =>
    bridge().on('executor.changed', listener),
};
export type QueueApi = typeof queueApi;

// Every event the UI can receive, declared once: the web host streams them as server-sent
// events, the Electron main sends them on one IPC channel.
import { z } from 'zod';
import { runnerEventSchema } from '../events';
import { executorStateSchema } from './types';

export const events = {
  runner: {
    summary:
      'what the queue executor reports: run-started, progress, epoch, log, run-finished, run-cancelled, run-failed, experiment-finished',
    payload: runnerEventSchema,
  },
  'queue.changed': {
    summary: 'runs, their order or the queue settings changed: refetch queue.list',
    payload: z.object({ reason: z.string() }),
  },
  'executor.changed': {
    summary: 'this host became the executor, or another process holds it',
    payload: executorStateSchema,
  },
  'datasets.changed': {
    summary: 'a dataset was added or converted',
    payload: z.object({ id: z.string() }),
  },
  'datasets.importProgress': {
    summary: 'how far a dataset import is: reading, decoding, splitting, writing, done',
    payload: z.object({ name: z.string(), phase: z.string(), done: z.number(), total: z.number() }),
  },
  'app.command': {
    summary: 'a menu command for the renderer (Electron): open a view, a new experiment, a spec file',
    payload: z.object({
      command: z.enum(['navigate', 'new-experiment', 'open-spec', 'toggle-theme']),
      view: z.string().optional(),
    }),
  },
};

export type Events = typeof events;
export type EventName = keyof Events;
export const EVENT_NAMES = Object.keys(events) as EventName[];

// queue.*: the queue's controls, each one service call and a change the host passes on.
import {
  cancelRun,
  moveRun,
  pauseQueue,
  queueSnapshot,
  resumeQueue,
  retryRun,
  setConcurrency,
} from '../queue-control';
import type { AppHandlers, RouteContext } from './context';

type QueueRoutes = Pick<
  AppHandlers,
  | 'queue.list'
  | 'queue.pause'
  | 'queue.resume'
  | 'queue.setConcurrency'
  | 'queue.cancel'
  | 'queue.retry'
  | 'queue.move'
>;

export const queueRoutes = (ctx: RouteContext): QueueRoutes => {
  const ok = { ok: true } as const;
  return {
    'queue.list': () =>
      queueSnapshot(ctx.store, { concurrency: ctx.concurrency, executor: ctx.executorState() }),
    'queue.pause': () => {
      pauseQueue(ctx.store);
      ctx.changed('paused');
      return ok;
    },
    'queue.resume': () => {
      resumeQueue(ctx.store);
      ctx.changed('resumed');
      return ok;
    },
    'queue.setConcurrency': ({ value }) => {
      setConcurrency(ctx.store, value);
      ctx.changed('concurrency');
      return ok;
    },
    'queue.cancel': ({ runId }) => {
      const { outcome } = cancelRun(ctx.store, runId);
      ctx.changed('cancel');
      return { outcome };
    },
    'queue.retry': ({ runId, resume }) => {
      retryRun(ctx.store, ctx.dataDir, runId, { resume });
      ctx.changed('retry');
      return ok;
    },
    'queue.move': ({ runId, index }) => {
      moveRun(ctx.store, runId, index);
      ctx.changed('move');
      return ok;
    },
  };
};

// What the queue and the run view show while a run runs and after a retry: the best value so
// far (the summary only exists once a run ends) and the run's new state after a retry.
import { createPinia, setActivePinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Bridge, QueueSnapshot, RunView } from '../../src/shared/contract';
import { setBridge } from '../../src/renderer/api';
import { useQueueStore } from '../../src/renderer/stores/queue';
import { useRunStore } from '../../src/renderer/stores/run';

interface Fake extends Bridge {
  calls: string[];
  emit(name: string, payload: unknown): void;
}

function fakeBridge(handlers: Record<string, (input: any) => unknown>): Fake {
  const calls: string[] = [];
  const listeners = new Map<string, Set<(p: unknown) => void>>();
  return {
    calls,
    invoke: (async (name: string, input: unknown) => {
      calls.push(name);
      const h = handlers[name];
      if (!h) throw new Error(`no fake for ${name}`);
      return h(input);
    }) as Bridge['invoke'],
    on: ((name: string, l: (p: unknown) => void) => {
      const set = listeners.get(name) ?? new Set();
      listeners.set(name, set);
      set.add(l);
      return () => set.delete(l);
    }) as Bridge['on'],
    emit(name, payload) {
      for (const l of listeners.get(name) ?? []) l(payload);
    },
  };
}

function run(over: Partial<RunView>): RunView {
  return {
    id: 'a',
    experimentId: 'e1',
    experimentName: 'exp',
    position: 0,
    methodIndex: 0,
    method: 'sgd',
    label: 'SGD',
    model: 'mlp',
    seed: 1,
    status: 'running',
    error: null,
    environment: null,
    summary: null,
    notes: [],
    createdAt: '2025-01-01T00:00:00Z',
    startedAt: null,
    finishedAt: null,
    queueOrder: 1,
    attempts: 1,
    checkpointEpoch: null,
    cancelRequested: false,
    progress: null,
    epochsDone: 2,
    epochs: 4,
    batchSize: 64,
    etaSeconds: 30,
    ...over,
  };
}
const epoch = (n: number, accuracy: number) => ({
  type: 'epoch',
  runId: 'a',
  epoch: n,
  val: { loss: 1, accuracy },
  train: { loss: 1, accuracy },
});
const flush = async () => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setTimeout(r, 0));
};

beforeEach(() => setActivePinia(createPinia()));
afterEach(() => setBridge(null));

describe('best validation accuracy of a running run', () => {
  it('comes from the epochs recorded so far, then from each epoch event', async () => {
    const snapshot: QueueSnapshot = {
      paused: false,
      concurrency: { setting: null, effective: 1 },
      executor: { self: true, role: null, pid: null },
      runs: [run({})],
    };
    const bridge = fakeBridge({
      'queue.list': () => snapshot,
      'runs.get': () => ({ run: run({}), result: { epochs: [epoch(1, 0.5), epoch(2, 0.7)] } }),
    });
    setBridge(bridge);
    const q = useQueueStore();
    await q.init();
    q.stop();
    await flush();
    expect(q.bestOf(q.runs[0]!)).toEqual({ accuracy: 0.7, epoch: 2 });
    bridge.emit('runner', epoch(3, 0.65));
    expect(q.bestOf(q.runs[0]!)).toEqual({ accuracy: 0.7, epoch: 2 });
    bridge.emit('runner', epoch(4, 0.8));
    expect(q.bestOf(q.runs[0]!)).toEqual({ accuracy: 0.8, epoch: 4 });
    // A retry starts over: the old best goes.
    bridge.emit('runner', { type: 'run-started', runId: 'a', environment: {}, notes: [] });
    expect(q.bestOf(q.runs[0]!)).toBeNull();
  });

  it('is the summary’s once the run has ended', async () => {
    const done = run({ status: 'finished', summary: { bestValAccuracy: 0.9, bestEpoch: 3 } as any });
    setBridge(
      fakeBridge({
        'queue.list': () => ({
          paused: false,
          concurrency: { setting: null, effective: 1 },
          executor: { self: true, role: null, pid: null },
          runs: [done],
        }),
      }),
    );
    const q = useQueueStore();
    await q.init();
    q.stop();
    expect(q.bestOf(q.runs[0]!)).toEqual({ accuracy: 0.9, epoch: 3 });
  });
});

describe('the run view after a retry', () => {
  it('reloads a failed run when the queue changes, and so shows it queued again', async () => {
    let status: RunView['status'] = 'failed';
    const bridge = fakeBridge({
      'runs.get': () => ({
        run: run({ status, etaSeconds: null }),
        experiment: { id: 'e1', name: 'exp', spec: {} },
        result: { epochs: [] },
      }),
    });
    setBridge(bridge);
    const s = useRunStore();
    await s.open('a');
    expect(s.detail!.run.status).toBe('failed');
    status = 'queued';
    bridge.emit('queue.changed', {});
    await flush();
    expect(s.detail!.run.status).toBe('queued');
  });
});

// The renderer's side of the queue's executor against a fake bridge: the System store saves a
// setting and keeps the host's problems by path; the Queue store follows the executor and the
// Slurm jobs of running runs with the queue's change events; the Queue's badge and job labels.
import { createPinia, setActivePinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ContractError, type Bridge, type QueueSnapshot } from '../../src/shared/contract';
import type { ExecutorView, JobRecord } from '../../src/shared/executor';
import { setBridge } from '../../src/renderer/api';
import { executorBadge, jobLabel, useQueueStore } from '../../src/renderer/stores/queue';
import { useSystemStore } from '../../src/renderer/stores/system';

interface Fake extends Bridge {
  calls: [string, any][];
  emit(name: string, payload: unknown): void;
}

function fakeBridge(handlers: Record<string, (input: any) => unknown>): Fake {
  const calls: [string, any][] = [];
  const listeners = new Map<string, Set<(p: unknown) => void>>();
  return {
    calls,
    invoke: (async (name: string, input: unknown) => {
      calls.push([name, input]);
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

const job = (over: Partial<JobRecord> = {}): JobRecord => ({
  runId: 'a',
  jobId: '4242',
  submittedAt: '2026-01-01T00:00:00Z',
  state: 'PENDING',
  reason: 'Resources',
  node: null,
  partition: 'gpu',
  ...over,
});
const LOCAL_VIEW: ExecutorView = {
  setting: { kind: 'local' },
  slurm: { available: true, reason: null },
  jobs: [],
};
const SNAPSHOT: QueueSnapshot = {
  paused: false,
  concurrency: { setting: null, effective: 1 },
  executor: { self: true, role: 'test', pid: 1 },
  runs: [],
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeEach(() => setActivePinia(createPinia()));
afterEach(() => setBridge(null));

describe('the system store and the executor', () => {
  it('keeps the host’s problems by path, changes nothing, and clears them on a good save', async () => {
    let stored: ExecutorView = LOCAL_VIEW;
    const bridge = fakeBridge({
      'system.info': () => ({}),
      'system.executor': () => stored,
      'system.setExecutor': (input) => {
        if (input.slurm?.time === 'abc')
          throw new ContractError('bad input', 'bad-input', [
            { path: 'slurm.time', message: 'must be a Slurm time limit' },
            { path: 'slurm.sbatchArgs.1', message: '--output: Annealab sets --output itself' },
          ]);
        stored = { ...stored, setting: input };
        return stored;
      },
    });
    setBridge(bridge);
    const s = useSystemStore();
    await s.init();
    expect(s.executor).toEqual(LOCAL_VIEW);

    const bad = { kind: 'slurm' as const, slurm: { time: 'abc', sbatchArgs: ['--mem=8G', '--output=x'] } };
    await expect(s.saveExecutor(bad)).resolves.toBe(false);
    expect(s.problemsAt('slurm.time').map((p) => p.message)).toEqual(['must be a Slurm time limit']);
    expect(s.problemsAt('slurm.sbatchArgs')).toHaveLength(1);
    expect(s.problemsAt('slurm.partition')).toEqual([]);
    expect(s.executor?.setting).toEqual({ kind: 'local' });

    const good = { kind: 'slurm' as const, slurm: { time: '2:00:00', sbatchArgs: [] } };
    await expect(s.saveExecutor(good)).resolves.toBe(true);
    expect(s.executorProblems).toEqual([]);
    expect(s.executor?.setting).toEqual(good);
  });

  it('never lets a refresh that began before a save undo it', async () => {
    let stored: ExecutorView = {
      ...LOCAL_VIEW,
      setting: { kind: 'slurm', slurm: { partition: 'gpu', sbatchArgs: [] } },
    };
    let releaseInfo: () => void = () => {};
    setBridge(
      fakeBridge({
        // system.info measures the disk: slow; the executor is read at once, before the save.
        'system.info': () => new Promise((r) => (releaseInfo = () => r({}))),
        'system.executor': () => stored,
        'system.setExecutor': (input) => (stored = { ...stored, setting: input }),
      }),
    );
    const s = useSystemStore();
    const refreshing = s.refresh();
    await sleep(0);
    await s.saveExecutor({ kind: 'local' });
    releaseInfo();
    await refreshing;
    expect(s.executor?.setting).toEqual({ kind: 'local' });
  });

  it('throws a refusal without problems (sbatch missing) for the caller to show', async () => {
    setBridge(
      fakeBridge({
        'system.setExecutor': () => {
          throw new ContractError('sbatch was not found on PATH', 'unsupported');
        },
      }),
    );
    const s = useSystemStore();
    await expect(s.saveExecutor({ kind: 'slurm', slurm: { sbatchArgs: [] } })).rejects.toThrow(/sbatch/);
    expect(s.executorProblems).toEqual([]);
    expect(s.savingExecutor).toBe(false);
  });
});

describe('the queue store and the executor', () => {
  it('follows the Slurm jobs of running runs with the queue’s change events', async () => {
    let view: ExecutorView = {
      setting: { kind: 'slurm', slurm: { partition: 'gpu', sbatchArgs: [] } },
      slurm: { available: true, reason: null },
      jobs: [job()],
    };
    const bridge = fakeBridge({ 'queue.list': () => SNAPSHOT, 'system.executor': () => view });
    setBridge(bridge);
    const q = useQueueStore();
    await q.init();
    await sleep(0);
    expect(q.jobOf('a')).toMatchObject({ jobId: '4242', state: 'PENDING' });
    expect(q.jobOf('b')).toBeNull();

    view = { ...view, jobs: [job({ state: 'RUNNING', reason: 'None', node: 'n7' })] };
    bridge.emit('queue.changed', { reason: 'runs' });
    await sleep(250);
    expect(q.jobOf('a')).toMatchObject({ state: 'RUNNING', node: 'n7' });
    q.stop();
  });

  it('shows the queue without the executor where the host has no such route', async () => {
    setBridge(fakeBridge({ 'queue.list': () => SNAPSHOT }));
    const q = useQueueStore();
    await q.init();
    await sleep(0);
    expect(q.snapshot).toEqual(SNAPSHOT);
    expect(q.executorView).toBeNull();
    expect(q.error).toBeNull();
    q.stop();
  });
});

describe('the Queue view’s executor words', () => {
  it('names the executor and a job compactly', () => {
    expect(executorBadge({ kind: 'local' })).toBe('local');
    expect(executorBadge({ kind: 'slurm', slurm: { partition: 'gpu', sbatchArgs: [] } })).toBe(
      'slurm · partition gpu',
    );
    expect(executorBadge({ kind: 'slurm', slurm: { sbatchArgs: [] } })).toBe('slurm · default partition');
    expect(jobLabel(job())).toBe('job 4242 · PENDING (Resources)');
    expect(jobLabel(job({ state: 'RUNNING', reason: 'None', node: 'n7' }))).toBe('job 4242 · RUNNING on n7');
    expect(jobLabel(job({ jobId: null, state: null, reason: null }))).toBe('job … · submitted');
  });
});

// The queue's controls every host calls (services/queue-control.ts) and the follower the hosts
// share (services/follower.ts), on a real store in a temporary data dir.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunnerEvent } from '../../src/shared/events';
import { validateSpec, type ExperimentSpec } from '../../src/shared/spec';
import { submitExperiment } from '../../src/main/services/experiments';
import { ExecutorLease } from '../../src/main/services/executor-lease';
import { RunFollower } from '../../src/main/services/follower';
import {
  cancelRun,
  isPaused,
  parseConcurrency,
  pauseQueue,
  resumeQueue,
  retryRun,
} from '../../src/main/services/queue-control';
import { Store, StoreRefusal } from '../../src/main/store';
import { checkpointPath } from '../../src/main/trainer/checkpoint';

describe('parseConcurrency: the one check of --concurrency and `queue concurrency N`', () => {
  it('takes whole numbers >= 1, and "auto" only where allowed', () => {
    expect(parseConcurrency('3')).toBe(3);
    expect(parseConcurrency('auto', { auto: true })).toBeNull();
    for (const bad of ['0', '-1', '1.5', 'abc', '', ' ']) {
      expect(() => parseConcurrency(bad), bad).toThrow('must be a whole number >= 1');
    }
    expect(() => parseConcurrency('auto')).toThrow('must be a whole number >= 1');
    expect(() => parseConcurrency('x', { auto: true })).toThrow('or "auto"');
  });
});

describe('queue controls on a real store', () => {
  let dataDir: string;
  let store: Store;
  let spec: ExperimentSpec;

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'annealab-queue-control-'));
    store = Store.open(dataDir);
    const v = validateSpec(
      { name: 'q', dataset: { id: 'mnist' }, models: ['mlp'], methods: [{ id: 'sgd' }], seeds: [1, 2] },
      { datasets: ['mnist'] },
    );
    if (!v.ok) throw new Error('fixture spec is invalid');
    spec = v.spec;
  });

  afterEach(() => {
    store.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('pauses, and resuming puts interrupted runs back in the queue', () => {
    const { runs } = submitExperiment(store, spec);
    pauseQueue(store);
    expect(isPaused(store)).toBe(true);
    store.runs.claim(runs[0]!.id);
    store.runs.markOrphansInterrupted();
    expect(resumeQueue(store)).toBe(1);
    expect(isPaused(store)).toBe(false);
    expect(store.runs.get(runs[0]!.id)!.status).toBe('queued');
  });

  it('retries from scratch with its checkpoints deleted, or resumes keeping them', () => {
    const { runs } = submitExperiment(store, spec);
    const [a, b] = runs.map((r) => r.id) as [string, string];
    for (const id of [a, b]) {
      const path = checkpointPath(dataDir, id);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, 'checkpoint');
      cancelRun(store, id.slice(0, 8));
    }
    expect(retryRun(store, dataDir, a, { resume: false }).status).toBe('queued');
    expect(existsSync(dirname(checkpointPath(dataDir, a)))).toBe(false);
    expect(retryRun(store, dataDir, b, { resume: true }).status).toBe('queued');
    expect(existsSync(checkpointPath(dataDir, b))).toBe(true);
    // A queued run cannot be retried: the store refuses, and says why.
    expect(() => retryRun(store, dataDir, a, { resume: false })).toThrow(StoreRefusal);
    expect(() => retryRun(store, dataDir, 'nope', { resume: false })).toThrow(/no run "nope"/);
  });

  it('follows runs from the store: progress of live runs, and with lifecycle their ends', () => {
    const { runs } = submitExperiment(store, spec);
    const [a, b] = runs.map((r) => r.id) as [string, string];
    const everyRun = new RunFollower(store);
    const mine = new RunFollower(store, { runIds: [a], lifecycle: true });
    // A live executor (this process's own lease counts) runs it: without one, readers would
    // see a run left 'running' by a dead host, shown interrupted (executor-lease.test.ts).
    const lease = ExecutorLease.acquire(store, 'test')!;
    store.runs.claim(a);
    const progress = { epoch: 1, step: 3, steps: 10, epochs: 1, stepsPerSecond: null, at: 't1' };
    store.runs.setProgress(a, progress);
    const types = (events: RunnerEvent[]) => events.map((e) => `${e.type}:${'runId' in e ? e.runId : ''}`);
    expect(types(everyRun.poll())).toEqual([`progress:${a}`]);
    expect(types(everyRun.poll())).toEqual([]);
    expect(types(mine.poll())).toEqual([`progress:${a}`]);
    expect(mine.done).toBe(false);
    store.runs.markEnded(a, 'failed', null, 'boom');
    cancelRun(store, b);
    expect(mine.poll()).toEqual([expect.objectContaining({ type: 'run-failed', runId: a, reason: 'boom' })]);
    expect(mine.done).toBe(true);
    expect(everyRun.poll()).toEqual([]);
    lease.release();
  });

  it('stops following a run that ends interrupted, or whose executor died, and says which', async () => {
    const { runs } = submitExperiment(store, spec);
    const [a, b] = runs.map((r) => r.id) as [string, string];
    const lease = ExecutorLease.acquire(store, 'test')!;
    store.runs.claim(a);
    store.runs.claim(b);
    store.runs.interrupt(a); // its executor stopped it (Ctrl-C)
    const follower = new RunFollower(store, { runIds: [a, b], lifecycle: true });
    follower.poll();
    expect(follower.done).toBe(false); // b still runs under a live executor
    lease.release(); // now nobody executes the queue: b reads as interrupted
    follower.poll();
    expect(follower.done).toBe(true);
    expect(follower.interrupted.sort()).toEqual([a, b].sort());
    expect(store.runs.get(b)!.status).toBe('running'); // the row is the next executor's to change
  });
});

// The fenced executor lease (services/executor-lease.ts), how readers tell a dead executor's
// runs (services/live-status.ts), per-attempt checkpoint files and the removal of orphan
// temporaries, on a real SQLite store in a temporary data dir.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { validateSpec, type ExperimentSpec } from '../../src/shared/spec';
import {
  EXECUTOR_KEY,
  ExecutorLease,
  currentExecutor,
  executorAlive,
  type Lease,
  type LeaseLost,
} from '../../src/main/services/executor-lease';
import { submitExperiment } from '../../src/main/services/experiments';
import { removeOrphanTemporaries } from '../../src/main/services/orphan-files';
import { queuedRunViews, withLiveStatus } from '../../src/main/services/runs';
import { Store } from '../../src/main/store';
import { attemptCheckpoints, checkpointPath } from '../../src/main/trainer/checkpoint';

/** The pid of a process that has exited: certainly not alive on this machine. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  return Number(r.stdout.toString());
}

describe('executor lease and live status on a real store', () => {
  let dataDir: string;
  let store: Store;
  let spec: ExperimentSpec;

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'annealab-lease-'));
    store = Store.open(dataDir);
    const v = validateSpec(
      { name: 'l', dataset: { id: 'mnist' }, models: ['mlp'], methods: [{ id: 'sgd' }], seeds: [1, 2] },
      { datasets: ['mnist'] },
    );
    if (!v.ok) throw new Error('fixture spec is invalid');
    spec = v.spec;
  });

  afterEach(() => {
    store.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const otherExecutor = (over: Partial<Lease>): Lease => ({
    pid: process.pid + 100_000, // no such process here; `host` decides whether that is checked
    host: 'another-machine',
    heartbeat: Date.now(),
    role: 'annealab queue resume',
    token: 7,
    ...over,
  });

  it('every acquisition takes a larger token, also after a release', () => {
    const a = ExecutorLease.acquire(store, 'a')!;
    expect(a.token).toBe(1);
    a.release();
    expect(store.settings.get<Lease>(EXECUTOR_KEY)).toMatchObject({ released: true, token: 1 });
    expect(executorAlive(store)).toBe(false);
    const b = ExecutorLease.acquire(store, 'b')!;
    expect(b.token).toBe(2);
    b.release();
  });

  it('refuses the lease while another live executor holds it, takes it once that one is stale', () => {
    store.settings.set(EXECUTOR_KEY, otherExecutor({}));
    expect(ExecutorLease.acquire(store, 'me')).toBeNull();
    expect(currentExecutor(store)?.token).toBe(7);
    store.settings.set(EXECUTOR_KEY, otherExecutor({ heartbeat: Date.now() - 60_000 }));
    const mine = ExecutorLease.acquire(store, 'me')!;
    expect(mine.token).toBe(8);
    mine.release();
  });

  it('a holder that lost the lease writes nothing more and is told who took it', () => {
    const { runs } = submitExperiment(store, spec);
    const lease = ExecutorLease.acquire(store, 'frozen host')!;
    const told: LeaseLost[] = [];
    lease.onLost((l) => told.push(l));
    expect(lease.fenced(() => store.runs.claim(runs[0]!.id))).toBe(true);
    // Another host took over while this one was frozen (its heartbeat expired meanwhile).
    store.settings.set(EXECUTOR_KEY, otherExecutor({ token: lease.token + 1, pid: 4242, host: 'gpu-2' }));
    expect(lease.fenced(() => store.runs.claim(runs[1]!.id))).toBe(false);
    expect(store.runs.get(runs[1]!.id)!.status).toBe('queued');
    expect(told).toHaveLength(1);
    expect(told[0]!.message).toBe('another executor (pid 4242 on gpu-2) took over the queue; stopping');
    // And every later write is refused without looking again; release leaves the other's lease.
    expect(lease.fenced(() => store.runs.markEnded(runs[0]!.id, 'failed', null, 'x'))).toBe(false);
    expect(store.runs.get(runs[0]!.id)!.status).toBe('running');
    lease.release();
    expect(store.settings.get<Lease>(EXECUTOR_KEY)).toMatchObject({ pid: 4242, token: lease.token + 1 });
    expect(told).toHaveLength(1);
  });

  it('a fenced write that throws writes nothing of its transaction', () => {
    const { runs } = submitExperiment(store, spec);
    const lease = ExecutorLease.acquire(store, 'me')!;
    expect(() =>
      lease.fenced(() => {
        store.runs.claim(runs[0]!.id);
        throw new Error('disk full');
      }),
    ).toThrow('disk full');
    expect(store.runs.get(runs[0]!.id)!.status).toBe('queued');
    lease.release();
  });

  it('shows the runs of a dead executor as interrupted; a live one (or this process) keeps them running', () => {
    const { runs } = submitExperiment(store, spec);
    store.runs.claim(runs[0]!.id);
    const statusShown = () => queuedRunViews(store).map((r) => r.status);

    // No lease at all: nobody runs it.
    expect(statusShown()).toEqual(['interrupted', 'queued']);
    // A host on this machine whose process is gone, though its heartbeat is fresh (SIGKILL).
    store.settings.set(EXECUTOR_KEY, otherExecutor({ host: hostname(), pid: deadPid() }));
    expect(statusShown()).toEqual(['interrupted', 'queued']);
    // A heartbeat long expired (another machine's host died, or hangs).
    store.settings.set(EXECUTOR_KEY, otherExecutor({ heartbeat: Date.now() - 60_000 }));
    expect(statusShown()).toEqual(['interrupted', 'queued']);
    // Alive: another machine's host with a fresh heartbeat, then this very process.
    store.settings.set(EXECUTOR_KEY, otherExecutor({}));
    expect(statusShown()).toEqual(['running', 'queued']);
    store.settings.set(EXECUTOR_KEY, otherExecutor({ host: hostname(), pid: process.pid, heartbeat: 0 }));
    expect(statusShown()).toEqual(['running', 'queued']);
    // The row itself is left to the next executor; shown interrupted, progress is stale too.
    store.settings.delete(EXECUTOR_KEY);
    store.runs.setProgress(runs[0]!.id, {
      epoch: 1,
      step: 1,
      steps: 2,
      epochs: 1,
      stepsPerSecond: 1,
      at: 't',
    });
    const [shown] = withLiveStatus(store, [store.runs.get(runs[0]!.id)!]);
    expect(shown).toMatchObject({ status: 'interrupted', progress: null });
    expect(store.runs.get(runs[0]!.id)!.status).toBe('running');
  });

  it('finds a run by a prefix with LIKE wildcards taken literally', () => {
    const { runs } = submitExperiment(store, spec);
    const id = runs[0]!.id;
    expect(store.runs.find(id.slice(0, 6)).id).toBe(id);
    expect(() => store.runs.find('%')).toThrow(/no run "%"/);
    expect(() => store.runs.find(`${id.slice(0, 3)}_`)).toThrow(/no run/);
    expect(() => store.runs.find(`${id.slice(0, 8)}%`)).toThrow(/no run/);
  });

  it('lists per-attempt checkpoints newest first, the legacy file as attempt 0', () => {
    const runId = 'r1';
    for (const attempt of [0, 2, 10, 1]) {
      const path = checkpointPath(dataDir, runId, attempt);
      mkdirSync(join(path, '..'), { recursive: true });
      writeFileSync(path, 'x');
    }
    writeFileSync(join(dataDir, 'checkpoints', runId, 'attempt-3.ckpt.123.tmp'), 'x');
    expect(attemptCheckpoints(dataDir, runId).map((c) => c.attempt)).toEqual([10, 2, 1, 0]);
    expect(checkpointPath(dataDir, runId, 0)).toMatch(/last\.ckpt$/);
    expect(attemptCheckpoints(dataDir, 'none')).toEqual([]);
  });

  it('removes the temporaries of writes a kill cut short, not those of a live writer or a running run', () => {
    const { runs } = submitExperiment(store, spec);
    const [a, b] = runs.map((r) => r.id) as [string, string];
    store.runs.claim(b);
    const dirA = join(dataDir, 'checkpoints', a);
    const dirB = join(dataDir, 'checkpoints', b);
    mkdirSync(dirA, { recursive: true });
    mkdirSync(dirB, { recursive: true });
    const dead = join(dirA, `attempt-1.ckpt.${deadPid()}.tmp`);
    const live = join(dirA, `attempt-2.ckpt.${process.pid}.tmp`);
    const running = join(dirB, `attempt-1.ckpt.${deadPid()}.tmp`);
    const kept = join(dirA, 'attempt-1.ckpt');
    for (const p of [dead, live, running, kept]) writeFileSync(p, 'x');
    expect(removeOrphanTemporaries(store, dataDir)).toEqual([dead]);
    expect([dead, live, running, kept].map((p) => existsSync(p))).toEqual([false, true, true, true]);
  });
});

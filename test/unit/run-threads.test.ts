// How a run's threads are decided: by the host as it starts the run (flag over spec, "auto" from
// the cores and the runs at once), by a Slurm job's trainer for "auto" (its allocation), and
// applied only on wasm, with the record saying why.
import { describe, expect, it } from 'vitest';
import { threadsForRun } from '../../src/main/services/run-threads';
import { startCommandSchema } from '../../src/main/trainer/protocol';
import { applyRunThreads, resolveThreads } from '../../src/main/trainer/run-threads';
import { runEnvironmentSchema } from '../../src/shared/records';

describe('the host’s threads for a run', () => {
  const local = { executor: 'local' as const, cores: 16 };

  it('shares the cores out among the runs at once when the spec says auto', () => {
    expect(threadsForRun({ ...local, spec: 'auto', runsAtOnce: 8 })).toEqual({
      count: 2,
      reason: 'auto: 16 cores ÷ 8 runs at once',
    });
    expect(threadsForRun({ ...local, spec: 'auto', runsAtOnce: 1 })).toEqual({
      count: 16,
      reason: 'auto: 16 cores ÷ 1 run at once',
    });
    expect(threadsForRun({ ...local, cores: 2, spec: 'auto', runsAtOnce: 3 }).count).toBe(1);
  });

  it('treats a spec stored before the setting as auto', () => {
    expect(threadsForRun({ ...local, spec: undefined, runsAtOnce: 4 }).count).toBe(4);
  });

  it('takes the spec’s number as it is, whatever the runs at once', () => {
    expect(threadsForRun({ ...local, spec: 3, runsAtOnce: 16 })).toEqual({
      count: 3,
      reason: "the spec's threads",
    });
  });

  it('puts --threads over the spec, "auto" included', () => {
    expect(threadsForRun({ ...local, spec: 3, flag: 5, runsAtOnce: 1 })).toEqual({
      count: 5,
      reason: '--threads',
    });
    expect(threadsForRun({ ...local, spec: 3, flag: 'auto', runsAtOnce: 4 })).toEqual({
      count: 4,
      reason: 'auto: 16 cores ÷ 4 runs at once',
    });
  });

  it('leaves auto to a Slurm job’s trainer, which knows its allocation; a number goes as it is', () => {
    const slurm = { executor: 'slurm' as const, runsAtOnce: Number.POSITIVE_INFINITY };
    expect(threadsForRun({ ...slurm, spec: 'auto' })).toEqual({
      count: 'auto',
      reason: 'auto',
    });
    expect(threadsForRun({ ...slurm, spec: 'auto', flag: 2 }).count).toBe(2);
  });

  it('gives what the start command’s schema accepts', () => {
    const threads = threadsForRun({ ...local, spec: 'auto', runsAtOnce: 8 });
    const shape = startCommandSchema.shape.threads;
    expect(shape.parse(threads)).toEqual(threads);
    expect(shape.safeParse({ count: 0, reason: 'x' }).success).toBe(false);
  });
});

describe('the trainer’s threads', () => {
  /** Stands for setKernelThreads (which needs the wasm backend): what it was asked to set. */
  const recorder = () => {
    const set: number[] = [];
    return { set, fn: (n: number) => Promise.resolve(void set.push(n)) };
  };

  it('takes the host’s number, and one thread from a host that sent none', () => {
    expect(resolveThreads({ count: 3, reason: '--threads' }, {})).toEqual({
      count: 3,
      reason: '--threads',
    });
    expect(resolveThreads(undefined, {})).toEqual({ count: 1, reason: 'the host did not say' });
  });

  it('resolves auto on a Slurm node to the job’s CPUs, else one', () => {
    const auto = { count: 'auto' as const, reason: 'auto' };
    expect(resolveThreads(auto, { SLURM_CPUS_PER_TASK: '8' })).toEqual({
      count: 8,
      reason: "auto: the Slurm job's 8 CPUs (SLURM_CPUS_PER_TASK)",
    });
    expect(resolveThreads(auto, {})).toEqual({
      count: 1,
      reason: 'auto: 1 (SLURM_CPUS_PER_TASK is not set)',
    });
    expect(resolveThreads(auto, { SLURM_CPUS_PER_TASK: '2(x3)' }).count).toBe(1);
    expect(resolveThreads(auto, { SLURM_CPUS_PER_TASK: '0' }).count).toBe(1);
    expect(resolveThreads(auto, { SLURM_CPUS_PER_TASK: '4096' })).toMatchObject({ count: 256 });
  });

  it('sets the kernels’ threads on wasm and records the count', async () => {
    const r = recorder();
    const t = await applyRunThreads({ count: 2, reason: '--threads' }, 'wasm', {}, r.fn);
    expect(t).toEqual({ count: 2, reason: '--threads' });
    expect(r.set).toEqual([2]);
  });

  it('goes on with one thread, saying why, when the threads cannot start', async () => {
    const refuse = async () => {
      throw new Error('the wasm heap is not shared');
    };
    const t = await applyRunThreads({ count: 2, reason: '--threads' }, 'wasm', {}, refuse);
    expect(t).toEqual({ count: 1, reason: '2 asked (--threads), 1 used: the wasm heap is not shared' });
  });

  it('ignores them on other backends, sets nothing, and says so', async () => {
    const r = recorder();
    const t = await applyRunThreads({ count: 4, reason: "the spec's threads" }, 'tensorflow', {}, r.fn);
    expect(t.count).toBeNull();
    expect(t.reason).toBe(
      "4 asked (the spec's threads), not used: threads split Annealab's SIMD kernels on the wasm backend only, and this run is on tensorflow",
    );
    expect(r.set).toEqual([]);
  });

  it('records what the environment schema accepts, as runs before the setting are still read', async () => {
    const env = {
      backend: 'wasm',
      backendReason: 'r',
      device: 'd',
      versions: { annealab: 'a', node: 'n', tfjs: 't', backend: 'b' },
      os: 'o',
      cpu: 'c',
    };
    const threads = await applyRunThreads({ count: 2, reason: 'x' }, 'wasm', {}, recorder().fn);
    expect(runEnvironmentSchema.parse({ ...env, threads }).threads).toEqual(threads);
    expect(runEnvironmentSchema.safeParse(env).success).toBe(true);
  });
});

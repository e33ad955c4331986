// The trainer's side of the `threads` setting: "auto" resolved where only the trainer can (a
// Slurm job's allocation), and the count applied to the SIMD kernels when the backend is wasm.
// What it returns is the run's environment record's `threads`.
import type { RunEnvironment } from '../../shared/records';
import { MAX_THREADS } from '../../shared/threads';
import { setKernelThreads } from './backend/kernel-threads';
import type { StartCommand } from './protocol';

export type RunThreads = NonNullable<RunEnvironment['threads']>;

/** The count for this process: the host's number, or for "auto" the Slurm job's CPUs (else 1). */
export function resolveThreads(
  asked: StartCommand['threads'],
  env: Record<string, string | undefined> = process.env,
): { count: number; reason: string } {
  // A host from before the setting sends none: the one thread runs always had.
  if (!asked) return { count: 1, reason: 'the host did not say' };
  if (asked.count !== 'auto') return { count: asked.count, reason: asked.reason };
  const raw = env.SLURM_CPUS_PER_TASK?.trim();
  if (!raw) return { count: 1, reason: `${asked.reason}: 1 (SLURM_CPUS_PER_TASK is not set)` };
  const cpus = /^\d+$/.test(raw) ? Number(raw) : 0;
  if (cpus < 1)
    return { count: 1, reason: `${asked.reason}: 1 (SLURM_CPUS_PER_TASK is "${raw}", not a CPU count)` };
  const count = Math.min(cpus, MAX_THREADS);
  const capped = count < cpus ? `, capped at ${MAX_THREADS}` : '';
  return {
    count,
    reason: `${asked.reason}: the Slurm job's ${cpus} CPUs (SLURM_CPUS_PER_TASK${capped})`,
  };
}

/**
 * Split the SIMD kernels across the run's threads on wasm. Other backends have no such kernels
 * (tfjs-node-gpu and the GPUs schedule their own threads; cpu is tfjs's JavaScript): the setting
 * is ignored there, and the record says so.
 */
export async function applyRunThreads(
  asked: StartCommand['threads'],
  backend: string,
  env: Record<string, string | undefined> = process.env,
  setThreads: (n: number) => Promise<void> = setKernelThreads,
): Promise<RunThreads> {
  const { count, reason } = resolveThreads(asked, env);
  if (backend !== 'wasm') {
    return {
      count: null,
      reason: `${count} asked (${reason}), not used: threads split Annealab's SIMD kernels on the wasm backend only, and this run is on ${backend}`,
    };
  }
  try {
    await setThreads(count);
  } catch (error) {
    // No threads is slower, never wrong: the run goes on on one, and its record says why.
    const why = error instanceof Error ? error.message : String(error);
    return { count: 1, reason: `${count} asked (${reason}), 1 used: ${why}` };
  }
  return { count, reason };
}

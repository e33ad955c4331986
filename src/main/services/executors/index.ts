// The queue's executor setting (stored, so that whichever process executes the queue uses it)
// and the executor each setting means. `annealab queue executor`, the `system.executor` routes
// and `annealab run --executor` all go through here.
import { ContractError } from '../../../shared/contract';
import {
  LOCAL_EXECUTOR,
  parseExecutorSetting,
  type ExecutorSetting,
  type ExecutorView,
} from '../../../shared/executor';
import type { Store } from '../../store';
import { localExecutor, type Executor } from './executor';
import { readJobRecord, type JobRecord } from './job-files';
import { slurmClientMissing } from './slurm-commands';
import { SlurmExecutor } from './slurm';

export type { Executor } from './executor';
export { SlurmExecutor } from './slurm';

export const QUEUE_EXECUTOR = 'queue.executor';

export function storedExecutor(store: Store): ExecutorSetting {
  const stored = parseExecutorSetting(store.settings.get<unknown>(QUEUE_EXECUTOR) ?? LOCAL_EXECUTOR);
  // A setting a newer version wrote, or a hand edit: run locally rather than not at all.
  return stored.ok ? stored.setting : LOCAL_EXECUTOR;
}

/**
 * Validate and store the queue's executor. Refused, changing nothing, when the input is not a
 * valid setting (every problem by path) or when Slurm is asked for where sbatch is missing.
 */
export function setExecutor(store: Store, input: unknown): ExecutorSetting {
  const parsed = parseExecutorSetting(input);
  if (!parsed.ok) {
    throw new ContractError(
      `not a valid executor: ${parsed.problems.map((p) => `${p.path || 'kind'}: ${p.message}`).join('; ')}`,
      'bad-input',
      parsed.problems,
    );
  }
  if (parsed.setting.kind === 'slurm') assertSlurmClient();
  store.settings.set(QUEUE_EXECUTOR, parsed.setting);
  return parsed.setting;
}

export function assertSlurmClient(): void {
  const missing = slurmClientMissing();
  if (missing) throw new ContractError(missing, 'unsupported');
}

export function makeExecutor(setting: ExecutorSetting, dataDir: string): Executor {
  return setting.kind === 'slurm' ? new SlurmExecutor(dataDir, setting.slurm) : localExecutor;
}

export function describeExecutorSetting(store: Store, dataDir: string): ExecutorView {
  const missing = slurmClientMissing();
  const jobs = store.runs
    .all()
    .filter((r) => r.status === 'running')
    .map((r) => readJobRecord(dataDir, r.id))
    .filter((j): j is JobRecord => j !== null);
  return { setting: storedExecutor(store), slurm: { available: !missing, reason: missing }, jobs };
}

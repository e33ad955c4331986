// A run as the exports and the UI read it back from the store: who it was and its epochs.
import type { MethodId } from './ids';
import type { MethodSpec } from './spec';
import type { EpochRecord, RunEnvironment, RunSummary } from './records';

export const RUN_STATUSES = ['queued', 'running', 'finished', 'failed', 'cancelled', 'interrupted'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

export interface RunResult {
  runId: string;
  experimentId: string;
  experimentName: string;
  /** Position of the method in the spec's `methods` list. */
  methodIndex: number;
  method: MethodId;
  /** Human label with the key parameters ("SGD (η = 0.1)"). */
  label: string;
  /** The method exactly as the spec resolved it (all defaults filled in). */
  methodSpec: MethodSpec;
  model: string;
  dataset: string;
  seed: number;
  batchSize: number;
  status: RunStatus;
  /** Why it failed, for failed runs. */
  error: string | null;
  environment: RunEnvironment | null;
  summary: RunSummary | null;
  epochs: EpochRecord[];
}

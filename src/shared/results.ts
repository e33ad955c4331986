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
  /**
   * What the experiment's spec fixed for this run besides its method, model and seed: the
   * comparison groups runs by it and never averages across differing values. The store always
   * fills it; absent only in results built by hand, which then compare as equal on it.
   */
  config?: RunConfig;
}

/** The settings of an experiment's spec that define each of its runs (see `RunResult.config`). */
export interface RunConfig {
  /** The dataset's subset: sizes (null = the whole split) and the seed of the class-stratified draw. */
  dataset: { id: string; trainSize: number | null; testSize: number | null; seed: number };
  epochs: number;
  batchSize: number;
  dropLast: boolean;
  estimateBatches: number;
  augment: boolean;
  init: string;
  /** As the spec asked, `auto` included; the backend that ran is in `RunResult.environment`. */
  backend: string;
}

/** A running run's last progress report. */
export interface RunProgress {
  epoch: number;
  step: number;
  steps: number;
  epochs: number;
  /** Minibatch steps per second over the last interval, for ETAs. */
  stepsPerSecond: number | null;
  at: string;
}

/** A run as the store keeps it: who it is, where it stands in the queue, how it ended. */
export interface RunRecord {
  id: string;
  experimentId: string;
  position: number;
  methodIndex: number;
  method: MethodId;
  label: string;
  model: string;
  seed: number;
  status: RunStatus;
  error: string | null;
  environment: RunEnvironment | null;
  summary: RunSummary | null;
  notes: string[];
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  queueOrder: number;
  attempts: number;
  /** The last epoch whose checkpoint is on disk and whose record is stored. */
  checkpointEpoch: number | null;
  cancelRequested: boolean;
  progress: RunProgress | null;
}

/** Seconds left for a running run, from its last progress report; null when unknown. */
export function runEta(run: Pick<RunRecord, 'progress'>): number | null {
  const p = run.progress;
  if (!p?.stepsPerSecond) return null;
  const left = (p.epochs - p.epoch) * p.steps + (p.steps - p.step);
  return left / p.stepsPerSecond;
}

// A run as the exports and the UI read it back from the store: who it was and its epochs.
import { z } from 'zod';
import { METHOD_IDS } from './ids';
import { methodSchema } from './spec';
import { epochRecordSchema, runEnvironmentSchema, runSummarySchema } from './records';

export const RUN_STATUSES = ['queued', 'running', 'finished', 'failed', 'cancelled', 'interrupted'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

export const runStatusSchema = z.enum(RUN_STATUSES);

export const runResultSchema = z.object({
  runId: z.string().min(1),
  experimentId: z.string().min(1),
  experimentName: z.string(),
  /** Position of the method in the spec's `methods` list. */
  methodIndex: z.number().int().min(0),
  method: z.enum(METHOD_IDS),
  /** Human label with the key parameters ("SGD (η = 0.1)"). */
  label: z.string(),
  /** The method exactly as the spec resolved it (all defaults filled in). */
  methodSpec: methodSchema,
  model: z.string(),
  dataset: z.string(),
  seed: z.number().int(),
  batchSize: z.number().int().min(1),
  status: runStatusSchema,
  /** Why it failed, for failed runs. */
  error: z.string().nullable(),
  environment: runEnvironmentSchema.nullable(),
  summary: runSummarySchema.nullable(),
  epochs: z.array(epochRecordSchema),
  /**
   * What the experiment's spec fixed for this run besides its method, model and seed: the
   * comparison groups runs by it and never averages across differing values. The store always
   * fills it; absent only in results built by hand, which then compare as equal on it.
   */
  config: z.lazy(() => runConfigSchema).optional(),
});
export type RunResult = z.infer<typeof runResultSchema>;

/** The settings of an experiment's spec that define each of its runs (see `RunResult.config`). */
export const runConfigSchema = z.object({
  /** The dataset's subset: sizes (null = the whole split) and the seed of the class-stratified draw. */
  dataset: z.object({
    id: z.string(),
    trainSize: z.number().int().nullable(),
    testSize: z.number().int().nullable(),
    seed: z.number().int(),
  }),
  epochs: z.number().int(),
  batchSize: z.number().int(),
  dropLast: z.boolean(),
  estimateBatches: z.number().int(),
  augment: z.boolean(),
  init: z.string(),
  /** As the spec asked, `auto` included; the backend that ran is in `RunResult.environment`. */
  backend: z.string(),
});
export type RunConfig = z.infer<typeof runConfigSchema>;

/** A running run's last progress report. */
export const runProgressSchema = z.object({
  epoch: z.number().int().min(0),
  step: z.number().int().min(0),
  steps: z.number().int().min(0),
  epochs: z.number().int().min(0),
  /** Minibatch steps per second over the last interval, for ETAs. */
  stepsPerSecond: z.number().nullable(),
  at: z.string(),
});
export type RunProgress = z.infer<typeof runProgressSchema>;

/** A run as the store keeps it: who it is, where it stands in the queue, how it ended. */
export const runRecordSchema = z.object({
  id: z.string().min(1),
  experimentId: z.string().min(1),
  position: z.number().int(),
  methodIndex: z.number().int().min(0),
  method: z.enum(METHOD_IDS),
  label: z.string(),
  model: z.string(),
  seed: z.number().int(),
  status: runStatusSchema,
  error: z.string().nullable(),
  environment: runEnvironmentSchema.nullable(),
  summary: runSummarySchema.nullable(),
  notes: z.array(z.string()),
  createdAt: z.string(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
  queueOrder: z.number(),
  attempts: z.number().int().min(0),
  /** The last epoch whose checkpoint is on disk and whose record is stored. */
  checkpointEpoch: z.number().int().nullable(),
  cancelRequested: z.boolean(),
  progress: runProgressSchema.nullable(),
});
export type RunRecord = z.infer<typeof runRecordSchema>;

/** Seconds left for a running run, from its last progress report; null when unknown. */
export function runEta(run: Pick<RunRecord, 'progress'>): number | null {
  const p = run.progress;
  if (!p?.stepsPerSecond) return null;
  const left = (p.epochs - p.epoch) * p.steps + (p.steps - p.step);
  return left / p.stepsPerSecond;
}

// Outputs of the routes that manage experiments and runs (show, rename, delete), as real zod
// schemas: what a host returns can be checked against them, and the types come from them.
import { z } from 'zod';
import { RUN_STATUSES } from '../results';

const runStatus = z.enum(RUN_STATUSES);

/** One run of an experiment as `experiments show` lists it. */
export const experimentRunLineSchema = z.object({
  id: z.string(),
  label: z.string(),
  model: z.string(),
  seed: z.number().int(),
  status: runStatus,
  /** Highest validation accuracy over the run's recorded epochs; null before its first epoch. */
  bestValAccuracy: z.number().nullable(),
  /** Training seconds of the last recorded epoch (the run's clock); null before its first epoch. */
  seconds: z.number().nullable(),
});

export const experimentDetailSchema = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  tags: z.array(z.string()),
  createdAt: z.string(),
  dataset: z.string(),
  models: z.array(z.string()),
  /** The methods' labels, in the spec's order. */
  methods: z.array(z.string()),
  seeds: z.array(z.number().int()),
  epochs: z.number().int(),
  counts: z.record(runStatus, z.number().int()),
  runs: z.array(experimentRunLineSchema),
  /** The stored, resolved spec. */
  spec: z.record(z.string(), z.unknown()),
});
export type ExperimentDetail = z.output<typeof experimentDetailSchema>;

export const experimentRenameSchema = z.object({
  id: z.string(),
  from: z.string(),
  to: z.string(),
});
export type ExperimentRename = z.output<typeof experimentRenameSchema>;

/** What a delete removed: rows, and the run folders (checkpoints, best weights) on disk. */
export const deletionSchema = z.object({
  experimentId: z.string(),
  name: z.string(),
  runIds: z.array(z.string()),
  /** Run folders removed from the data dir, relative to it. */
  files: z.array(z.string()),
  /** Runs that were queued or running and were cancelled first (`--cancel`). */
  cancelled: z.number().int(),
});
export type Deletion = z.output<typeof deletionSchema>;

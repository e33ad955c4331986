// What the routes return: plain data, the same over IPC and over HTTP. Each shape is a zod
// schema (the route table's outputs, checked by the registry; see define.ts) and its type is
// derived from it.
import { z } from 'zod';
import type { FigureKind } from '../charts';
import { datasetShapeSchema, datasetSummarySchema } from '../datasets';
import { runRecordSchema, runResultSchema, runStatusSchema, type RunProgress } from '../results';
import { specSchema } from '../spec';

export type RunProgressView = RunProgress;

/** A run as the queue and the run view show it (the store's row plus what the UI derives). */
export const runViewSchema = runRecordSchema.extend({
  experimentName: z.string(),
  /** Epochs recorded so far. */
  epochsDone: z.number().int().min(0),
  epochs: z.number().int().min(1),
  batchSize: z.number().int().min(1),
  /** Seconds left, from the last progress report; null when unknown. */
  etaSeconds: z.number().nullable(),
});
export type RunView = z.infer<typeof runViewSchema>;

export const experimentSummarySchema = z.object({
  id: z.string(),
  name: z.string(),
  createdAt: z.string(),
  spec: specSchema,
  runs: z.number().int().min(0),
  counts: z.record(runStatusSchema, z.number().int().min(0)),
  /** Recorded epochs over planned epochs, over all runs: 0…1. */
  progress: z.number().min(0).max(1),
  /** One word for the list: running, queued, finished, failed, cancelled, interrupted or mixed. */
  status: z.union([runStatusSchema, z.literal('mixed')]),
  /** The method whose finished runs reached the highest mean best validation accuracy. */
  best: z.object({ label: z.string(), accuracy: z.number(), runs: z.number().int().min(1) }).nullable(),
});
export type ExperimentSummary = z.infer<typeof experimentSummarySchema>;

export const executorStateSchema = z.object({
  /** This host executes the queue. */
  self: z.boolean(),
  /** Who does, when another process does (e.g. "annealab run"). */
  role: z.string().nullable(),
  pid: z.number().int().nullable(),
});
export type ExecutorState = z.infer<typeof executorStateSchema>;

export const queueSnapshotSchema = z.object({
  paused: z.boolean(),
  concurrency: z.object({ setting: z.number().int().min(1).nullable(), effective: z.number().int().min(1) }),
  executor: executorStateSchema,
  runs: z.array(runViewSchema),
});
export type QueueSnapshot = z.infer<typeof queueSnapshotSchema>;

export const runDetailSchema = z.object({
  run: runViewSchema,
  experiment: z.object({ id: z.string(), name: z.string(), spec: specSchema }),
  result: runResultSchema,
});
export type RunDetail = z.infer<typeof runDetailSchema>;

export const submitResultSchema = z.object({
  experimentId: z.string().min(1),
  runIds: z.array(z.string().min(1)),
});
export type SubmitResult = z.infer<typeof submitResultSchema>;

/** A problem with a spec, by its path in the file (`methods[2].lr`); spec.ts's SpecProblem. */
export const problemSchema = z.object({ path: z.string(), message: z.string() });

export const validationResultSchema = z.object({ ok: z.boolean(), problems: z.array(problemSchema) });
export type ValidationResult = z.infer<typeof validationResultSchema>;

export const datasetEntrySchema = z.object({
  id: z.string(),
  builtin: z.boolean(),
  /** Its cache file exists in the data dir (a built-in is converted on first use). */
  cached: z.boolean(),
  bytes: z.number().int().min(0).nullable(),
  /** An imported dataset whose metadata is recorded but whose file is gone. */
  missingFile: z.boolean().optional(),
});
export type DatasetEntry = z.infer<typeof datasetEntrySchema>;

/** An imported dataset's metadata as the store records it: where it came from, when. */
export const datasetRecordSchema = datasetSummarySchema.extend({
  sources: z.array(
    z.object({
      path: z.string(),
      bytes: z.number().int().min(0),
      sha256: z.string(),
      files: z.number().int().min(0).optional(),
    }),
  ),
  /** The dataset file, relative to the data dir. */
  file: z.string(),
  createdAt: z.string(),
});
export type DatasetRecord = z.infer<typeof datasetRecordSchema>;

const classCountsSchema = z.object({
  train: z.array(z.number().int().min(0)),
  test: z.array(z.number().int().min(0)),
});

/** A dataset's metadata and class counts (`annealab datasets show`), without images. */
export const datasetDescriptionSchema = datasetShapeSchema.extend({
  name: z.string(),
  builtin: z.boolean(),
  /** The metadata of an imported dataset; null for a built-in. */
  row: datasetRecordSchema.nullable(),
  /** Provenance as the dataset file records it. */
  source: z.string(),
  classCounts: classCountsSchema,
});
export type DatasetDescription = z.infer<typeof datasetDescriptionSchema>;

/** What deleting an imported dataset removed: its metadata row, its file, or both. */
export const datasetDeletionSchema = z.object({ name: z.string(), row: z.boolean(), file: z.boolean() });
export type DatasetDeletion = z.infer<typeof datasetDeletionSchema>;

/** An imported dataset as the import service recorded it. */
export const importedDatasetViewSchema = datasetSummarySchema.extend({ notes: z.array(z.string()) });
export type ImportedDatasetView = z.infer<typeof importedDatasetViewSchema>;

export const datasetSampleSchema = z.object({
  label: z.number().int().min(0),
  /** H×W×C bytes, base64. */
  pixels: z.string(),
});
export type DatasetSample = z.infer<typeof datasetSampleSchema>;

export const datasetPreviewSchema = datasetShapeSchema.extend({
  id: z.string(),
  classCounts: classCountsSchema,
  samples: z.array(datasetSampleSchema),
  source: z.string(),
  createdAt: z.string(),
});
export type DatasetPreview = z.infer<typeof datasetPreviewSchema>;

export const systemInfoSchema = z.object({
  host: z.enum(['web', 'electron']),
  version: z.string(),
  dataDir: z.string(),
  /** annealab.db with its WAL and shared-memory files. */
  databaseBytes: z.number().min(0),
  datasetsBytes: z.number().min(0),
  checkpointsBytes: z.number().min(0),
  backend: z.object({
    /** The backend a new run would most likely use, and why. */
    name: z.string(),
    reason: z.string(),
    device: z.string().nullable(),
    /** 'last-run': from the environment the latest run recorded; 'predicted': no run yet. */
    basis: z.enum(['last-run', 'predicted']),
    recordedAt: z.string().nullable(),
  }),
  tfjsNodeGpu: z.object({ installed: z.boolean(), detail: z.string() }),
  cuda: z.object({ found: z.array(z.string()), missing: z.array(z.string()), detail: z.string() }),
  devices: z.array(z.object({ kind: z.enum(['cpu', 'gpu']), name: z.string(), detail: z.string() })),
  versions: z.record(z.string(), z.string()),
  os: z.string(),
  defaultConcurrency: z.number().int().min(1),
});
export type SystemInfo = z.infer<typeof systemInfoSchema>;

export const exportFileSchema = z.object({
  filename: z.string().min(1),
  mime: z.string(),
  content: z.string(),
  encoding: z.enum(['utf8', 'base64']),
});
export type ExportFile = z.infer<typeof exportFileSchema>;

export type { FigureKind };

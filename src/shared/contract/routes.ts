// Every request the UI can make, declared once: the web host serves these over HTTP, the
// Electron main over one IPC channel, and the renderer's clients call them by name.
import { z } from 'zod';
import { runResultSchema } from '../results';
import {
  CHART_X_AXES,
  FIGURE_FORMATS,
  FIGURE_KINDS,
  LOSS_NORMS,
  SIGNIFICANCE_TESTS,
  SMOOTHING,
  TABLE_FORMATS,
  TABLE_STATS,
} from '../options';
import { route } from './define';
import { executorSettingSchema, executorViewSchema } from '../executor';
import {
  datasetDeletionSchema,
  datasetDescriptionSchema,
  datasetEntrySchema,
  datasetPreviewSchema,
  experimentSummarySchema,
  exportFileSchema,
  importedDatasetViewSchema,
  queueSnapshotSchema,
  runDetailSchema,
  submitResultSchema,
  systemInfoSchema,
  validationResultSchema,
} from './types';
import { deletionSchema, experimentDetailSchema, experimentRenameSchema } from './experiment-management';

const id = z.string().min(1).max(200);
const none = z.object({}).strict();
const ok = z.object({ ok: z.literal(true) });

/** Which runs a comparison or an export covers: whole experiments, or chosen runs of them. */
export const selectionSchema = z
  .object({
    experimentIds: z.array(id).max(200).default([]),
    runIds: z.array(id).max(5000).optional(),
  })
  .strict();

export const tableOptionsSchema = z
  .object({
    stat: z.enum(TABLE_STATS).default('best'),
    norm: z.enum(LOSS_NORMS).default('mean'),
    baseline: z.string().max(500).optional(),
    test: z.enum(SIGNIFICANCE_TESTS).default('welch'),
    timeToTarget: z.number().gt(0).max(1).optional(),
  })
  .strict();

export const figureOptionsSchema = z
  .object({
    x: z.enum(CHART_X_AXES).default('epoch'),
    bands: z.boolean().default(true),
    norm: z.enum(LOSS_NORMS).default('mean'),
    logY: z.boolean().optional(),
    /** Exponential smoothing weight in [0, 1) applied to the curves, as in the UI. */
    smoothing: z.number().min(SMOOTHING.min).lt(SMOOTHING.below).default(SMOOTHING.default),
    width: z.number().int().min(300).max(4000).default(900),
    height: z.number().int().min(200).max(4000).default(560),
  })
  .strict();

export const routes = {
  'app.info': route({
    summary: 'which host serves the UI, its version and data dir',
    input: none,
    output: z.object({ host: z.enum(['web', 'electron']), version: z.string(), dataDir: z.string() }),
  }),

  'experiments.list': route({
    summary: 'every experiment, newest first, with run counts by status and progress',
    input: none,
    output: z.array(experimentSummarySchema),
  }),
  'experiments.validate': route({
    summary: 'validate a spec against the schema and the datasets this host has',
    input: z.object({ spec: z.unknown() }).strict(),
    output: validationResultSchema,
  }),
  'experiments.submit': route({
    summary: 'validate a spec and queue its grid of runs (refused with every problem by path)',
    input: z.object({ spec: z.unknown() }).strict(),
    output: submitResultSchema,
  }),
  'experiments.get': route({
    summary: 'one experiment by name, id or unique id prefix: its description, tags and runs',
    input: z.object({ key: id }).strict(),
    output: experimentDetailSchema,
  }),
  'experiments.rename': route({
    summary: 'give an experiment (name, id or unique id prefix) a new name',
    input: z.object({ key: id, name: z.string().min(1).max(200) }).strict(),
    output: experimentRenameSchema,
  }),
  'experiments.delete': route({
    summary:
      'delete an experiment with its runs, epochs and run files; refused while a run is running unless cancel',
    input: z.object({ key: id, cancel: z.boolean().default(false) }).strict(),
    output: deletionSchema,
  }),
  'runs.delete': route({
    summary: 'delete a run with its epochs and files; refused while it is running unless cancel',
    input: z.object({ runId: id, cancel: z.boolean().default(false) }).strict(),
    output: deletionSchema,
  }),

  'runs.get': route({
    summary: 'one run: its row, its experiment and all its epoch records',
    input: z.object({ runId: id }).strict(),
    output: runDetailSchema,
  }),
  'runs.exportWeights': route({
    summary:
      'a run’s best weights (or its last checkpoint’s) with batch-norm buffers, as a download (docs/weights-format.md)',
    input: z.object({ runId: id, last: z.boolean().default(false) }).strict(),
    output: exportFileSchema,
  }),
  'results.get': route({
    summary: 'runs with their epoch records, for charts and the comparison table',
    input: selectionSchema,
    output: z.array(runResultSchema),
  }),

  'queue.list': route({
    summary: 'every run in queue order with progress and ETA, whether paused, concurrency, executor',
    input: none,
    output: queueSnapshotSchema,
  }),
  'queue.pause': route({ summary: 'start no new runs', input: none, output: ok }),
  'queue.resume': route({
    summary: 'un-pause and continue interrupted runs from their checkpoints',
    input: none,
    output: ok,
  }),
  'queue.setConcurrency': route({
    summary: 'runs in parallel: a number, or null for the default by backend',
    input: z.object({ value: z.number().int().min(1).max(256).nullable() }).strict(),
    output: ok,
  }),
  'queue.cancel': route({
    summary: 'cancel a queued run, or ask a running one to stop within a minibatch',
    input: z.object({ runId: id }).strict(),
    output: z.object({ outcome: z.enum(['cancelled', 'requested']) }),
  }),
  'queue.retry': route({
    summary: 'queue a failed, cancelled or interrupted run again, from scratch or from its checkpoint',
    input: z.object({ runId: id, resume: z.boolean().default(false) }).strict(),
    output: ok,
  }),
  'queue.move': route({
    summary: 'move a queued run to a place among the queued runs (0 = next)',
    input: z.object({ runId: id, index: z.number().int().min(0) }).strict(),
    output: ok,
  }),

  'export.table': route({
    summary: 'the comparison table as CSV, LaTeX, Markdown or text',
    input: selectionSchema
      .extend({
        format: z.enum(TABLE_FORMATS),
        options: tableOptionsSchema.default({ stat: 'best', norm: 'mean', test: 'welch' }),
        perSeed: z.boolean().default(false),
      })
      .strict(),
    output: exportFileSchema,
  }),
  'export.figure': route({
    summary: 'a figure as SVG or PNG, from the same option builders as the live charts',
    input: selectionSchema
      .extend({
        kind: z.enum(FIGURE_KINDS),
        format: z.enum(FIGURE_FORMATS),
        options: figureOptionsSchema.default({
          x: 'epoch',
          bands: true,
          norm: 'mean',
          smoothing: 0,
          width: 900,
          height: 560,
        }),
      })
      .strict(),
    output: exportFileSchema,
  }),

  'datasets.list': route({
    summary: 'built-in and imported datasets',
    input: none,
    output: z.array(datasetEntrySchema),
  }),
  'datasets.preview': route({
    summary: 'a dataset’s shape, class counts and a grid of samples (converts a built-in on first use)',
    input: z.object({ id, samples: z.number().int().min(1).max(400).default(80) }).strict(),
    output: datasetPreviewSchema,
  }),
  'datasets.describe': route({
    summary: 'a dataset’s metadata, provenance and class counts, without images (annealab datasets show)',
    input: z.object({ name: id }).strict(),
    output: datasetDescriptionSchema,
  }),
  'datasets.delete': route({
    summary: 'delete an imported dataset: its file and its metadata (built-ins are refused)',
    input: z.object({ name: id }).strict(),
    output: datasetDeletionSchema,
  }),

  'datasets.import': route({
    summary:
      'import files or folders on the host machine (IDX, CIFAR, image folders, CSV; .gz and .tar) as a named dataset',
    input: z
      .object({
        paths: z
          .array(z.string().min(1).max(4096))
          .min(1, { error: 'name at least one file or folder' })
          .max(1000),
        name: z.string().min(1, { error: 'must not be empty' }).max(100),
        testFraction: z.number().gt(0).lt(1).optional(),
        resize: z
          .object({ height: z.number().int().min(1).max(4096), width: z.number().int().min(1).max(4096) })
          .strict()
          .optional(),
      })
      .strict(),
    output: importedDatasetViewSchema,
  }),

  'system.info': route({
    summary: 'backend in use and why, devices, data directory, database size, versions',
    input: none,
    output: systemInfoSchema,
  }),

  'system.executor': route({
    summary:
      "how the queue's runs get a process (local or slurm, with Slurm's options), whether this host can submit Slurm jobs, and the Slurm jobs of running runs",
    input: none,
    output: executorViewSchema,
  }),
  'system.setExecutor': route({
    summary:
      "set the queue's executor: { kind: 'local' } or { kind: 'slurm', slurm: { partition, gres, time, account, sbatchArgs } }",
    input: executorSettingSchema,
    output: executorViewSchema,
  }),

  'host.openFile': route({
    summary: 'native open dialog; the file’s text, or null when cancelled',
    input: z.object({ title: z.string().max(200), extensions: z.array(z.string().max(20)).max(20) }).strict(),
    output: z.object({ name: z.string(), content: z.string() }).nullable(),
    hosts: ['electron'],
  }),
  'host.choosePaths': route({
    summary: 'native open dialog for files or folders to import; their paths, empty when cancelled',
    input: z.object({ title: z.string().max(200), folders: z.boolean().default(false) }).strict(),
    output: z.array(z.string()),
    hosts: ['electron'],
  }),
  'host.saveFile': route({
    summary: 'native save dialog; the path written, or null when cancelled',
    input: z
      .object({
        filename: z.string().min(1).max(300),
        content: z.string(),
        encoding: z.enum(['utf8', 'base64']),
      })
      .strict(),
    output: z.object({ path: z.string() }).nullable(),
    hosts: ['electron'],
  }),
};

export type Routes = typeof routes;
export type RouteName = keyof Routes;
export const ROUTE_NAMES = Object.keys(routes) as RouteName[];

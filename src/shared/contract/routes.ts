// Every request the UI can make, declared once: the web host serves these over HTTP, the
// Electron main over one IPC channel, and the renderer's clients call them by name.
import { z } from 'zod';
import type { RunResult } from '../results';
import { FIGURE_KINDS } from '../charts';
import { route, typed } from './define';
import { executorSettingSchema, type ExecutorView } from '../executor';
import type {
  DatasetDeletion,
  DatasetDescription,
  DatasetEntry,
  DatasetPreview,
  ExperimentSummary,
  ImportedDatasetView,
  ExportFile,
  QueueSnapshot,
  RunDetail,
  SubmitResult,
  SystemInfo,
  ValidationResult,
} from './types';

const id = z.string().min(1).max(200);
const none = z.object({}).strict();
const ok = typed<{ ok: true }>();

/** Which runs a comparison or an export covers: whole experiments, or chosen runs of them. */
export const selectionSchema = z
  .object({
    experimentIds: z.array(id).max(200).default([]),
    runIds: z.array(id).max(5000).optional(),
  })
  .strict();

export const tableOptionsSchema = z
  .object({
    stat: z.enum(['best', 'final']).default('best'),
    norm: z.enum(['mean', 'thesis']).default('mean'),
    baseline: z.string().max(500).optional(),
    test: z.enum(['welch', 'paired', 'mannwhitney']).default('welch'),
    timeToTarget: z.number().gt(0).max(1).optional(),
  })
  .strict();

export const figureOptionsSchema = z
  .object({
    x: z.enum(['epoch', 'seconds', 'forward']).default('epoch'),
    bands: z.boolean().default(true),
    norm: z.enum(['mean', 'thesis']).default('mean'),
    logY: z.boolean().optional(),
    /** Exponential smoothing weight in [0, 1) applied to the curves, as in the UI. */
    smoothing: z.number().min(0).lt(1).default(0),
    width: z.number().int().min(300).max(4000).default(900),
    height: z.number().int().min(200).max(4000).default(560),
  })
  .strict();

export const routes = {
  'app.info': route({
    summary: 'which host serves the UI, its version and data dir',
    input: none,
    output: typed<{ host: 'web' | 'electron'; version: string; dataDir: string }>(),
  }),

  'experiments.list': route({
    summary: 'every experiment, newest first, with run counts by status and progress',
    input: none,
    output: typed<ExperimentSummary[]>(),
  }),
  'experiments.validate': route({
    summary: 'validate a spec against the schema and the datasets this host has',
    input: z.object({ spec: z.unknown() }).strict(),
    output: typed<ValidationResult>(),
  }),
  'experiments.submit': route({
    summary: 'validate a spec and queue its grid of runs (refused with every problem by path)',
    input: z.object({ spec: z.unknown() }).strict(),
    output: typed<SubmitResult>(),
  }),

  'runs.get': route({
    summary: 'one run: its row, its experiment and all its epoch records',
    input: z.object({ runId: id }).strict(),
    output: typed<RunDetail>(),
  }),
  'results.get': route({
    summary: 'runs with their epoch records, for charts and the comparison table',
    input: selectionSchema,
    output: typed<RunResult[]>(),
  }),

  'queue.list': route({
    summary: 'every run in queue order with progress and ETA, whether paused, concurrency, executor',
    input: none,
    output: typed<QueueSnapshot>(),
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
    output: typed<{ outcome: 'cancelled' | 'requested' }>(),
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
        format: z.enum(['csv', 'latex', 'markdown', 'text']),
        options: tableOptionsSchema.default({ stat: 'best', norm: 'mean', test: 'welch' }),
        perSeed: z.boolean().default(false),
      })
      .strict(),
    output: typed<ExportFile>(),
  }),
  'export.figure': route({
    summary: 'a figure as SVG or PNG, from the same option builders as the live charts',
    input: selectionSchema
      .extend({
        kind: z.enum(FIGURE_KINDS),
        format: z.enum(['svg', 'png']),
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
    output: typed<ExportFile>(),
  }),

  'datasets.list': route({
    summary: 'built-in and imported datasets',
    input: none,
    output: typed<DatasetEntry[]>(),
  }),
  'datasets.preview': route({
    summary: 'a dataset’s shape, class counts and a grid of samples (converts a built-in on first use)',
    input: z.object({ id, samples: z.number().int().min(1).max(400).default(80) }).strict(),
    output: typed<DatasetPreview>(),
  }),
  'datasets.describe': route({
    summary: 'a dataset’s metadata, provenance and class counts, without images (annealab datasets show)',
    input: z.object({ name: id }).strict(),
    output: typed<DatasetDescription>(),
  }),
  'datasets.delete': route({
    summary: 'delete an imported dataset: its file and its metadata (built-ins are refused)',
    input: z.object({ name: id }).strict(),
    output: typed<DatasetDeletion>(),
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
    output: typed<ImportedDatasetView>(),
  }),

  'system.info': route({
    summary: 'backend in use and why, devices, data directory, database size, versions',
    input: none,
    output: typed<SystemInfo>(),
  }),

  'system.executor': route({
    summary:
      "how the queue's runs get a process (local or slurm, with Slurm's options), whether this host can submit Slurm jobs, and the Slurm jobs of running runs",
    input: none,
    output: typed<ExecutorView>(),
  }),
  'system.setExecutor': route({
    summary:
      "set the queue's executor: { kind: 'local' } or { kind: 'slurm', slurm: { partition, gres, time, account, sbatchArgs } }",
    input: executorSettingSchema,
    output: typed<ExecutorView>(),
  }),

  'host.openFile': route({
    summary: 'native open dialog; the file’s text, or null when cancelled',
    input: z.object({ title: z.string().max(200), extensions: z.array(z.string().max(20)).max(20) }).strict(),
    output: typed<{ name: string; content: string } | null>(),
    hosts: ['electron'],
  }),
  'host.choosePaths': route({
    summary: 'native open dialog for files or folders to import; their paths, empty when cancelled',
    input: z.object({ title: z.string().max(200), folders: z.boolean().default(false) }).strict(),
    output: typed<string[]>(),
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
    output: typed<{ path: string } | null>(),
    hosts: ['electron'],
  }),
};

export type Routes = typeof routes;
export type RouteName = keyof Routes;
export const ROUTE_NAMES = Object.keys(routes) as RouteName[];

// What the routes return: plain data, the same over IPC and over HTTP.
import type { FigureKind } from '../charts';
import type { DatasetShape, DatasetSummary } from '../datasets';
import type { RunProgress, RunRecord, RunResult, RunStatus } from '../results';
import type { ExperimentSpec, SpecProblem } from '../spec';

export type RunProgressView = RunProgress;

/** A run as the queue and the run view show it (the store's row plus what the UI derives). */
export interface RunView extends RunRecord {
  experimentName: string;
  /** Epochs recorded so far. */
  epochsDone: number;
  epochs: number;
  batchSize: number;
  /** Seconds left, from the last progress report; null when unknown. */
  etaSeconds: number | null;
}

export interface ExperimentSummary {
  id: string;
  name: string;
  createdAt: string;
  spec: ExperimentSpec;
  runs: number;
  counts: Record<RunStatus, number>;
  /** Recorded epochs over planned epochs, over all runs: 0…1. */
  progress: number;
  /** One word for the list: running, queued, finished, failed, cancelled, interrupted or mixed. */
  status: RunStatus | 'mixed';
  /** The method whose finished runs reached the highest mean best validation accuracy. */
  best: { label: string; accuracy: number; runs: number } | null;
}

export interface ExecutorState {
  /** This host executes the queue. */
  self: boolean;
  /** Who does, when another process does (e.g. "annealab run"). */
  role: string | null;
  pid: number | null;
}

export interface QueueSnapshot {
  paused: boolean;
  concurrency: { setting: number | null; effective: number };
  executor: ExecutorState;
  runs: RunView[];
}

export interface RunDetail {
  run: RunView;
  experiment: { id: string; name: string; spec: ExperimentSpec };
  result: RunResult;
}

export interface SubmitResult {
  experimentId: string;
  runIds: string[];
}

export interface ValidationResult {
  ok: boolean;
  problems: SpecProblem[];
}

export interface DatasetEntry {
  id: string;
  builtin: boolean;
  /** Its cache file exists in the data dir (a built-in is converted on first use). */
  cached: boolean;
  bytes: number | null;
  /** An imported dataset whose metadata is recorded but whose file is gone. */
  missingFile?: boolean;
}

/** An imported dataset's metadata as the store records it: where it came from, when. */
export interface DatasetRecord extends DatasetSummary {
  sources: { path: string; bytes: number; sha256: string; files?: number }[];
  /** The dataset file, relative to the data dir. */
  file: string;
  createdAt: string;
}

/** A dataset's metadata and class counts (`annealab datasets show`), without images. */
export interface DatasetDescription extends DatasetShape {
  name: string;
  builtin: boolean;
  /** The metadata of an imported dataset; null for a built-in. */
  row: DatasetRecord | null;
  /** Provenance as the dataset file records it. */
  source: string;
  classCounts: { train: number[]; test: number[] };
}

/** What deleting an imported dataset removed: its metadata row, its file, or both. */
export interface DatasetDeletion {
  name: string;
  row: boolean;
  file: boolean;
}

/** An imported dataset as the import service recorded it. */
export interface ImportedDatasetView extends DatasetSummary {
  notes: string[];
}

export interface DatasetSample {
  label: number;
  /** H×W×C bytes, base64. */
  pixels: string;
}

export interface DatasetPreview extends DatasetShape {
  id: string;
  classCounts: { train: number[]; test: number[] };
  samples: DatasetSample[];
  source: string;
  createdAt: string;
}

export interface SystemInfo {
  host: 'web' | 'electron';
  version: string;
  dataDir: string;
  /** annealab.db with its WAL and shared-memory files. */
  databaseBytes: number;
  datasetsBytes: number;
  checkpointsBytes: number;
  backend: {
    /** The backend a new run would most likely use, and why. */
    name: string;
    reason: string;
    device: string | null;
    /** 'last-run': from the environment the latest run recorded; 'predicted': no run yet. */
    basis: 'last-run' | 'predicted';
    recordedAt: string | null;
  };
  tfjsNodeGpu: { installed: boolean; detail: string };
  cuda: { found: string[]; missing: string[]; detail: string };
  devices: { kind: 'cpu' | 'gpu'; name: string; detail: string }[];
  versions: Record<string, string>;
  os: string;
  defaultConcurrency: number;
}

export interface ExportFile {
  filename: string;
  mime: string;
  content: string;
  encoding: 'utf8' | 'base64';
}

export type { FigureKind };

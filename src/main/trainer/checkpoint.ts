// A run's state at the end of an epoch: enough to continue it so that the resumed run's
// numbers equal those of an uninterrupted one (same seed, same backend).
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { EpochRecord } from '../../shared/records';
import type { ComputeCounters, MethodState, SavedTensor } from './methods';
import { readTensorFile, readTensorFileMeta, writeTensorFile } from './tensor-file';

export interface LoopState {
  /** The last completed epoch. */
  epoch: number;
  /** Its record: a host that died before storing it recovers it from here. */
  record: EpochRecord;
  rng: Record<string, { gen: number[]; spareNormal: number | null }>;
  counters: ComputeCounters;
  /** Wall time of the run so far, in seconds. */
  seconds: number;
  best: { accuracy: number; loss: number; epoch: number } | null;
  minValLoss: number | null;
  minValLossThesis: number | null;
  method: MethodState['scalars'];
  /** Restart and SGDR runs: the epochs of the snapshots the `snapshots` tensors hold, in order. */
  snapshotEpochs?: number[];
}

export interface Checkpoint {
  state: LoopState;
  params: SavedTensor[];
  bestWeights: SavedTensor[];
  methodTensors: SavedTensor[];
  /** A snapshot ensemble's members: each one's parameters then batch-norm buffers. */
  snapshots?: SavedTensor[];
}

/** The folder of one run's checkpoints and best weights. */
export const runCheckpointDir = (dataDir: string, runId: string) => join(dataDir, 'checkpoints', runId);

/**
 * The checkpoint of one attempt of a run (attempt = the run's attempts count when it started).
 * Each attempt writes its own file, so a trainer of an older attempt (one whose host lost the
 * queue while frozen) can never overwrite or delete a newer attempt's. Attempt 0, or none, is
 * the single `last.ckpt` of stores written before checkpoints were per attempt.
 */
export const checkpointPath = (dataDir: string, runId: string, attempt = 0) =>
  join(runCheckpointDir(dataDir, runId), attempt > 0 ? `attempt-${attempt}.ckpt` : 'last.ckpt');

/** Best weights, per attempt like the checkpoints (the run's summary names the file). */
export const bestWeightsRelativePath = (runId: string, attempt = 0) =>
  join('checkpoints', runId, attempt > 0 ? `best-${attempt}.weights` : 'best.weights');

const ATTEMPT_FILE = /^attempt-(\d+)\.ckpt$/;

/** A run's checkpoint files, newest attempt first (the legacy `last.ckpt` counts as attempt 0). */
export function attemptCheckpoints(dataDir: string, runId: string): { attempt: number; path: string }[] {
  let names: string[];
  try {
    names = readdirSync(runCheckpointDir(dataDir, runId));
  } catch {
    return [];
  }
  const found = names.flatMap((name) => {
    if (name === 'last.ckpt') return [{ attempt: 0, path: checkpointPath(dataDir, runId) }];
    const m = ATTEMPT_FILE.exec(name);
    return m ? [{ attempt: Number(m[1]), path: checkpointPath(dataDir, runId, Number(m[1])) }] : [];
  });
  return found.sort((a, b) => b.attempt - a.attempt);
}

/** The newest attempt's checkpoint of a run, or null when it has none (what `--last` reads). */
export function latestCheckpointPath(dataDir: string, runId: string): string | null {
  return attemptCheckpoints(dataDir, runId)[0]?.path ?? null;
}

export function writeCheckpoint(path: string, c: Checkpoint): void {
  writeTensorFile(path, c.state, {
    params: c.params,
    best: c.bestWeights,
    method: c.methodTensors,
    ...(c.snapshots?.length ? { snapshots: c.snapshots } : {}),
  });
}

export function readCheckpoint(path: string): Checkpoint {
  const { meta, groups } = readTensorFile<LoopState>(path);
  return {
    state: meta,
    params: groups.params ?? [],
    bestWeights: groups.best ?? [],
    methodTensors: groups.method ?? [],
    ...(groups.snapshots ? { snapshots: groups.snapshots } : {}),
  };
}

/** The loop state alone (epoch, record), cheap enough for the host to read before a resume. */
export function readCheckpointState(path: string): LoopState {
  return readTensorFileMeta<LoopState>(path);
}

// A run's state at the end of an epoch: enough to continue it so that the resumed run's
// numbers equal those of an uninterrupted one (same seed, same backend).
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

export const checkpointPath = (dataDir: string, runId: string) =>
  join(dataDir, 'checkpoints', runId, 'last.ckpt');
export const bestWeightsRelativePath = (runId: string) => join('checkpoints', runId, 'best.weights');

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

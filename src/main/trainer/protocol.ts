// Typed messages between a host and a trainer process: commands in, events out.
import type { ModelId } from '../../shared/ids';
import type { EpochRecord, RunEnvironment, RunSummary } from '../../shared/records';
import type { ExperimentSpec } from '../../shared/spec';

export interface StartCommand {
  type: 'start';
  experimentId: string;
  runId: string;
  spec: ExperimentSpec;
  methodIndex: number;
  model: ModelId;
  seed: number;
  dataDir: string;
  /** The backend request after flag > env > spec precedence. */
  backend: { request: ExperimentSpec['backend']; source: 'flag' | 'env' | 'spec' | 'default' };
  /** Continue from the run's checkpoint in the data dir (the host knows one was recorded). */
  resume: boolean;
  /**
   * Which attempt of the run this is: its checkpoint and best weights go to files of their own
   * (checkpoint.ts), so that an older attempt still running somewhere never touches them.
   * Absent: the single legacy files.
   */
  attempt?: number;
  /** With `resume`: the attempt whose checkpoint to continue from (absent: the legacy file). */
  resumeAttempt?: number;
  /**
   * After each epoch, wait for the host's `epoch-stored` before training on. A host frozen past
   * its lease (Ctrl-Z of the host alone, a stalled VM) then holds its trainers at the epoch it
   * last heard of, whose record is in the checkpoint: the executor that takes over continues
   * from there, and no epoch trained meanwhile is known only to the frozen host.
   */
  acknowledgeEpochs?: boolean;
}

export type TrainerCommand = StartCommand | { type: 'cancel' } | { type: 'epoch-stored'; epoch: number };

export type TrainerEvent =
  | { type: 'started'; environment: RunEnvironment; trainCount: number; testCount: number; notes: string[] }
  | { type: 'log'; message: string }
  | { type: 'progress'; epoch: number; step: number; steps: number }
  /** Sent after the epoch's checkpoint is on disk. */
  | { type: 'epoch'; record: EpochRecord }
  | { type: 'resumed'; fromEpoch: number }
  | { type: 'finished'; summary: RunSummary }
  | { type: 'cancelled'; summary: RunSummary }
  /** `disk`: the disk is full, read-only or forbidden (the reason names the file): not the run's fault. */
  | { type: 'failed'; reason: string; disk?: boolean };

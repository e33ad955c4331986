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
}

export type TrainerCommand = StartCommand | { type: 'cancel' };

export type TrainerEvent =
  | { type: 'started'; environment: RunEnvironment; trainCount: number; testCount: number; notes: string[] }
  | { type: 'log'; message: string }
  | { type: 'progress'; epoch: number; step: number; steps: number }
  /** Sent after the epoch's checkpoint is on disk. */
  | { type: 'epoch'; record: EpochRecord }
  | { type: 'resumed'; fromEpoch: number }
  | { type: 'finished'; summary: RunSummary }
  | { type: 'cancelled'; summary: RunSummary }
  | { type: 'failed'; reason: string };

/**
 * File mode (a trainer on a Slurm node, no IPC channel): the host writes the StartCommand to
 * `command` in the run's job folder and starts `trainer --file-mode FOLDER`; the trainer appends
 * its TrainerEvents to `events`, one JSON object per line, each line written whole and fsynced.
 * A cancel is SIGTERM (scancel), not a command.
 */
export const FILE_MODE = { flag: '--file-mode', command: 'command.json', events: 'events.jsonl' } as const;

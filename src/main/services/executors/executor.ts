// The seam between the queue and whatever gives a run its process (DESIGN.md "Executors"). The
// queue decides which run goes next and writes every event to SQLite; an executor only starts
// a trainer for a StartCommand and turns what happens to it into TrainerEvents.
import { rmSync } from 'node:fs';
import type { ExecutorSetting } from '../../../shared/executor';
import type { StartCommand, TrainerEvent } from '../../trainer/protocol';
import { startTrainer, type TrainerHandle } from '../trainer-process';
import { jobRecordPath } from './job-files';

export type { TrainerHandle } from '../trainer-process';

export interface Executor {
  readonly setting: ExecutorSetting;
  /**
   * How many runs this host keeps going at once, given the queue's concurrency: local processes
   * share this machine's cores; a cluster's scheduler decides for itself (Infinity: all at once).
   */
  limit(concurrency: number): number;
  start(command: StartCommand, onEvent: (event: TrainerEvent) => void): TrainerHandle;
}

/** Trainer processes on this machine (child_process.fork, or Electron's utilityProcess). */
export const localExecutor: Executor = {
  setting: { kind: 'local' },
  limit: (concurrency) => concurrency,
  start: (command, onEvent) => {
    // A run that once ran as a Slurm job and now runs here must not be re-attached to that job
    // after a crash of this host.
    rmSync(jobRecordPath(command.dataDir, command.runId), { force: true });
    return startTrainer(command, onEvent);
  },
};

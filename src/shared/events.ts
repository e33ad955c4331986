// What a host tells its watchers (the CLI's progress, --json lines, the UI over SSE).
import type { EpochRecord, RunEnvironment, RunSummary } from './records';

export interface RunIdentity {
  experimentId: string;
  runId: string;
  method: string;
  label: string;
  model: string;
  seed: number;
}

export type RunnerEvent =
  | ({
      type: 'run-started';
      environment: RunEnvironment;
      trainCount: number;
      testCount: number;
      notes: string[];
      /** Set when the run continues from a checkpoint. */
      resumedFromEpoch: number | null;
    } & RunIdentity)
  | ({ type: 'log'; message: string } & RunIdentity)
  | ({ type: 'progress'; epoch: number; step: number; steps: number; epochs: number } & RunIdentity)
  | EpochRecord
  | ({ type: 'run-finished'; summary: RunSummary } & RunIdentity)
  | ({ type: 'run-cancelled'; summary: RunSummary | null } & RunIdentity)
  | ({ type: 'run-failed'; reason: string } & RunIdentity)
  | {
      type: 'experiment-finished';
      experimentId: string;
      name: string;
      finished: number;
      failed: number;
      cancelled: number;
      interrupted: number;
    };

export type RunnerListener = (event: RunnerEvent) => void;

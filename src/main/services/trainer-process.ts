// Host side of a trainer process: start it, send the run, turn its messages (or its death)
// into a stream of events. A crash is reported as a failure with a reason, never thrown.
// How the process is started is pluggable: child_process.fork here (CLI, web host), Electron's
// utilityProcess in the desktop app (src/main/electron/utility-trainer.ts).
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { StartCommand, TrainerCommand, TrainerEvent } from '../trainer/protocol';
import { nodeBundle } from './node-bundle';

const TRAINER_ENTRY = fileURLToPath(new URL('../trainer/process.ts', import.meta.url));
/** tsx compiles the trainer's TypeScript in the child; resolved absolutely so any cwd works. */
const TSX_LOADER = import.meta.resolve('tsx');
const STDERR_TAIL = 4000;

/** A started trainer process, whatever started it. */
export interface TrainerChannel {
  send(command: TrainerCommand): void;
  readonly connected: boolean;
  onMessage(listener: (event: TrainerEvent) => void): void;
  onStderr(listener: (chunk: string) => void): void;
  onExit(listener: (code: number | null, signal: NodeJS.Signals | null) => void): void;
  onError(listener: (err: Error) => void): void;
}

export type TrainerSpawner = () => TrainerChannel;

/**
 * child_process.fork of the trainer: its bundle (node-bundle.ts) with plain node, or, when it
 * cannot be bundled here, the TypeScript entry compiled by tsx in the child.
 */
export const forkTrainer: TrainerSpawner = () => {
  const bundle = nodeBundle(TRAINER_ENTRY, (message) => console.warn(message));
  const child = fork(bundle ?? TRAINER_ENTRY, [], {
    execArgv: bundle ? [] : ['--import', TSX_LOADER],
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    env: { ...process.env },
  });
  child.stderr?.setEncoding('utf8');
  return {
    send: (command) => void child.send(command),
    get connected() {
      return child.connected;
    },
    onMessage: (l) => void child.on('message', l),
    onStderr: (l) => void child.stderr?.on('data', l),
    onExit: (l) => void child.on('exit', l),
    onError: (l) => void child.on('error', l),
  };
};

// STAND-IN until the build branch lands: it exports its own trainerLaunch() (node + the built
// trainer file) from this module; drop this one for theirs at the merge. Used where a trainer
// starts without fork: a Slurm job script (services/executors/slurm.ts).
/** The command line that starts a trainer with plain node: the executable and its arguments. */
export function trainerLaunch(): { command: string; args: string[] } {
  const bundle = nodeBundle(TRAINER_ENTRY, (message) => console.warn(message));
  return bundle
    ? { command: process.execPath, args: [bundle] }
    : { command: process.execPath, args: ['--import', TSX_LOADER, TRAINER_ENTRY] };
}

let spawner: TrainerSpawner = forkTrainer;

/** Choose how trainers start from now on (the Electron main sets utilityProcess). */
export function setTrainerSpawner(next: TrainerSpawner): void {
  spawner = next;
}

export interface TrainerHandle {
  cancel(): void;
  /**
   * Stop following the run without stopping it, where it lives on without this host (a Slurm
   * job): `done` resolves with no further event, and a later host re-attaches.
   */
  detach?(): void;
  /** Resolves once the process has exited and every event has been delivered. */
  done: Promise<void>;
}

export function startTrainer(command: StartCommand, onEvent: (event: TrainerEvent) => void): TrainerHandle {
  const child = spawner();
  let stderr = '';
  child.onStderr((chunk: string) => {
    stderr = (stderr + chunk).slice(-STDERR_TAIL);
  });
  let ended = false;
  child.onMessage((event: TrainerEvent) => {
    if (event.type === 'finished' || event.type === 'failed' || event.type === 'cancelled') ended = true;
    onEvent(event);
  });
  const done = new Promise<void>((resolve) => {
    child.onExit((code, signal) => {
      if (!ended) {
        ended = true;
        onEvent({ type: 'failed', reason: describeDeath(code, signal, stderr) });
      }
      resolve();
    });
    child.onError((err) => {
      if (!ended) {
        ended = true;
        onEvent({ type: 'failed', reason: `the trainer process could not run: ${err.message}` });
      }
      resolve();
    });
  });
  child.send(command);
  return {
    cancel: () => {
      if (child.connected) child.send({ type: 'cancel' });
    },
    done,
  };
}

function describeDeath(code: number | null, signal: NodeJS.Signals | null, stderr: string): string {
  const how =
    signal === 'SIGKILL'
      ? 'was killed (SIGKILL; the system may have run out of memory)'
      : signal
        ? `was killed by ${signal}`
        : `exited with code ${code}`;
  const lastLines = lastMeaningfulLines(stderr);
  return `the trainer process ${how} before the run ended${lastLines ? `: ${lastLines}` : ''}`;
}

/** The end of stderr, without the wasm glue's one-line source dump that precedes some errors. */
function lastMeaningfulLines(stderr: string): string {
  return stderr
    .split('\n')
    .filter((l) => l.trim() && l.length < 500)
    .slice(-3)
    .join(' | ');
}

// Host side of a trainer process: start it, send the run, turn its messages (or its death)
// into a stream of events. A crash is reported as a failure with a reason, never thrown.
// How the process is started is pluggable: child_process.fork here (CLI, web host), Electron's
// utilityProcess in the desktop app (src/main/electron/utility-trainer.ts).
import { fork } from 'node:child_process';
import {
  parseTrainerEvent,
  type StartCommand,
  type TrainerCommand,
  type TrainerEvent,
} from '../trainer/protocol';
import { nodeBuildFile } from './app-root';

const STDERR_TAIL = 4000;

/** A started trainer process, whatever started it. */
export interface TrainerChannel {
  send(command: TrainerCommand): void;
  readonly connected: boolean;
  /** Whatever the process sent: startTrainer parses it before anything acts on it. */
  onMessage(listener: (message: unknown) => void): void;
  onStderr(listener: (chunk: string) => void): void;
  onExit(listener: (code: number | null, signal: NodeJS.Signals | null) => void): void;
  onError(listener: (err: Error) => void): void;
  /** Stop the process at once (a host that lost the queue, a second Ctrl-C). */
  kill?(): void;
}

export type TrainerSpawner = () => TrainerChannel;

/**
 * How to start a trainer with plain node: the node executable and the built trainer
 * (out/node/trainer.mjs, made by the Node build), whatever host asks. It talks over an IPC
 * channel when forked, or follows files (Slurm jobs). Throws, saying what to run, when the
 * trainer has not been built. In Electron (whose executable is not node) the command is the
 * `node` on PATH.
 */
export function trainerLaunch(): { command: string; args: string[] } {
  return {
    command: process.versions.electron ? 'node' : process.execPath,
    args: [nodeBuildFile('trainer.mjs')],
  };
}

/** child_process.fork of the built trainer, with plain node. */
export const forkTrainer: TrainerSpawner = () => {
  const { command, args } = trainerLaunch();
  const child = fork(args[0]!, args.slice(1), {
    execPath: command,
    // Not the host's own flags (vitest's loaders, --inspect): the trainer is plain JavaScript.
    execArgv: [],
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    env: { ...process.env },
    // Its own process group: a terminal's Ctrl-C (SIGINT to the whole foreground group) reaches
    // the host alone, which stops its trainers so that their runs end interrupted, not failed.
    // The trainer still goes when the host does: it exits once its IPC channel closes.
    detached: true,
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
    kill: () => void child.kill('SIGKILL'),
  };
};

let spawner: TrainerSpawner = forkTrainer;

/** Choose how trainers start from now on (the Electron main sets utilityProcess). */
export function setTrainerSpawner(next: TrainerSpawner): void {
  spawner = next;
}

export interface TrainerHandle {
  cancel(): void;
  /** Stop the process now, without waiting for its minibatch (its last checkpoint stays). */
  kill(): void;
  /** The epoch's record is stored: a trainer started with acknowledgeEpochs trains on. */
  acknowledge(epoch: number): void;
  /**
   * Stop following the run without stopping it, where it lives on without this host (a Slurm
   * job): `done` resolves with no further event, and a later host re-attaches.
   */
  detach?(): void;
  /** Resolves once the process has exited and every event has been delivered. */
  done: Promise<void>;
}

export function startTrainer(command: StartCommand, onEvent: (event: TrainerEvent) => void): TrainerHandle {
  let child: TrainerChannel;
  try {
    child = spawner();
  } catch (err) {
    // E.g. the trainer was never built: the run fails with the reason, the host carries on.
    const reason = `the trainer process could not start: ${(err as Error).message}`;
    const done = Promise.resolve().then(() => onEvent({ type: 'failed', reason }));
    return { cancel: () => {}, kill: () => {}, acknowledge: () => {}, done };
  }
  let stderr = '';
  child.onStderr((chunk: string) => {
    stderr = (stderr + chunk).slice(-STDERR_TAIL);
  });
  let ended = false;
  /** Set by a malformed message: the run has failed, and the rest of what the trainer says is ignored. */
  let refused = false;
  child.onMessage((message: unknown) => {
    if (refused) return;
    const parsed = parseTrainerEvent(message);
    if (!parsed.ok) {
      // Nothing of a message the host cannot read is stored: the run fails with what was wrong,
      // and the trainer is asked to stop (it would otherwise go on training for nobody).
      ended = refused = true;
      onEvent({ type: 'failed', reason: parsed.reason });
      if (child.connected) child.send({ type: 'cancel' });
      return;
    }
    const event = parsed.event;
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
    acknowledge: (epoch) => {
      if (child.connected) child.send({ type: 'epoch-stored', epoch });
    },
    kill: () => {
      if (child.kill) child.kill();
      else if (child.connected) child.send({ type: 'cancel' });
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

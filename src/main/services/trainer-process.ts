// Host side of a trainer process: fork it, send the run, turn its messages (or its death)
// into a stream of events. A crash is reported as a failure with a reason, never thrown.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { StartCommand, TrainerEvent } from '../trainer/protocol';

const TRAINER_ENTRY = fileURLToPath(new URL('../trainer/process.ts', import.meta.url));
/** tsx compiles the trainer's TypeScript in the child; resolved absolutely so any cwd works. */
const TSX_LOADER = import.meta.resolve('tsx');
const STDERR_TAIL = 4000;

export interface TrainerHandle {
  child: ChildProcess;
  cancel(): void;
  /** Resolves once the process has exited and every event has been delivered. */
  done: Promise<void>;
}

export function startTrainer(command: StartCommand, onEvent: (event: TrainerEvent) => void): TrainerHandle {
  const child = fork(TRAINER_ENTRY, [], {
    execArgv: ['--import', TSX_LOADER],
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    env: { ...process.env },
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-STDERR_TAIL);
  });
  let ended = false;
  child.on('message', (event: TrainerEvent) => {
    if (event.type === 'finished' || event.type === 'failed' || event.type === 'cancelled') ended = true;
    onEvent(event);
  });
  const done = new Promise<void>((resolve) => {
    child.on('exit', (code, signal) => {
      if (!ended) {
        ended = true;
        onEvent({ type: 'failed', reason: describeDeath(code, signal, stderr) });
      }
      resolve();
    });
    child.on('error', (err) => {
      if (!ended) {
        ended = true;
        onEvent({ type: 'failed', reason: `the trainer process could not run: ${err.message}` });
      }
      resolve();
    });
  });
  child.send(command);
  return {
    child,
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

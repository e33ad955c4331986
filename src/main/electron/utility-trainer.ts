// Trainer processes as Electron utility processes: Chromium's process model (sandboxed
// services, crash reporting) instead of a plain fork, same typed messages.
import { utilityProcess } from 'electron';
import { fileURLToPath } from 'node:url';
import type { TrainerChannel, TrainerSpawner } from '../services/trainer-process';
import type { TrainerEvent } from '../trainer/protocol';

/** The bundled entry beside the main bundle (electron.vite.config.ts builds it as trainer.js). */
const ENTRY = fileURLToPath(new URL('./trainer.js', import.meta.url));

export const utilityTrainer: TrainerSpawner = (): TrainerChannel => {
  const child = utilityProcess.fork(ENTRY, [], {
    serviceName: 'Annealab trainer',
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env },
  });
  let alive = true;
  child.on('exit', () => {
    alive = false;
  });
  child.stderr?.setEncoding('utf8');
  return {
    send: (command) => {
      if (alive) child.postMessage(command);
    },
    get connected() {
      return alive;
    },
    onMessage: (l) => void child.on('message', (m: TrainerEvent) => l(m)),
    onStderr: (l) => void child.stderr?.on('data', (chunk: string | Buffer) => l(String(chunk))),
    // A utility process reports an exit code; a crash arrives as a non-zero code.
    onExit: (l) => void child.on('exit', (code) => l(code, null)),
    onError: (l) =>
      void child.on('error', (type: string, location: string) => l(new Error(`${type} at ${location}`))),
    kill: () => void child.kill(),
  };
};

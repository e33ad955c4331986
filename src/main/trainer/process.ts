// The trainer process: one run, in its own process, so that training never blocks a host's
// event loop and a crash (or an out-of-memory kill) is an event for the host, not its end.
// Started with child_process.fork (an IPC channel), Electron's utilityProcess, or, on a Slurm
// node, with `--file-mode DIR` (file-mode.ts: the command from a file, events appended to one).
import * as tf from '@tensorflow/tfjs-core';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { RunSummary } from '../../shared/records';
import { describeDevice, initBackend } from './backend/select';
import { prepareData } from './data/prepare';
import { disposeSplit } from './data/batches';
import { captureEnvironment } from './environment';
import { applyRunThreads } from './run-threads';
import { trainRun } from './loop';
import {
  bestWeightsRelativePath,
  checkpointPath,
  readCheckpoint,
  writeCheckpoint,
  type Checkpoint,
} from './checkpoint';
import {
  commandProblem,
  FILE_MODE,
  type StartCommand,
  type TrainerCommand,
  type TrainerEvent,
} from './protocol';
import { withDiskMessage } from '../store/disk-errors';
import { writeBestWeights } from './best-weights';

const PROGRESS_INTERVAL_MS = 250;

function sendOverIpc(event: TrainerEvent): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send) return resolve();
    process.send(event, undefined, undefined, () => resolve());
  });
}

let send: (event: TrainerEvent) => Promise<void> = sendOverIpc;

/** Where events go instead of the IPC channel (file mode: an append-only events file). */
export function setEventSink(sink: (event: TrainerEvent) => Promise<void>): void {
  send = sink;
}

let cancelRequested = false;
/** The host's `epoch-stored` for the epoch the loop waits on (acknowledgeEpochs). */
let stored: { epoch: number; resolve: () => void } | null = null;

function epochStored(epoch: number): Promise<void> {
  return new Promise((resolve) => {
    stored = { epoch, resolve };
  });
}

/** Stop the run after the current minibatch, as a cancel command does. */
export function requestStop(): void {
  cancelRequested = true;
}

export async function run(cmd: StartCommand): Promise<void> {
  const initialised = await initBackend(cmd.backend);
  const threads = await applyRunThreads(cmd.threads, initialised.backend);
  // The device line names the kernels' threads, which are set only now.
  const backend =
    initialised.backend === 'wasm' ? { ...initialised, device: describeDevice('wasm') } : initialised;
  const { data, info } = await prepareData(
    cmd.dataDir,
    cmd.spec.dataset,
    (message) => void send({ type: 'log', message }),
  );
  await send({
    type: 'started',
    environment: captureEnvironment(backend, threads),
    trainCount: info.trainCount,
    testCount: info.testCount,
    notes: info.notes,
  });
  let resume: Checkpoint | undefined;
  const ckptPath = checkpointPath(cmd.dataDir, cmd.runId, cmd.attempt);
  if (cmd.resume) {
    const from = checkpointPath(cmd.dataDir, cmd.runId, cmd.resumeAttempt ?? cmd.attempt);
    if (!existsSync(from)) throw new Error(`cannot resume: the checkpoint ${from} is missing`);
    resume = readCheckpoint(from);
    await send({ type: 'resumed', fromEpoch: resume.state.epoch });
  }
  let lastProgress = 0;
  const outcome = await trainRun(
    cmd,
    data,
    {
      // The checkpoint is on disk before the host hears of the epoch: the host records both
      // together, and a crash in between is repaired from the checkpoint on resume.
      onEpoch: async (record, checkpoint) => {
        try {
          writeCheckpoint(ckptPath, await checkpoint());
        } catch (err) {
          throw withDiskMessage(err, ckptPath);
        }
        const acknowledged = cmd.acknowledgeEpochs ? epochStored(record.epoch) : null;
        await send({ type: 'epoch', record });
        await acknowledged;
      },
      onProgress: (p) => {
        const now = performance.now();
        if (now - lastProgress < PROGRESS_INTERVAL_MS && p.step !== p.steps) return;
        lastProgress = now;
        void send({ type: 'progress', ...p });
      },
      shouldStop: () => cancelRequested,
    },
    resume,
  );
  disposeSplit(data.train);
  disposeSplit(data.test);
  let bestWeightsPath: string | null = null;
  if (outcome.bestWeights) {
    bestWeightsPath = bestWeightsRelativePath(cmd.runId, cmd.attempt);
    const path = join(cmd.dataDir, bestWeightsPath);
    try {
      await writeBestWeights(path, cmd.model, data, { ...outcome, bestWeights: outcome.bestWeights });
    } catch (err) {
      throw withDiskMessage(err, path);
    }
    tf.dispose(outcome.bestWeights);
  }
  if (outcome.bestBuffers) tf.dispose(outcome.bestBuffers);
  const summary: RunSummary = {
    bestEpoch: outcome.bestEpoch,
    bestValAccuracy: outcome.best?.accuracy ?? null,
    minValLoss: outcome.minValLoss,
    minValLossThesis: outcome.minValLossThesis,
    epochs: outcome.epochs,
    seconds: outcome.seconds,
    bestWeightsPath,
  };
  await send({ type: outcome.status, summary });
}

process.on('message', (raw: unknown) => {
  const problem = commandProblem(raw);
  if (problem) {
    void send({ type: 'failed', reason: problem }).then(() => process.exit(1));
    return;
  }
  // Checked above; the host's own values are used as they came, not a re-parsed copy.
  const message = raw as TrainerCommand;
  if (message.type === 'cancel') {
    cancelRequested = true;
    return;
  }
  if (message.type === 'epoch-stored') {
    if (stored?.epoch === message.epoch) stored.resolve();
    return;
  }
  if (message.type === 'start') {
    run(message).then(
      () => process.disconnect?.(),
      async (err: unknown) => {
        // A full disk met elsewhere (the dataset cache) names its file when Node knows it.
        const said = withDiskMessage(err, (err as NodeJS.ErrnoException).path ?? message.dataDir);
        await send({
          type: 'failed',
          reason: said instanceof Error ? said.message : String(said),
          ...((said as { disk?: boolean }).disk ? { disk: true } : {}),
        });
        process.exit(1);
      },
    );
  }
});
if (process.argv.includes(FILE_MODE.flag)) {
  void import('./file-mode').then((m) =>
    m.runFromFiles(process.argv[process.argv.indexOf(FILE_MODE.flag) + 1]),
  );
}
// A host that goes away takes its trainers with it.
process.on('disconnect', () => {
  cancelRequested = true;
  stored?.resolve();
  setTimeout(() => process.exit(0), 5000).unref();
});

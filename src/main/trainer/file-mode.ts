// The trainer without an IPC channel, as a Slurm job starts it on a compute node:
// `node trainer --file-mode FOLDER`. It reads the run's StartCommand from FOLDER/command.json and
// appends every event to FOLDER/events.jsonl, each line written whole and fsynced, for the host
// to follow over the shared filesystem (the nodes never touch SQLite). Slurm's SIGTERM (scancel,
// a requeue, a preemption, the time limit) stops the run after its minibatch, like a cancel; the
// host tells those apart from what Slurm says of the job.
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { checkpointPath, readCheckpointState } from './checkpoint';
import { requestStop, run, setEventSink } from './process';
import { FILE_MODE, type StartCommand, type TrainerEvent } from './protocol';

/** Progress is for a person's eyes; over a network filesystem every few seconds is plenty. */
const PROGRESS_EVERY_MS = 2000;

function slurmPlacement(): {
  jobId: string;
  node: string | null;
  partition: string | null;
  restarts: number;
} | null {
  const e = process.env;
  if (!e.SLURM_JOB_ID) return null;
  const jobId = e.SLURM_ARRAY_JOB_ID ? `${e.SLURM_ARRAY_JOB_ID}_${e.SLURM_ARRAY_TASK_ID}` : e.SLURM_JOB_ID;
  return {
    jobId,
    node: e.SLURMD_NODENAME ?? null,
    partition: e.SLURM_JOB_PARTITION ?? null,
    restarts: Number(e.SLURM_RESTART_COUNT ?? 0) || 0,
  };
}

export async function runFromFiles(folder: string | undefined): Promise<void> {
  if (!folder) {
    process.stderr.write(
      `usage: trainer ${FILE_MODE.flag} FOLDER (the folder holding ${FILE_MODE.command})\n`,
    );
    process.exit(2);
  }
  const fd = openSync(join(folder, FILE_MODE.events), 'a');
  const append = (event: TrainerEvent) => {
    writeSync(fd, `${JSON.stringify(event)}\n`);
    fsyncSync(fd);
  };
  let lastProgress = 0;
  const placement = slurmPlacement();
  setEventSink(async (event) => {
    if (event.type === 'progress') {
      const now = Date.now();
      if (now - lastProgress < PROGRESS_EVERY_MS && event.step !== event.steps) return;
      lastProgress = now;
    }
    if (event.type === 'started' && placement) {
      event = { ...event, environment: { ...event.environment, slurm: placement } };
    }
    append(event);
  });
  process.on('SIGTERM', requestStop);
  let cmd: StartCommand;
  try {
    cmd = JSON.parse(readFileSync(join(folder, FILE_MODE.command), 'utf8')) as StartCommand;
  } catch (err) {
    append({ type: 'failed', reason: `cannot read the run's command: ${(err as Error).message}` });
    process.exit(1);
  }
  // A requeued job starts this again: continue from the checkpoint its last attempt left. The
  // checkpoint's epoch record goes first, since the attempt may have died between writing the
  // checkpoint and appending the record; the host keeps each epoch once.
  // Checkpoints are per attempt (checkpoint.ts): this attempt's own when Slurm requeued it, else
  // the earlier attempt's that the queue asked to resume from.
  const own = checkpointPath(cmd.dataDir, cmd.runId, cmd.attempt);
  const resumeAttempt = existsSync(own) ? cmd.attempt : cmd.resume ? cmd.resumeAttempt : undefined;
  const ckpt =
    cmd.resume || resumeAttempt !== undefined ? checkpointPath(cmd.dataDir, cmd.runId, resumeAttempt) : null;
  const resume = ckpt !== null && existsSync(ckpt);
  try {
    if (resume) append({ type: 'epoch', record: readCheckpointState(ckpt).record });
    await run({ ...cmd, resume, resumeAttempt, acknowledgeEpochs: false });
  } catch (err) {
    append({ type: 'failed', reason: err instanceof Error ? err.message : String(err) });
    closeSync(fd);
    process.exit(1);
  }
  closeSync(fd);
  process.exit(0);
}

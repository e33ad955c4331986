// The Slurm executor: each run is one Slurm job, and Slurm, not Annealab, decides when and where
// it runs. The host writes the run's StartCommand under the run's folder in the data dir (which
// the nodes share), submits every run it is given in one pass as one job array, and follows each
// run's events file, turning its records into the TrainerEvents local trainers send over IPC:
// the queue stores them exactly as it does a local run's (the nodes never open SQLite).
//
// Slurm's word decides how a run ends when its trainer could not say: CANCELLED (scancel, ours or
// anyone's), TIMEOUT, OUT_OF_MEMORY, NODE_FAIL, PREEMPTED. Jobs are submitted with --requeue: a
// requeued or preempted job starts its trainer again, which continues from its checkpoint, and
// the host keeps following the same events file, keeping each epoch once.
import { mkdirSync, openSync, readSync, closeSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { ExecutorSetting, SlurmOptions } from '../../../shared/executor';
import type { RunSummary } from '../../../shared/records';
import type { StartCommand, TrainerEvent } from '../../trainer/protocol';
import { FILE_MODE } from '../../trainer/protocol';
import { checkpointPath, readCheckpointState } from '../../trainer/checkpoint';
import { trainerLaunch, type TrainerHandle } from '../trainer-process';
import type { Executor } from './executor';
import {
  commandPath,
  eventsPath,
  jobFolder,
  readJobRecord,
  TRAINER_LOG,
  trainerLogPath,
  trainerLogTail,
  writeJobRecord,
  type JobRecord,
} from './job-files';
import * as slurm from './slurm-commands';
import type { JobState } from './slurm-commands';

const FOLLOW_MS = 500;
/** Arrays up to this size get a name per task (see nameTasks). */
const MAX_NAMED_TASKS = 500;
const STATE_MS = 2000;
/**
 * Names the submission a run's folder belongs to now. A job of an older submission that Slurm
 * starts late (its host died before recording it, and the run was submitted again) finds another
 * token there and exits without touching the run's checkpoint.
 */
const SUBMISSION_FILE = 'submission';
/** Exit status of the job script when the run's folder is not visible on the node. */
const NOT_SHARED_EXIT = 97;
/** Where a data dir under these is almost surely local to the login node. */
const LOCAL_ONLY = /^\/(tmp|var\/tmp|dev\/shm)(\/|$)/;

const WHY: Record<string, string> = {
  TIMEOUT: 'reached its time limit (TIMEOUT): ask for more with --time',
  OUT_OF_MEMORY: 'ran out of memory (OUT_OF_MEMORY): ask for more with --sbatch-arg=--mem=16G',
  NODE_FAIL: 'lost its node (NODE_FAIL)',
  PREEMPTED: 'was preempted (PREEMPTED) and not requeued',
  BOOT_FAIL: 'could not boot its node (BOOT_FAIL)',
  DEADLINE: 'passed its deadline (DEADLINE)',
  FAILED: 'failed',
  COMPLETED: 'ended',
};

const quote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;

/** The batch script: pick this task's run folder, check the node sees it, start the trainer. */
export function jobScript(
  launch: { command: string; args: string[] },
  folders: string[],
  /** This submission's token, also in each folder's `submission` file (see submitPending). */
  token: string,
): string {
  return [
    '#!/bin/bash',
    `# Written by Annealab: ${folders.length} run${folders.length === 1 ? '' : 's'}, one per array task. Each`,
    `# folder holds the run's ${FILE_MODE.command}; its trainer appends ${FILE_MODE.events} there.`,
    `FOLDERS=(${folders.map(quote).join(' ')})`,
    'FOLDER="${FOLDERS[${SLURM_ARRAY_TASK_ID:-0}]}"',
    `if [ ! -f "$FOLDER/${FILE_MODE.command}" ]; then`,
    `  echo "annealab: $FOLDER is not visible on $(hostname): the data dir must be on a filesystem the nodes share" >&2`,
    `  exit ${NOT_SHARED_EXIT}`,
    'fi',
    `if [ "$(cat "$FOLDER/${SUBMISSION_FILE}" 2>/dev/null)" != ${quote(token)} ]; then`,
    '  echo "annealab: $FOLDER now belongs to a newer submission of its run; this job has nothing to do" >&2',
    '  exit 0',
    'fi',
    `exec ${[launch.command, ...launch.args].map(quote).join(' ')} ${FILE_MODE.flag} "$FOLDER" >>"$FOLDER/${TRAINER_LOG}" 2>&1`,
    '',
  ].join('\n');
}

/** True when the user's own sbatch options already say how many CPUs a task gets. */
function asksForCpus(args: readonly string[]): boolean {
  return args.some((a) => /^(--cpus-per-task(=|$)|-c)/.test(a));
}

/**
 * sbatch's options for one submission of `count` runs. `threads`: the most threads any of them
 * runs its kernels on; more than 1 asks Slurm for that many CPUs per task, unless the user's
 * own options already say (a job given one CPU would run its threads on that one).
 */
export function sbatchArgs(
  o: SlurmOptions,
  dataDir: string,
  name: string,
  count: number,
  threads = 1,
): string[] {
  const out = join(dataDir, 'slurm', count > 1 ? 'slurm-%A_%a.out' : 'slurm-%j.out');
  return [
    ...(o.partition ? [`--partition=${o.partition}`] : []),
    ...(o.gres ? [`--gres=${o.gres}`] : []),
    ...(o.time ? [`--time=${o.time}`] : []),
    ...(o.account ? [`--account=${o.account}`] : []),
    ...o.sbatchArgs,
    ...(threads > 1 && !asksForCpus(o.sbatchArgs) ? [`--cpus-per-task=${threads}`] : []),
    '--requeue',
    '--open-mode=append',
    `--job-name=${name}`,
    `--output=${out}`,
    `--chdir=${dataDir}`,
    ...(count > 1 ? [`--array=0-${count - 1}`] : []),
  ];
}

/** One run's job, followed through its events file and Slurm's view of it. */
class FollowedJob {
  jobId: string | null = null;
  private offset = 0;
  private partial = '';
  /** The summary of an attempt Slurm stopped (SIGTERM): a cancel, or a requeue that goes on. */
  private stoppedSummary: RunSummary | undefined;
  cancelRequested = false;
  ended = false;
  private lastSeen: string | null = null;
  /** An ended state seen once: acted on only when the next poll still sees it. */
  private endSeen: string | null = null;
  private checking = false;
  readonly handle: TrainerHandle;
  private resolveDone!: () => void;

  constructor(
    private readonly executor: SlurmExecutor,
    readonly runId: string,
    readonly folder: string,
    /** Epochs up to this one are in the store already. */
    private lastEpoch: number,
    readonly onEvent: (event: TrainerEvent) => void,
  ) {
    const done = new Promise<void>((r) => (this.resolveDone = r));
    this.handle = {
      cancel: () => this.cancel(),
      // Stopping at once is scancel too: the job keeps its last checkpoint, as a killed trainer does.
      kill: () => this.cancel(),
      // File-mode trainers do not wait for the host (they train on; the host keeps each epoch once).
      acknowledge: () => {},
      detach: () => this.finish(),
      done,
    };
  }

  submitted(jobId: string): void {
    this.jobId = jobId;
    if (this.cancelRequested) void this.scancel();
  }

  private cancel(): void {
    if (this.cancelRequested || this.ended) return;
    this.cancelRequested = true;
    if (this.jobId) void this.scancel();
  }

  private async scancel(): Promise<void> {
    try {
      await slurm.scancel(this.jobId!);
    } catch (err) {
      this.onEvent({
        type: 'log',
        message: `could not cancel Slurm job ${this.jobId}: ${(err as Error).message}`,
      });
    }
  }

  /** Read what the trainer appended since the last look; only whole lines count. */
  follow(): void {
    if (this.ended) return;
    let fd: number;
    try {
      if (statSync(eventsPath(this.folder)).size <= this.offset) return;
      fd = openSync(eventsPath(this.folder), 'r');
    } catch {
      return; // not started yet
    }
    try {
      const buf = Buffer.alloc(1 << 16);
      for (;;) {
        const n = readSync(fd, buf, 0, buf.length, this.offset);
        if (n <= 0) break;
        this.offset += n;
        this.partial += buf.subarray(0, n).toString('utf8');
      }
    } finally {
      closeSync(fd);
    }
    const lines = this.partial.split('\n');
    this.partial = lines.pop()!;
    for (const line of lines) {
      if (!line.trim() || this.ended) continue;
      let event: TrainerEvent;
      try {
        event = JSON.parse(line) as TrainerEvent;
      } catch {
        continue; // a record is written whole, so this is not one of ours
      }
      this.record(event);
    }
  }

  private record(event: TrainerEvent): void {
    switch (event.type) {
      case 'epoch':
        // A resumed attempt repeats the checkpoint's epoch; the host keeps each epoch once.
        if (event.record.epoch <= this.lastEpoch) return;
        this.lastEpoch = event.record.epoch;
        return this.onEvent(event);
      case 'started':
        // A new attempt (a requeue): the stop of the last one was not the end.
        this.stoppedSummary = undefined;
        return this.onEvent(event);
      case 'cancelled':
        // SIGTERM stopped this attempt: Slurm's state says whether it was a cancel or a requeue.
        this.stoppedSummary = event.summary;
        if (this.cancelRequested) this.end(event);
        return;
      case 'finished':
      case 'failed':
        return this.end(event);
      default:
        return this.onEvent(event);
    }
  }

  /** Slurm's view of the job, from the poll: note changes, and end the run when the job ended. */
  async observe(listed: JobState | undefined): Promise<void> {
    if (this.ended || !this.jobId || this.checking) return;
    if (listed && slurm.ALIVE_STATES.has(listed.state)) {
      this.endSeen = null;
      return this.noteState(listed);
    }
    this.checking = true;
    try {
      const state = await slurm.jobState(this.jobId, listed);
      if (this.ended) return;
      this.follow(); // the trainer's last records may have landed since the last look
      if (this.ended) return;
      if (state && slurm.ALIVE_STATES.has(state.state)) {
        this.endSeen = null;
        return this.noteState(state);
      }
      // A requeue passes through states that can read as an end for a moment, and the
      // trainer's last records may still be on their way over the network filesystem: an end
      // counts when the next poll confirms it.
      const seen = state?.state ?? 'UNKNOWN';
      if (this.endSeen !== seen) {
        this.endSeen = seen;
        return;
      }
      this.endFromSlurm(state);
    } catch (err) {
      // slurmctld busy or unreachable: ask again at the next poll.
      this.noteLog(`cannot ask Slurm about job ${this.jobId}: ${(err as Error).message}`);
    } finally {
      this.checking = false;
    }
  }

  private noteLog(message: string): void {
    if (message === this.lastSeen) return;
    this.lastSeen = message;
    this.onEvent({ type: 'log', message });
  }

  private noteState(s: JobState): void {
    if (s.state === 'PENDING') this.stoppedSummary = undefined; // requeued: a new attempt follows
    const where =
      s.state === 'PENDING'
        ? ` (${s.reason ?? 'waiting'})`
        : s.node
          ? ` on ${s.node}${s.partition ? ` (partition ${s.partition})` : ''}`
          : '';
    const message = `Slurm job ${this.jobId}: ${s.state.toLowerCase()}${where}`;
    if (message === this.lastSeen) return;
    this.lastSeen = message;
    this.executor.saveRecord(this, s);
    this.onEvent({ type: 'log', message });
  }

  private endFromSlurm(s: JobState | null): void {
    const id = this.jobId!;
    if (s) this.executor.saveRecord(this, s);
    if (
      this.cancelRequested ||
      s?.state === 'CANCELLED' ||
      (s?.state === 'COMPLETED' && this.stoppedSummary)
    ) {
      return this.end({ type: 'cancelled', summary: this.stoppedSummary ?? emptySummary() });
    }
    const tail = trainerLogTail(this.folder);
    const output = tail ? `; its trainer's last output: ${tail}` : ` (see ${trainerLogPath(this.folder)})`;
    if (!s) {
      return this.end({
        type: 'failed',
        reason: `Slurm no longer knows job ${id}, and its trainer left no final record${output}`,
      });
    }
    const status = s.exitCode?.split(':')[0];
    if (status === String(NOT_SHARED_EXIT)) {
      return this.end({
        type: 'failed',
        reason:
          `Slurm job ${id} could not see the run's folder on ${s.node ?? 'its node'}: the data dir ` +
          `(${this.executor.dataDir}) must be on a filesystem the nodes share (see ${join(this.executor.dataDir, 'slurm')})`,
      });
    }
    const why = WHY[s.state] ?? `ended as ${s.state}`;
    const exit = s.exitCode && s.exitCode !== '0:0' ? ` with exit code ${s.exitCode}` : '';
    const reason = s.reason ? `; Slurm's reason: ${s.reason}` : '';
    const missing = s.state === 'COMPLETED' ? ' before its trainer wrote a final record' : '';
    this.end({
      type: 'failed',
      reason: `Slurm job ${id}${s.node ? ` on ${s.node}` : ''} ${why}${exit}${missing}${reason}${output}`,
    });
  }

  end(event: TrainerEvent): void {
    if (this.ended) return;
    this.ended = true;
    this.onEvent(event);
    this.finish();
  }

  private finish(): void {
    this.ended = true;
    this.executor.forget(this);
    this.resolveDone();
  }
}

/**
 * The queue's done/summary contract wants a summary with every cancel; Slurm cancelled this job
 * before its trainer could write one (pending, or killed outright).
 */
function emptySummary(): RunSummary {
  return {
    bestEpoch: null,
    bestValAccuracy: null,
    minValLoss: null,
    minValLossThesis: null,
    epochs: 0,
    seconds: 0,
    bestWeightsPath: null,
  };
}

export class SlurmExecutor implements Executor {
  readonly setting: ExecutorSetting;
  private readonly jobs = new Set<FollowedJob>();
  private pending: { job: FollowedJob; command: StartCommand }[] = [];
  private timer: NodeJS.Timeout | null = null;
  private lastStatePoll = 0;
  private polling = false;
  private warnedShared = false;

  constructor(
    readonly dataDir: string,
    private readonly options: SlurmOptions,
  ) {
    this.setting = { kind: 'slurm', slurm: options };
  }

  limit(): number {
    return Number.POSITIVE_INFINITY;
  }

  start(command: StartCommand, onEvent: (event: TrainerEvent) => void): TrainerHandle {
    const folder = jobFolder(this.dataDir, command.runId);
    // A fresh attempt of the run: the events of an earlier one (a retry) are not this one's.
    rmSync(folder, { recursive: true, force: true });
    mkdirSync(folder, { recursive: true });
    // A job trains on without waiting for the host's acknowledgement (there is no channel back).
    writeFileSync(commandPath(folder), JSON.stringify({ ...command, acknowledgeEpochs: false }));
    writeFileSync(eventsPath(folder), '');
    // A resumed run's store has every epoch up to its checkpoint (the queue made them agree).
    const lastEpoch = command.resume
      ? readCheckpointState(checkpointPath(this.dataDir, command.runId, command.resumeAttempt)).epoch
      : 0;
    const job = new FollowedJob(this, command.runId, folder, lastEpoch, onEvent);
    writeJobRecord(this.dataDir, {
      runId: command.runId,
      jobId: null,
      submittedAt: new Date().toISOString(),
      state: null,
      reason: null,
      node: null,
      partition: null,
    });
    this.pending.push({ job, command });
    this.track(job);
    // Every run the queue starts in this pass goes into one submission (one job array).
    if (this.pending.length === 1) setImmediate(() => void this.submitPending());
    return job.handle;
  }

  /** Follow the job of a run that a host now gone submitted. */
  reattach(
    runId: string,
    jobId: string,
    lastEpoch: number,
    onEvent: (event: TrainerEvent) => void,
  ): TrainerHandle {
    const job = new FollowedJob(this, runId, jobFolder(this.dataDir, runId), lastEpoch, onEvent);
    job.submitted(jobId);
    this.track(job);
    onEvent({ type: 'log', message: `re-attached to Slurm job ${jobId}` });
    return job.handle;
  }

  private track(job: FollowedJob): void {
    this.jobs.add(job);
    if (!this.timer) this.timer = setInterval(() => void this.poll(), FOLLOW_MS);
  }

  forget(job: FollowedJob): void {
    this.jobs.delete(job);
    this.pending = this.pending.filter((p) => p.job !== job);
    if (this.jobs.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = null;
    }
  }

  saveRecord(job: FollowedJob, s: JobState): void {
    const record = readJobRecord(this.dataDir, job.runId);
    if (!record || record.jobId !== job.jobId) return;
    const next: JobRecord = {
      ...record,
      state: s.state,
      reason: s.reason,
      node: s.node ?? record.node,
      partition: s.partition ?? record.partition,
    };
    try {
      writeJobRecord(this.dataDir, next);
    } catch {
      // The run's folder is gone (retried from scratch meanwhile): nothing to keep.
    }
  }

  private async submitPending(): Promise<void> {
    const batch = this.pending.filter((p) => !p.job.ended);
    this.pending = [];
    if (batch.length === 0) return;
    const first = batch[0]!.command;
    this.warnIfNotShared(batch[0]!.job);
    const folders = batch.map((p) => p.job.folder);
    const scriptDir = join(this.dataDir, 'slurm');
    mkdirSync(scriptDir, { recursive: true });
    const script =
      batch.length === 1
        ? join(folders[0]!, 'job.sh')
        : join(scriptDir, `array-${first.runId.slice(0, 8)}-${batch.length}.sh`);
    const token = randomUUID();
    for (const folder of folders) writeFileSync(join(folder, SUBMISSION_FILE), token);
    writeFileSync(script, jobScript(trainerLaunch(), folders, token), { mode: 0o755 });
    // The run id names a single job; an array is named by its experiment until each task gets
    // its run's name (nameTasks). Each run's job id is in its job record and its environment.
    const name =
      batch.length === 1
        ? `annealab-${first.runId.slice(0, 8)}`
        : `annealab-exp-${first.experimentId.slice(0, 8)}`;
    let id: string;
    try {
      const threads = Math.max(
        ...batch.map(({ command }) =>
          typeof command.threads?.count === 'number' ? command.threads.count : 1,
        ),
      );
      id = await slurm.sbatch([
        ...sbatchArgs(this.options, this.dataDir, name, batch.length, threads),
        script,
      ]);
    } catch (err) {
      for (const { job } of batch) {
        job.end({ type: 'failed', reason: `Slurm refused the job: ${(err as Error).message}` });
      }
      return;
    }
    batch.forEach(({ job, command }, i) => {
      const jobId = batch.length > 1 ? `${id}_${i}` : id;
      writeJobRecord(this.dataDir, {
        runId: command.runId,
        jobId,
        submittedAt: new Date().toISOString(),
        state: 'PENDING',
        reason: null,
        node: null,
        partition: this.options.partition ?? null,
      });
      job.submitted(jobId);
    });
    if (batch.length > 1) await this.nameTasks(batch.map((p, i) => [`${id}_${i}`, p.command.runId]));
  }

  /**
   * Each task of an array gets its run's name (annealab-<run id>), so that squeue shows which
   * run is which. Best effort: the array's name stays where Slurm refuses. (Changing a pending
   * task splits it into its own job record; for grids of thousands that is slurmctld's load, so
   * big arrays keep the one name.)
   */
  private async nameTasks(tasks: [jobId: string, runId: string][]): Promise<void> {
    if (tasks.length > MAX_NAMED_TASKS) return;
    for (const [jobId, runId] of tasks) {
      try {
        await slurm.scontrolUpdate(jobId, { JobName: `annealab-${runId.slice(0, 8)}` });
      } catch {
        // The task may have ended already, or the site forbids it.
      }
    }
  }

  /** A data dir in /tmp is local to each machine: jobs on other nodes could not see it. */
  private warnIfNotShared(job: FollowedJob): void {
    if (this.warnedShared || !LOCAL_ONLY.test(this.dataDir)) return;
    this.warnedShared = true;
    void slurm.partitionNodes(this.options.partition).then((nodes) => {
      if (nodes !== null && nodes > 1) {
        // The warning goes out as a log of the grid's first run.
        job.onEvent({
          type: 'log',
          message:
            `warning: the data dir ${this.dataDir} is under a machine-local folder, and the partition has ${nodes} nodes: ` +
            'jobs on other nodes cannot see it. Use a data dir on a filesystem the nodes share (--data-dir).',
        });
      }
    });
  }

  private async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      for (const job of [...this.jobs]) job.follow();
      if (Date.now() - this.lastStatePoll < STATE_MS) return;
      this.lastStatePoll = Date.now();
      const submitted = [...this.jobs].filter((j) => j.jobId && !j.ended);
      if (submitted.length === 0) return;
      let listed: Map<string, JobState>;
      try {
        listed = await slurm.squeue(submitted.map((j) => j.jobId!));
      } catch {
        return; // slurmctld busy: the next poll asks again
      }
      await Promise.all(submitted.map((j) => j.observe(listed.get(j.jobId!))));
    } finally {
      this.polling = false;
    }
  }
}

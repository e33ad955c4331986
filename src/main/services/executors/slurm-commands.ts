// Slurm's client commands as the Slurm executor uses them: sbatch, squeue, scontrol, scancel and
// (where accounting is on) sacct. They talk to slurmctld, so each runs asynchronously and never
// blocks the host's event loop; SLURM_CONF and PATH come from the host's environment.
import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

export interface JobState {
  jobId: string;
  /** Slurm's long state name: PENDING, RUNNING, COMPLETED, CANCELLED, FAILED, TIMEOUT, … */
  state: string;
  /** Why it waits or ended: Resources, Priority, BeginTime, NonZeroExitCode, … ("None" as null). */
  reason: string | null;
  node: string | null;
  partition: string | null;
  /** "1:0" (status:signal) where Slurm reported it. */
  exitCode: string | null;
  restarts: number | null;
}

/** States in which the job still has, or will get, a process on a node. */
export const ALIVE_STATES = new Set([
  'PENDING',
  'CONFIGURING',
  'RUNNING',
  'COMPLETING',
  'SUSPENDED',
  'REQUEUED',
  'REQUEUE_FED',
  'REQUEUE_HOLD',
  'RESIZING',
  'SIGNALING',
  'STAGE_OUT',
  'RESV_DEL_HOLD',
  'STOPPED',
]);

export class SlurmCommandError extends Error {}

function run(command: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { encoding: 'utf8', maxBuffer: 1 << 24 }, (err, stdout, stderr) => {
      if (err) {
        const why =
          (err as NodeJS.ErrnoException).code === 'ENOENT'
            ? `${command} was not found on PATH`
            : stderr.trim() || err.message;
        reject(new SlurmCommandError(`${command} ${args.join(' ')}: ${why}`));
      } else resolve(stdout);
    });
  });
}

/**
 * Why this machine cannot submit Slurm jobs, or null when it can. Only whether sbatch is on
 * PATH: running it needs the cluster's config, and a broken one is sbatch's to explain.
 */
export function slurmClientMissing(): string | null {
  const dirs = (process.env.PATH ?? '').split(delimiter).filter(Boolean);
  for (const dir of dirs) {
    try {
      accessSync(join(dir, 'sbatch'), constants.X_OK);
      return null;
    } catch {
      // not in this one
    }
  }
  return 'sbatch was not found on PATH: run Annealab on a Slurm login node (or `module load slurm` first)';
}

/** `sbatch --parsable …`: the job id ("123", or for an array its id "123"). */
export async function sbatch(args: string[]): Promise<string> {
  const out = await run('sbatch', ['--parsable', ...args]);
  // --parsable prints "jobid" or "jobid;cluster".
  const id = out.trim().split(';')[0]!;
  if (!/^\d+$/.test(id)) throw new SlurmCommandError(`sbatch printed no job id: ${out.trim()}`);
  return id;
}

export async function scontrolUpdate(jobId: string, fields: Record<string, string>): Promise<void> {
  await run('scontrol', ['update', `JobId=${jobId}`, ...Object.entries(fields).map(([k, v]) => `${k}=${v}`)]);
}

export async function scancel(jobId: string): Promise<void> {
  await run('scancel', [jobId]);
}

const none = (v: string | undefined): string | null => (!v || v === 'None' || v === '(null)' ? null : v);

/**
 * The states squeue knows of these jobs (ended ones stay listed for MinJobAge, 5 min by default).
 * Jobs it does not list are absent from the map.
 */
export async function squeue(jobIds: string[]): Promise<Map<string, JobState>> {
  const states = new Map<string, JobState>();
  if (jobIds.length === 0) return states;
  let out: string;
  try {
    out = await run('squeue', ['-h', '-r', '-t', 'all', '-j', jobIds.join(','), '-o', '%i|%T|%r|%N|%P']);
  } catch (err) {
    // squeue refuses a list of which it knows no job at all.
    if (/Invalid job id/i.test((err as Error).message)) return states;
    throw err;
  }
  for (const line of out.split('\n')) {
    const [jobId, state, reason, node, partition] = line.trim().split('|');
    if (!jobId || !state) continue;
    states.set(jobId, {
      jobId,
      state,
      reason: none(reason),
      node: none(node),
      partition: none(partition),
      exitCode: null,
      restarts: null,
    });
  }
  return states;
}

/** `scontrol show job -o ID` parsed; null when slurmctld no longer knows the job. */
export async function scontrolShowJob(jobId: string): Promise<JobState | null> {
  let out: string;
  try {
    out = await run('scontrol', ['show', 'job', '-o', jobId]);
  } catch (err) {
    if (/Invalid job id/i.test((err as Error).message)) return null;
    throw err;
  }
  const fields = new Map<string, string>();
  for (const m of out.matchAll(/(\S+?)=(\S*)/g)) if (!fields.has(m[1]!)) fields.set(m[1]!, m[2]!);
  const state = fields.get('JobState');
  if (!state) return null;
  const restarts = Number(fields.get('Restarts'));
  return {
    jobId,
    state,
    reason: none(fields.get('Reason')),
    node: none(fields.get('NodeList')),
    partition: none(fields.get('Partition')),
    exitCode: none(fields.get('ExitCode')),
    restarts: Number.isFinite(restarts) ? restarts : null,
  };
}

/** sacct's record of an ended job; null where accounting is off or has no record of it. */
export async function sacct(jobId: string): Promise<JobState | null> {
  let out: string;
  try {
    out = await run('sacct', [
      '-n',
      '-P',
      '-X',
      '-j',
      jobId,
      '-o',
      'State,ExitCode,NodeList,Partition,Reason',
    ]);
  } catch {
    return null; // "Slurm accounting storage is disabled", or no sacct at all
  }
  const line = out.split('\n').find((l) => l.trim());
  if (!line) return null;
  const [state, exitCode, node, partition, reason] = line.split('|');
  // "CANCELLED by 0" names who cancelled it.
  return {
    jobId,
    state: (state ?? '').split(' ')[0]!,
    reason: none(reason),
    node: none(node),
    partition: none(partition),
    exitCode: none(exitCode),
    restarts: null,
  };
}

/** What Slurm says of one job now, asking squeue, then scontrol, then sacct. */
export async function jobState(jobId: string, listed?: JobState): Promise<JobState | null> {
  const detail = await scontrolShowJob(jobId);
  if (detail) return { ...listed, ...detail };
  return listed ?? (await sacct(jobId));
}

/** Total nodes in a partition (the default one when none is named); null when sinfo cannot say. */
export async function partitionNodes(partition: string | undefined): Promise<number | null> {
  try {
    const out = await run('sinfo', ['-h', ...(partition ? ['-p', partition] : []), '-o', '%D']);
    const counts = out
      .split('\n')
      .map((l) => Number(l.trim()))
      .filter((n) => Number.isFinite(n) && n > 0);
    return counts.length ? counts.reduce((a, b) => a + b, 0) : null;
  } catch {
    return null;
  }
}

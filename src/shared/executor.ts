// How the queue gets a process for a run (DESIGN.md "Executors"): `local` trainer processes on
// this machine, or `slurm`, one Slurm job per run. The setting is stored (the queue's default),
// set from the CLI (`annealab queue executor`, `annealab run --executor`) and from the UI's
// route, all validated by this one schema so that a bad value reads the same everywhere.
import { z } from 'zod';

export const EXECUTOR_KINDS = ['local', 'slurm'] as const;
export type ExecutorKind = (typeof EXECUTOR_KINDS)[number];

/** Slurm's time formats: minutes, m:s, h:m:s, d-h, d-h:m, d-h:m:s (`sbatch --time`). */
const SLURM_TIME =
  /^(\d+|\d+:\d{1,2}|\d+:\d{1,2}:\d{1,2}|\d+-\d{1,2}|\d+-\d{1,2}:\d{1,2}|\d+-\d{1,2}:\d{1,2}:\d{1,2})$/;
/** A partition or account name, or a comma list of partitions: no spaces or shell characters. */
const SLURM_NAME = /^[A-Za-z0-9_.,-]+$/;
/** gpu:1, gpu:a100:2, or a comma list of such. */
const SLURM_GRES = /^[A-Za-z0-9_.-]+(:[A-Za-z0-9_.-]+)*(,[A-Za-z0-9_.-]+(:[A-Za-z0-9_.-]+)*)*$/;

/** Options Annealab sets itself on every job; passing them through --sbatch-arg would break it. */
export const RESERVED_SBATCH_OPTIONS = [
  '--array',
  '-a',
  '--output',
  '-o',
  '--error',
  '-e',
  '--job-name',
  '-J',
  '--parsable',
  '--chdir',
  '-D',
  '--wrap',
  '--open-mode',
] as const;

const reservedOption = (arg: string): string | undefined =>
  RESERVED_SBATCH_OPTIONS.find(
    (o) => arg === o || arg.startsWith(`${o}=`) || (o.length === 2 && arg.startsWith(o)),
  );

export const slurmOptionsSchema = z
  .object({
    partition: z
      .string()
      .regex(SLURM_NAME, {
        error: 'must be a partition name (letters, digits, _ . -), or a comma list of them',
      })
      .optional(),
    gres: z
      .string()
      .regex(SLURM_GRES, { error: 'must be a generic resource such as gpu:1 or gpu:a100:2' })
      .optional(),
    time: z
      .string()
      .regex(SLURM_TIME, {
        error: 'must be a Slurm time limit: minutes, h:mm:ss or d-hh:mm:ss (e.g. 90, 2:00:00, 1-00:00:00)',
      })
      .optional(),
    account: z
      .string()
      .regex(SLURM_NAME, { error: 'must be an account name (letters, digits, _ . -)' })
      .optional(),
    sbatchArgs: z
      .array(
        z
          .string()
          .min(2)
          .max(500)
          .refine((a) => a.startsWith('-'), {
            error: 'must be an sbatch option such as --mem=8G or --qos=long',
          })
          .refine((a) => !reservedOption(a), {
            error: (issue) =>
              `${String(issue.input)}: Annealab sets ${reservedOption(String(issue.input))} itself on every job`,
          }),
      )
      .max(50)
      .default([]),
  })
  .strict();

export type SlurmOptions = z.output<typeof slurmOptionsSchema>;

export const executorSettingSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('local') }).strict(),
  z.object({ kind: z.literal('slurm'), slurm: slurmOptionsSchema.default({ sbatchArgs: [] }) }).strict(),
]);

export type ExecutorSetting = z.output<typeof executorSettingSchema>;

export const LOCAL_EXECUTOR: ExecutorSetting = { kind: 'local' };

/** Every problem of a setting, by path ("slurm.time: must be …"), or the parsed setting. */
export function parseExecutorSetting(
  input: unknown,
): { ok: true; setting: ExecutorSetting } | { ok: false; problems: { path: string; message: string }[] } {
  const r = executorSettingSchema.safeParse(input);
  if (r.success) return { ok: true, setting: r.data };
  return {
    ok: false,
    problems: r.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
  };
}

/** "slurm (partition gpu, gres gpu:1, time 1-00:00:00)" for logs and the CLI. */
export function describeExecutor(s: ExecutorSetting): string {
  if (s.kind === 'local') return 'local (trainer processes on this machine)';
  const o = s.slurm;
  const parts = [
    o.partition && `partition ${o.partition}`,
    o.gres && `gres ${o.gres}`,
    o.time && `time ${o.time}`,
    o.account && `account ${o.account}`,
    ...o.sbatchArgs,
  ].filter(Boolean);
  return `slurm${parts.length ? ` (${parts.join(', ')})` : ' (the cluster’s default partition)'}`;
}

/** What the host knows of a run's Slurm job (kept with the run, in its folder in the data dir). */
export const jobRecordSchema = z.object({
  runId: z.string(),
  /** "123", or "123_4" for task 4 of array 123; null until sbatch answers. */
  jobId: z.string().nullable(),
  submittedAt: z.string(),
  /** Slurm's last word: PENDING, RUNNING, CANCELLED, TIMEOUT, … */
  state: z.string().nullable(),
  /** Why it waits or ended (Resources, Priority, BeginTime, …). */
  reason: z.string().nullable(),
  node: z.string().nullable(),
  partition: z.string().nullable(),
});
export type JobRecord = z.infer<typeof jobRecordSchema>;

/** The `system.executor` route's answer: what the UI's System and Queue views show. */
export const executorViewSchema = z.object({
  setting: executorSettingSchema,
  /** Whether this host can submit Slurm jobs, and why not. */
  slurm: z.object({ available: z.boolean(), reason: z.string().nullable() }),
  /** The Slurm jobs of the runs now running. */
  jobs: z.array(jobRecordSchema),
});
export type ExecutorView = z.output<typeof executorViewSchema>;

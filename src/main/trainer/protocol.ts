// Typed messages between a host and a trainer process: commands in, events out.
// The events are declared as zod schemas: a trainer is another process (another build, a
// script forked by mistake, a version mismatch), so the host parses every message it receives
// with `parseTrainerEvent` and turns one it cannot read into a run failure that says what was
// wrong, instead of storing it.
import { z } from 'zod';
import { MODEL_IDS } from '../../shared/ids';
import { epochRecordSchema, runEnvironmentSchema, runSummarySchema } from '../../shared/records';
import { specSchema } from '../../shared/spec';
import { threadsRequestSchema } from '../../shared/threads';

export const startCommandSchema = z.object({
  type: z.literal('start'),
  experimentId: z.string().min(1),
  runId: z.string().min(1),
  spec: specSchema,
  methodIndex: z.number().int().min(0),
  model: z.enum(MODEL_IDS),
  seed: z.number().int(),
  dataDir: z.string().min(1),
  /** The backend request after flag > env > spec precedence. */
  backend: z.object({
    request: specSchema.shape.backend,
    source: z.enum(['flag', 'env', 'spec', 'default']),
  }),
  /**
   * Threads for the run's SIMD kernels on wasm, as the host decided them (services/run-threads.ts)
   * and why. "auto" only where the host cannot know the cores: a Slurm job's trainer takes its
   * allocation (SLURM_CPUS_PER_TASK). Absent (a host from before the setting): 1.
   */
  threads: z.object({ count: threadsRequestSchema, reason: z.string() }).optional(),
  /** Continue from the run's checkpoint in the data dir (the host knows one was recorded). */
  resume: z.boolean(),
  /**
   * Which attempt of the run this is: its checkpoint and best weights go to files of their own
   * (checkpoint.ts), so that an older attempt still running somewhere never touches them.
   * Absent: the single legacy files.
   */
  attempt: z.number().int().min(0).optional(),
  /** With `resume`: the attempt whose checkpoint to continue from (absent: the legacy file). */
  resumeAttempt: z.number().int().min(0).optional(),
  /**
   * After each epoch, wait for the host's `epoch-stored` before training on. A host frozen past
   * its lease (Ctrl-Z of the host alone, a stalled VM) then holds its trainers at the epoch it
   * last heard of, whose record is in the checkpoint: the executor that takes over continues
   * from there, and no epoch trained meanwhile is known only to the frozen host.
   */
  acknowledgeEpochs: z.boolean().optional(),
});
export type StartCommand = z.infer<typeof startCommandSchema>;

export const trainerCommandSchema = z.discriminatedUnion('type', [
  startCommandSchema,
  z.object({ type: z.literal('cancel') }),
  z.object({ type: z.literal('epoch-stored'), epoch: z.number().int().min(0) }),
]);
export type TrainerCommand = z.infer<typeof trainerCommandSchema>;

export const trainerEventSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('started'),
    environment: runEnvironmentSchema,
    trainCount: z.number().int().min(0),
    testCount: z.number().int().min(0),
    notes: z.array(z.string()),
  }),
  z.object({ type: z.literal('log'), message: z.string() }),
  z.object({
    type: z.literal('progress'),
    epoch: z.number().int().min(0),
    step: z.number().int().min(0),
    steps: z.number().int().min(0),
  }),
  /** Sent after the epoch's checkpoint is on disk. */
  z.object({ type: z.literal('epoch'), record: epochRecordSchema }),
  z.object({ type: z.literal('resumed'), fromEpoch: z.number().int().min(0) }),
  z.object({ type: z.literal('finished'), summary: runSummarySchema }),
  z.object({ type: z.literal('cancelled'), summary: runSummarySchema }),
  /** `disk`: the disk is full, read-only or forbidden (the reason names the file): not the run's fault. */
  z.object({ type: z.literal('failed'), reason: z.string(), disk: z.boolean().optional() }),
]);
export type TrainerEvent = z.infer<typeof trainerEventSchema>;

/** The most of a bad message quoted in the failure reason. */
const QUOTE_LIMIT = 300;

/**
 * A message from a trainer as the host may act on it, or why it cannot: every problem by its
 * path in the message (`record.val.accuracy: …`), with the start of the message itself.
 */
export function parseTrainerEvent(
  message: unknown,
): { ok: true; event: TrainerEvent } | { ok: false; reason: string } {
  const parsed = trainerEventSchema.safeParse(message);
  if (parsed.success) return { ok: true, event: parsed.data };
  return {
    ok: false,
    reason: `the trainer sent a malformed message (${describe(parsed.error)}): ${quote(message)}`,
  };
}

/** The same check the other way: what a trainer does with a command it cannot read (it fails the run). */
export function commandProblem(message: unknown): string | null {
  const parsed = trainerCommandSchema.safeParse(message);
  return parsed.success
    ? null
    : `the host sent the trainer a malformed command (${describe(parsed.error)}): ${quote(message)}`;
}

function describe(error: z.ZodError): string {
  const problems = error.issues
    .slice(0, 5)
    .map((i) => `${i.path.map(String).join('.') || '(message)'}: ${i.message}`)
    .join('; ');
  return error.issues.length > 5 ? `${problems} (and ${error.issues.length - 5} more)` : problems;
}

function quote(message: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(message) ?? String(message);
  } catch {
    text = String(message);
  }
  return text.length > QUOTE_LIMIT ? `${text.slice(0, QUOTE_LIMIT)}…` : text;
}

/**
 * File mode (a trainer on a Slurm node, no IPC channel): the host writes the StartCommand to
 * `command` in the run's job folder and starts `trainer --file-mode FOLDER`; the trainer appends
 * its TrainerEvents to `events`, one JSON object per line, each line written whole and fsynced.
 * A cancel is SIGTERM (scancel), not a command.
 */
export const FILE_MODE = { flag: '--file-mode', command: 'command.json', events: 'events.jsonl' } as const;

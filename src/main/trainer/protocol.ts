// Typed messages between a host and a trainer process: commands in, events out.
// The events are declared as zod schemas: a trainer is another process (another build, a
// script forked by mistake, a version mismatch), so the host parses every message it receives
// with `parseTrainerEvent` and turns one it cannot read into a run failure that says what was
// wrong, instead of storing it.
import { z } from 'zod';
import type { ModelId } from '../../shared/ids';
import { epochRecordSchema, runEnvironmentSchema, runSummarySchema } from '../../shared/records';
import type { ExperimentSpec } from '../../shared/spec';

export interface StartCommand {
  type: 'start';
  experimentId: string;
  runId: string;
  spec: ExperimentSpec;
  methodIndex: number;
  model: ModelId;
  seed: number;
  dataDir: string;
  /** The backend request after flag > env > spec precedence. */
  backend: { request: ExperimentSpec['backend']; source: 'flag' | 'env' | 'spec' | 'default' };
  /** Continue from the run's checkpoint in the data dir (the host knows one was recorded). */
  resume: boolean;
}

export type TrainerCommand = StartCommand | { type: 'cancel' };

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
  z.object({ type: z.literal('failed'), reason: z.string() }),
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
  const problems = parsed.error.issues
    .slice(0, 5)
    .map((i) => `${i.path.map(String).join('.') || '(message)'}: ${i.message}`)
    .join('; ');
  const more = parsed.error.issues.length > 5 ? ` (and ${parsed.error.issues.length - 5} more)` : '';
  return {
    ok: false,
    reason: `the trainer sent a malformed message (${problems}${more}): ${quote(message)}`,
  };
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

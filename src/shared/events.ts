// What a host tells its watchers (the CLI's progress, --json lines, the UI over SSE).
import { z } from 'zod';
import { epochRecordSchema, runEnvironmentSchema, runSummarySchema } from './records';

export const runIdentitySchema = z.object({
  experimentId: z.string().min(1),
  runId: z.string().min(1),
  method: z.string(),
  label: z.string(),
  model: z.string(),
  seed: z.number().int(),
});
export type RunIdentity = z.infer<typeof runIdentitySchema>;

const withIdentity = <S extends z.core.$ZodShape>(shape: S) => runIdentitySchema.extend(shape);

export const runnerEventSchema = z.discriminatedUnion('type', [
  withIdentity({
    type: z.literal('run-started'),
    environment: runEnvironmentSchema,
    trainCount: z.number().int().min(0),
    testCount: z.number().int().min(0),
    notes: z.array(z.string()),
    /** Set when the run continues from a checkpoint. */
    resumedFromEpoch: z.number().int().nullable(),
  }),
  withIdentity({ type: z.literal('log'), message: z.string() }),
  withIdentity({
    type: z.literal('progress'),
    epoch: z.number().int().min(0),
    step: z.number().int().min(0),
    steps: z.number().int().min(0),
    epochs: z.number().int().min(0),
  }),
  epochRecordSchema,
  withIdentity({ type: z.literal('run-finished'), summary: runSummarySchema }),
  withIdentity({ type: z.literal('run-cancelled'), summary: runSummarySchema.nullable() }),
  withIdentity({ type: z.literal('run-failed'), reason: z.string() }),
  z.object({
    type: z.literal('experiment-finished'),
    experimentId: z.string().min(1),
    name: z.string(),
    finished: z.number().int().min(0),
    failed: z.number().int().min(0),
    cancelled: z.number().int().min(0),
    interrupted: z.number().int().min(0),
  }),
]);
export type RunnerEvent = z.infer<typeof runnerEventSchema>;

export type RunnerListener = (event: RunnerEvent) => void;

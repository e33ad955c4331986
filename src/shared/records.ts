// The per-epoch record: what the trainer emits, the store keeps, the CLI prints with --json,
// the UI charts and the exports tabulate. One shape everywhere (DESIGN.md, "CLI").
// Each shape is declared once, as a zod schema, and its type is derived from it: the host
// checks what a trainer sends against these schemas (services/trainer-process.ts) and the web
// host checks its route outputs with them, so a field the type has is a field that is checked.
import { z } from 'zod';
import { METHOD_IDS } from './ids';

const count = z.number().int().min(0);
const fraction = z.number().min(0).max(1);

export const lossAccuracySchema = z.object({
  /** Mean cross-entropy over the examples. */
  loss: z.number(),
  /** Fraction in [0, 1]. */
  accuracy: fraction,
});
export type LossAccuracy = z.infer<typeof lossAccuracySchema>;

export const validationResultSchema = lossAccuracySchema.extend({
  /**
   * The thesis's Loss column: the sum over test minibatches of the minibatch-mean
   * cross-entropy, divided by the number of test examples (about loss / batchSize).
   */
  lossThesis: z.number(),
});
export type ValidationResult = z.infer<typeof validationResultSchema>;

export const countersSchema = z.object({
  /** Wall time since the run started, in seconds. */
  seconds: z.number().min(0),
  /** Cumulative forward passes over training minibatches (SSA: three per minibatch). */
  forward: count,
  /** Cumulative backward passes over training minibatches. */
  backward: count,
  /** Cumulative parameter updates (accepted moves for SSA and SGD-SA). */
  updates: count,
});
export type Counters = z.infer<typeof countersSchema>;

export const moveCountsSchema = z.object({ better: count, acceptedWorse: count, rejectedWorse: count });
export type MoveCounts = z.infer<typeof moveCountsSchema>;

/**
 * Acceptance probabilities p = exp(-Δ/T) of the worsening moves of one epoch: a faithful
 * summary plus the values themselves (all of them when there are at most `SAMPLE_LIMIT`,
 * otherwise evenly spaced ones in the order they were drawn).
 */
export const acceptanceSummarySchema = z.object({
  count,
  mean: z.number().nullable(),
  min: z.number().nullable(),
  max: z.number().nullable(),
  median: z.number().nullable(),
  sample: z.array(z.number()),
  sampled: z.boolean(),
});
export type AcceptanceSummary = z.infer<typeof acceptanceSummarySchema>;

export const restartEventSchema = z.object({
  epoch: z.number().int().min(1),
  /** Minibatch step (within the epoch, 1-based) at which it happened; null when checked per epoch. */
  step: z.number().int().min(1).nullable(),
  /** The training-loss estimate that fell below restartEpsilon, on the method's loss scale. */
  estimate: z.number(),
});
export type RestartEvent = z.infer<typeof restartEventSchema>;

/**
 * Early stopping after an epoch: the validation accuracy to beat by more than minDelta, the
 * epochs in a row that have not, and whether the run stopped here. A resumed run continues the
 * count from its checkpoint's record.
 */
export const earlyStoppingStateSchema = z.object({
  bestAccuracy: z.number(),
  epochsWithoutImprovement: count,
  patience: z.number().int().min(1),
  stopped: z.boolean(),
});
export type EarlyStoppingState = z.infer<typeof earlyStoppingStateSchema>;

export const epochRecordSchema = z.object({
  type: z.literal('epoch'),
  experimentId: z.string().min(1),
  runId: z.string().min(1),
  method: z.enum(METHOD_IDS),
  label: z.string(),
  model: z.string().min(1),
  seed: z.number().int(),
  /** 1-based. */
  epoch: z.number().int().min(1),
  val: validationResultSchema,
  /** Training estimate on `estimateBatches` random minibatches after the epoch. */
  train: lossAccuracySchema,
  /** The exact training loss over the whole training split, when the spec asks for it. */
  trainExact: lossAccuracySchema.nullable(),
  counters: countersSchema,
  /** SSA and SGD-SA only. */
  moves: moveCountsSchema.nullable(),
  acceptance: acceptanceSummarySchema.nullable(),
  /** Temperature in force during this epoch (SSA, SGD-SA). */
  temperature: z.number().nullable(),
  /** SSA's ε in force during this epoch. */
  epsilon: z.number().nullable(),
  /** SSA: ε was divided by 10 at the end of this epoch. */
  epsilonDropped: z.boolean().nullable(),
  /** Learning rate in force during this epoch (the gradient methods: SGD, scheduled SGD, restarts, Adam, …). */
  lr: z.number().nullable(),
  /** SGD-SA: how often each learning rate of the set was drawn this epoch, keyed by the rate. */
  lrCounts: z.record(z.string(), count).nullable(),
  /** Restart method: total restarts so far. */
  restarts: count.nullable(),
  /** Restart method: the restarts that happened during this epoch. */
  restartEvents: z.array(restartEventSchema).nullable(),
  /** True when this epoch's validation result is the best so far (its weights are kept). */
  best: z.boolean(),
  /**
   * Batch-norm networks only (absent otherwise): how the method kept the running statistics that
   * validation and the training estimate normalise with. 'training-steps': every gradient step
   * normalised with its minibatch's statistics and folded them in (every gradient method).
   * 'accepted-weights': candidates were evaluated with their minibatch's statistics, and once per
   * minibatch the statistics of the weights the Metropolis rule kept were folded in (ssa, sgd-sa;
   * METHODS.md).
   */
  batchNorm: z.enum(['training-steps', 'accepted-weights']).optional(),
  /**
   * Restart and SGDR runs only (absent otherwise): the snapshot ensemble's validation result,
   * the averaged softmax of the last M snapshots taken before restarts (Huang et al.; the
   * thesis's Fig. 2.3); null until the first snapshot.
   */
  ensemble: z
    .lazy(() => ensembleResultSchema)
    .nullable()
    .optional(),
  /**
   * Only the epochs the spec's `moveHistogram` names (absent otherwise): the gradient times η
   * against SSA's random move, as histograms on common bins (the thesis's Fig. 3.1, 3.2).
   */
  moveHistogram: z.lazy(() => moveHistogramSchema).optional(),
  /** Methods with `earlyStopping` only (absent otherwise): where the patience stood after this epoch. */
  earlyStopping: earlyStoppingStateSchema.optional(),
});
export type EpochRecord = z.infer<typeof epochRecordSchema>;

/** A snapshot ensemble's validation result after an epoch, and how many snapshots it averaged. */
export const ensembleResultSchema = validationResultSchema.extend({
  snapshots: count,
  /** The epochs at whose end (or within which, for a mid-epoch restart) the snapshots were taken. */
  snapshotEpochs: z.array(z.number().int().min(1)),
});
export type EnsembleResult = z.infer<typeof ensembleResultSchema>;

const histogramStatsSchema = z.object({ mean: z.number(), std: z.number(), maxAbs: z.number() });

/**
 * One parameter vector's worth of η·∇L (the gradient of one random training minibatch at the
 * epoch's end, in inference mode) and of a random move ε·N(0, 1) per weight, as SSA draws
 * them, counted on the same bins. Values beyond the outermost edges count in the end bins.
 */
export const moveHistogramSchema = z.object({
  lr: z.number(),
  epsilon: z.number(),
  parameters: count,
  /** bins + 1 edges, symmetric around 0. */
  edges: z.array(z.number()),
  gradient: z.array(count),
  move: z.array(count),
  gradientStats: histogramStatsSchema,
  moveStats: histogramStatsSchema,
});
export type MoveHistogram = z.infer<typeof moveHistogramSchema>;

/** Where and with what a run executed. */
export const runEnvironmentSchema = z.object({
  backend: z.string(),
  /** Why this backend: e.g. "tfjs-node-gpu is not installed". */
  backendReason: z.string(),
  device: z.string(),
  versions: z.object({ annealab: z.string(), node: z.string(), tfjs: z.string(), backend: z.string() }),
  os: z.string(),
  cpu: z.string(),
  /**
   * The threads the run's SIMD kernels split across and why ("auto: 16 cores ÷ 8 runs at once");
   * `count` null where the backend was not wasm (the reason says so). Absent in runs recorded
   * before the setting, which used one.
   */
  threads: z.object({ count: z.number().int().min(1).nullable(), reason: z.string() }).optional(),
  /** Where a run of the Slurm executor ran (its latest attempt, after a requeue). */
  slurm: z
    .object({
      jobId: z.string(),
      node: z.string().nullable(),
      partition: z.string().nullable(),
      restarts: z.number().int().min(0),
    })
    .optional(),
});
export type RunEnvironment = z.infer<typeof runEnvironmentSchema>;

export const runSummarySchema = z.object({
  bestEpoch: z.number().int().min(1).nullable(),
  bestValAccuracy: fraction.nullable(),
  minValLoss: z.number().nullable(),
  minValLossThesis: z.number().nullable(),
  epochs: count,
  seconds: z.number().min(0),
  /** Path of the saved best-on-validation weights, relative to the data dir. */
  bestWeightsPath: z.string().nullable(),
});
export type RunSummary = z.infer<typeof runSummarySchema>;

// The per-epoch record: what the trainer emits, the store keeps, the CLI prints with --json,
// the UI charts and the exports tabulate. One shape everywhere (DESIGN.md, "CLI").
import type { MethodId } from './ids';

export interface LossAccuracy {
  /** Mean cross-entropy over the examples. */
  loss: number;
  /** Fraction in [0, 1]. */
  accuracy: number;
}

export interface ValidationResult extends LossAccuracy {
  /**
   * The thesis's Loss column: the sum over test minibatches of the minibatch-mean
   * cross-entropy, divided by the number of test examples (about loss / batchSize).
   */
  lossThesis: number;
}

export interface Counters {
  /** Wall time since the run started, in seconds. */
  seconds: number;
  /** Cumulative forward passes over training minibatches (SSA: three per minibatch). */
  forward: number;
  /** Cumulative backward passes over training minibatches. */
  backward: number;
  /** Cumulative parameter updates (accepted moves for SSA and SGD-SA). */
  updates: number;
}

export interface MoveCounts {
  better: number;
  acceptedWorse: number;
  rejectedWorse: number;
}

/**
 * Acceptance probabilities p = exp(-Δ/T) of the worsening moves of one epoch: a faithful
 * summary plus the values themselves (all of them when there are at most `SAMPLE_LIMIT`,
 * otherwise evenly spaced ones in the order they were drawn).
 */
export interface AcceptanceSummary {
  count: number;
  mean: number | null;
  min: number | null;
  max: number | null;
  median: number | null;
  sample: number[];
  sampled: boolean;
}

export interface RestartEvent {
  epoch: number;
  /** Minibatch step (within the epoch, 1-based) at which it happened; null when checked per epoch. */
  step: number | null;
  /** The training-loss estimate that fell below restartEpsilon, on the method's loss scale. */
  estimate: number;
}

export interface EpochRecord {
  type: 'epoch';
  experimentId: string;
  runId: string;
  method: MethodId;
  label: string;
  model: string;
  seed: number;
  /** 1-based. */
  epoch: number;
  val: ValidationResult;
  /** Training estimate on `estimateBatches` random minibatches after the epoch. */
  train: LossAccuracy;
  /** The exact training loss over the whole training split, when the spec asks for it. */
  trainExact: LossAccuracy | null;
  counters: Counters;
  /** SSA and SGD-SA only. */
  moves: MoveCounts | null;
  acceptance: AcceptanceSummary | null;
  /** Temperature in force during this epoch (SSA, SGD-SA). */
  temperature: number | null;
  /** SSA's ε in force during this epoch. */
  epsilon: number | null;
  /** SSA: ε was divided by 10 at the end of this epoch. */
  epsilonDropped: boolean | null;
  /** Learning rate in force during this epoch (the gradient methods: SGD, scheduled SGD, restarts, Adam, …). */
  lr: number | null;
  /** SGD-SA: how often each learning rate of the set was drawn this epoch, keyed by the rate. */
  lrCounts: Record<string, number> | null;
  /** Restart method: total restarts so far. */
  restarts: number | null;
  /** Restart method: the restarts that happened during this epoch. */
  restartEvents: RestartEvent[] | null;
  /** True when this epoch's validation result is the best so far (its weights are kept). */
  best: boolean;
  /**
   * Batch-norm networks only (absent otherwise): how the method kept the running statistics that
   * validation and the training estimate normalise with. 'training-steps': every gradient step
   * normalised with its minibatch's statistics and folded them in (every gradient method).
   * 'accepted-weights': candidates were evaluated with their minibatch's statistics, and once per
   * minibatch the statistics of the weights the Metropolis rule kept were folded in (ssa, sgd-sa;
   * METHODS.md).
   */
  batchNorm?: 'training-steps' | 'accepted-weights';
  /** Methods with `earlyStopping` only (absent otherwise): where the patience stood after this epoch. */
  earlyStopping?: EarlyStoppingState;
}

/**
 * Early stopping after an epoch: the validation accuracy to beat by more than minDelta, the
 * epochs in a row that have not, and whether the run stopped here. A resumed run continues the
 * count from its checkpoint's record.
 */
export interface EarlyStoppingState {
  bestAccuracy: number;
  epochsWithoutImprovement: number;
  patience: number;
  stopped: boolean;
}

/** Where and with what a run executed. */
export interface RunEnvironment {
  backend: string;
  /** Why this backend: e.g. "tfjs-node-gpu is not installed". */
  backendReason: string;
  device: string;
  versions: { annealab: string; node: string; tfjs: string; backend: string };
  os: string;
  cpu: string;
  /** Where a run of the Slurm executor ran (its latest attempt, after a requeue). */
  slurm?: { jobId: string; node: string | null; partition: string | null; restarts: number };
}

export interface RunSummary {
  bestEpoch: number | null;
  bestValAccuracy: number | null;
  minValLoss: number | null;
  minValLossThesis: number | null;
  epochs: number;
  seconds: number;
  /** Path of the saved best-on-validation weights, relative to the data dir. */
  bestWeightsPath: string | null;
}

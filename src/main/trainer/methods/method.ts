// The contract every training method fulfils, so that all five share one loop
// (loop.ts) and a checkpoint can hold their state. Like optax's (init, update) pair, but
// with the parameters held as tf.Variables that a method updates in place.
import type * as tf from '@tensorflow/tfjs-core';
import type { z } from 'zod';
import type { EpochRecord, ValidationResult } from '../../../shared/records';
import type { Rng } from '../../../shared/rng';
import type { Batch } from '../data/batches';
import type { Network } from '../models';

export interface ComputeCounters {
  forward: number;
  backward: number;
  updates: number;
}

/** What the loop lends a method. */
export interface MethodContext {
  net: Network;
  /** The live weights. A method replaces their values with `assign`; it never disposes them. */
  params: tf.Variable[];
  counters: ComputeCounters;
  /** A named random stream derived from the run's seed. */
  rng(stream: string): Rng;
  /** Re-draw every weight from the run's initialisation stream (cold restarts). */
  reinitialize(): void;
  /** The training-loss estimate on fresh random minibatches, as after an epoch. */
  estimateTrain(): TrainEstimate;
  /** The same estimate read back asynchronously (what `settle` uses when `asyncReads` is set). */
  estimateTrainAsync?(): Promise<TrainEstimate>;
  /**
   * Set by the loop: a step leaves its read-backs (the host's Metropolis decision, a restart's
   * estimate, a full chunk of device records) to `settle`, which reads asynchronously. The webgpu
   * backend cannot read synchronously in Node (its dataSync needs OffscreenCanvas). Unset (a
   * method driven directly), a step reads synchronously; the numbers are the same either way.
   */
  asyncReads?: boolean;
  /**
   * Where SSA and SGD-SA take their Metropolis decision: on the host after one read-back per
   * minibatch (the default), or on the device with tf.where (device-metropolis.ts), read back
   * once per chunk of steps: the choice for a GPU, where a read-back per step stalls it.
   */
  decisions?: MetropolisPlacement;
  /** With decisions on the device: minibatches between two read-backs (default DEVICE_CHUNK). */
  deviceChunk?: number;
}

export type MetropolisPlacement = 'host' | 'device';

/**
 * The training estimate on random minibatches: mean CE and accuracy, and the same loss on the
 * thesis code's scale (Σ minibatch-mean CE / examples) that its restart threshold compares.
 */
export type TrainEstimate = ValidationResult;

/** The method-specific fields of an epoch record. */
export type MethodEpochFields = Pick<
  EpochRecord,
  | 'moves'
  | 'acceptance'
  | 'temperature'
  | 'epsilon'
  | 'epsilonDropped'
  | 'lr'
  | 'lrCounts'
  | 'restarts'
  | 'restartEvents'
>;

export const NO_METHOD_FIELDS: MethodEpochFields = {
  moves: null,
  acceptance: null,
  temperature: null,
  epsilon: null,
  epsilonDropped: null,
  lr: null,
  lrCounts: null,
  restarts: null,
  restartEvents: null,
};

export interface TrainingMethod {
  /** Called before the first minibatch of each epoch (1-based). */
  beginEpoch(epoch: number): void;
  /** One minibatch. `step` is 1-based within the epoch. */
  step(batch: Batch, step: number): void;
  /** After the epoch's validation and training estimate; returns its record fields. */
  endEpoch(epoch: number, trainEstimate: TrainEstimate): MethodEpochFields;
  /**
   * What a step left to read back (see MethodContext.asyncReads); the loop awaits it after every
   * step and, with `endOfEpoch`, once more before endEpoch. Absent where a step reads nothing.
   */
  settle?(endOfEpoch: boolean): Promise<void>;
  /** Everything needed to continue exactly where it stopped (for checkpoints), read back asynchronously. */
  saveState(): Promise<MethodState>;
  /** Restore a state saved by the same method with the same spec. */
  loadState(state: MethodState): void;
  dispose(): void;
}

export interface SavedTensor {
  name: string;
  shape: number[];
  values: Float32Array;
}

/** A method's state: plain scalars plus named tensors (momentum buffers). */
export interface MethodState {
  scalars: Record<string, number | string | boolean | null>;
  tensors: SavedTensor[];
}

/**
 * A method's scalar state read back from a checkpoint, checked against the schema the method
 * declares for it: a field left out of saveState, or a checkpoint of another method, fails here
 * by name instead of resuming with undefined.
 */
export function parseScalars<S extends z.ZodType>(
  schema: S,
  state: MethodState,
  method: string,
): z.output<S> {
  const parsed = schema.safeParse(state.scalars);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(state)'}: ${i.message}`);
  throw new Error(`the checkpoint's ${method} state does not fit this method: ${problems.join('; ')}`);
}

// 5. SGD-SA (Algorithm 7): per minibatch a learning rate drawn uniformly from the set H,
// a plain gradient step (no momentum, as the published code), and the Metropolis rule on the
// minibatch loss before and after the step. T cools after each epoch.
import * as tf from '@tensorflow/tfjs-core';
import type { LossAccuracy } from '../../../shared/records';
import type { Rng } from '../../../shared/rng';
import { resolveLrSet, type MethodSpecOf } from '../../../shared/spec';
import type { Batch } from '../data/batches';
import { RunningStats } from '../models';
import { crossEntropy } from '../objective';
import { z } from 'zod';
import {
  NO_METHOD_FIELDS,
  parseScalars,
  type MethodContext,
  type MethodEpochFields,
  type MethodState,
  type TrainingMethod,
} from './method';
import { DeviceMetropolis } from './device-metropolis';
import { metropolisDivisor, onScale } from './loss-scale';
import { cool, metropolis, MoveStats } from './metropolis';

/** What SGD-SA carries across epochs: only the temperature (its rate draws are a stream of the run). */
const sgdSaState = z.strictObject({ temperature: z.number().positive() });

export class SgdSaMethod implements TrainingMethod {
  temperature: number;
  readonly stats = new MoveStats();
  readonly lrSet: readonly number[];
  private lrCounts = new Map<number, number>();
  private readonly lrRng: Rng;
  private readonly acceptRng: Rng;
  private readonly runningStats: RunningStats;
  /** Set when the Metropolis decision is taken on the device. */
  private readonly device: DeviceMetropolis | null;

  constructor(
    private readonly ctx: MethodContext,
    private readonly spec: MethodSpecOf<'sgd-sa'>,
  ) {
    this.temperature = spec.temperature;
    this.lrSet = resolveLrSet(spec.lrSet);
    this.lrRng = ctx.rng('sgd-sa-lr');
    this.acceptRng = ctx.rng('metropolis');
    this.runningStats = new RunningStats(ctx.net);
    this.device =
      ctx.decisions === 'device'
        ? new DeviceMetropolis(this.acceptRng, this.stats, ctx.counters, ctx.deviceChunk)
        : null;
  }

  beginEpoch(_epoch: number): void {
    this.stats.reset();
    this.lrCounts = new Map();
  }

  step(batch: Batch, _step: number): void {
    const { ctx } = this;
    const lr = this.lrSet[this.lrRng.int(this.lrSet.length)]!;
    this.lrCounts.set(lr, (this.lrCounts.get(lr) ?? 0) + 1);
    // Both passes without dropout and, for batch-norm, with the minibatch's statistics, captured
    // per pass so that only the kept weights' statistics reach the running ones (METHODS.md).
    const loss = (ws: readonly tf.Tensor[], slot: number) =>
      crossEntropy(ctx.net.apply(ws, batch.x, true, this.runningStats.capture(slot)), batch.y);
    // The published code compares the losses divided by the minibatch's size (loss-scale.ts).
    const divisor = metropolisDivisor(this.spec.lossScale, batch.size, 'loss');
    if (this.device) {
      this.stepOnDevice(loss, lr, divisor);
      return;
    }
    const { candidate, values } = tf.tidy(() => {
      const { value, grads } = tf.valueAndGrads((...ws: tf.Tensor[]) => loss(ws, 0))(ctx.params);
      const next = ctx.params.map((w, i) => tf.sub(w, tf.mul(grads[i]!, lr)));
      return { candidate: next, values: tf.stack([value, loss(next, 1)]) };
    });
    const [l0, l1] = values.dataSync() as Float32Array;
    values.dispose();
    ctx.counters.forward += 2;
    ctx.counters.backward += 1;
    const decision = metropolis((l1! - l0!) / divisor, this.temperature, this.acceptRng);
    this.stats.record(decision);
    const accepted = decision.kind !== 'rejectedWorse';
    if (accepted) {
      ctx.params.forEach((w, i) => w.assign(candidate[i]!));
      ctx.counters.updates += 1;
    }
    this.runningStats.commit(accepted ? 1 : 0);
    tf.dispose(candidate);
  }

  /** The same step with the decision as tensor ops: no read-back (device-metropolis.ts). */
  private stepOnDevice(
    loss: (ws: readonly tf.Tensor[], slot: number) => tf.Scalar,
    lr: number,
    divisor: number,
  ): void {
    const { ctx } = this;
    const device = this.device!;
    tf.tidy(() => {
      const { value, grads } = tf.valueAndGrads((...ws: tf.Tensor[]) => loss(ws, 0))(ctx.params);
      const next = ctx.params.map((w, i) => tf.sub(w, tf.mul(grads[i]!, lr)));
      const taken = device.decide(onScale(value, divisor), onScale(loss(next, 1), divisor), this.temperature);
      ctx.params.forEach((w, i) => w.assign(tf.where(taken, next[i]!, w)));
      this.runningStats.commit({ if: taken, then: 1, else: 0 });
    });
    ctx.counters.forward += 2;
    ctx.counters.backward += 1;
  }

  endEpoch(_epoch: number, _train: LossAccuracy): MethodEpochFields {
    this.device?.flush(this.temperature);
    const temperature = this.temperature;
    this.temperature = cool(temperature, this.spec.cooling, this.spec.minTemperature);
    const lrCounts: Record<string, number> = {};
    for (const lr of this.lrSet) lrCounts[String(lr)] = this.lrCounts.get(lr) ?? 0;
    return {
      ...NO_METHOD_FIELDS,
      moves: { ...this.stats.counts },
      acceptance: this.stats.summary(),
      temperature,
      lrCounts,
    };
  }

  saveState(): MethodState {
    const scalars: z.input<typeof sgdSaState> = { temperature: this.temperature };
    return { scalars, tensors: [] };
  }

  loadState(state: MethodState): void {
    this.temperature = parseScalars(sgdSaState, state, 'SGD-SA').temperature;
  }

  dispose(): void {
    this.device?.dispose();
  }
}

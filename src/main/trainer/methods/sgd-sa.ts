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
import { MetropolisAcceptance } from './acceptance';
import { metropolisDivisor } from './loss-scale';
import { cool, MoveStats } from './metropolis';

/** What SGD-SA carries across epochs: only the temperature (its rate draws are a stream of the run). */
const sgdSaState = z.strictObject({ temperature: z.number().positive() });

export class SgdSaMethod implements TrainingMethod {
  temperature: number;
  readonly stats = new MoveStats();
  readonly lrSet: readonly number[];
  private lrCounts = new Map<number, number>();
  private readonly lrRng: Rng;
  private readonly runningStats: RunningStats;
  private readonly acceptance: MetropolisAcceptance;

  constructor(
    private readonly ctx: MethodContext,
    private readonly spec: MethodSpecOf<'sgd-sa'>,
  ) {
    this.temperature = spec.temperature;
    this.lrSet = resolveLrSet(spec.lrSet);
    this.lrRng = ctx.rng('sgd-sa-lr');
    this.runningStats = new RunningStats(ctx.net);
    this.acceptance = new MetropolisAcceptance(ctx, ctx.rng('metropolis'), this.stats, this.runningStats);
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
    const proposal = tf.tidy(() => {
      const { value, grads } = tf.valueAndGrads((...ws: tf.Tensor[]) => loss(ws, 0))(ctx.params);
      // A plain step, bypassing momentum, as the published code.
      const next = ctx.params.map((w, i) => tf.sub(w, tf.mul(grads[i]!, lr)));
      return { objectives: [value, loss(next, 1)], candidates: [next] };
    });
    ctx.counters.forward += 2;
    ctx.counters.backward += 1;
    // The published code compares the losses divided by the minibatch's size (loss-scale.ts).
    const divisor = metropolisDivisor(this.spec.lossScale, batch.size, 'loss');
    this.acceptance.judge(proposal, divisor, this.temperature);
  }

  settle(endOfEpoch: boolean): Promise<void> {
    return this.acceptance.settle(this.temperature, endOfEpoch);
  }

  endEpoch(_epoch: number, _train: LossAccuracy): MethodEpochFields {
    this.acceptance.flush(this.temperature);
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

  async saveState(): Promise<MethodState> {
    const scalars: z.input<typeof sgdSaState> = { temperature: this.temperature };
    return { scalars, tensors: [] };
  }

  loadState(state: MethodState): void {
    this.temperature = parseScalars(sgdSaState, state, 'SGD-SA').temperature;
  }

  dispose(): void {
    this.acceptance.dispose();
  }
}

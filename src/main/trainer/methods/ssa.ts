// 4. Stochastic Simulated Annealing (Algorithm 6): derivative-free. Per minibatch, a random
// move Δ ~ N(0, ε²) is tried in both directions, the better of w ± Δ kept if it does not
// worsen the objective, else kept with probability exp(−Δobjective/T). After each epoch T
// cools, and ε drops tenfold when fewer than `acceptedBound` of the moves were better.
import * as tf from '@tensorflow/tfjs-core';
import type { LossAccuracy } from '../../../shared/records';
import type { MethodSpecOf } from '../../../shared/spec';
import type { Batch } from '../data/batches';
import { RunningStats } from '../models';
import { accuracy, crossEntropy } from '../objective';
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
import { SymmetricMoves } from '../backend/symmetric-moves';

/** What SSA carries from one epoch to the next (the move statistics restart every epoch). */
const ssaState = z.strictObject({
  temperature: z.number().positive(),
  epsilon: z.number().positive(),
  epsilonDrops: z.number().int().min(0),
});

export class SsaMethod implements TrainingMethod {
  temperature: number;
  epsilon: number;
  readonly stats = new MoveStats();
  private readonly moves: SymmetricMoves;
  private epsilonDrops = 0;
  private readonly runningStats: RunningStats;
  private readonly acceptance: MetropolisAcceptance;

  constructor(
    private readonly ctx: MethodContext,
    private readonly spec: MethodSpecOf<'ssa'>,
  ) {
    this.temperature = spec.temperature;
    this.epsilon = spec.epsilon;
    this.moves = new SymmetricMoves(ctx.params, ctx.rng('ssa-moves'));
    this.runningStats = new RunningStats(ctx.net);
    this.acceptance = new MetropolisAcceptance(ctx, ctx.rng('metropolis'), this.stats, this.runningStats);
  }

  beginEpoch(_epoch: number): void {
    this.stats.reset();
  }

  /** The objective to minimise on a batch: the loss, or minus the accuracy. */
  private objective(ws: readonly tf.Tensor[], batch: Batch, slot: number): tf.Scalar {
    // METHODS.md: candidates are evaluated without dropout (no seed given) and, for batch-norm,
    // with the minibatch's statistics (training mode), which are captured in `slot`.
    const logits = this.ctx.net.apply(ws, batch.x, true, this.runningStats.capture(slot));
    return this.spec.objective === 'accuracy'
      ? tf.neg(accuracy(logits, batch.labels))
      : crossEntropy(logits, batch.y);
  }

  /** What the objectives' difference is divided by before the rule sees it (loss-scale.ts). */
  private divisor(batch: Batch): number {
    return metropolisDivisor(this.spec.lossScale, batch.size, this.spec.objective);
  }

  step(batch: Batch, _step: number): void {
    const { ctx } = this;
    const [plus, minus] = this.moves.draw(this.epsilon);
    ctx.counters.forward += 3;
    const objectives = tf.tidy(() => [
      this.objective(ctx.params, batch, 0),
      this.objective(plus, batch, 1),
      this.objective(minus, batch, 2),
    ]);
    this.acceptance.judge({ objectives, candidates: [plus, minus] }, this.divisor(batch), this.temperature);
  }

  settle(endOfEpoch: boolean): Promise<void> {
    return this.acceptance.settle(this.temperature, endOfEpoch);
  }

  endEpoch(_epoch: number, _train: LossAccuracy): MethodEpochFields {
    this.acceptance.flush(this.temperature);
    const temperature = this.temperature;
    const epsilon = this.epsilon;
    const betterRatio = this.stats.total > 0 ? this.stats.counts.better / this.stats.total : 1;
    const dropped = betterRatio < this.spec.acceptedBound;
    if (dropped) {
      this.epsilon = epsilon / 10;
      this.epsilonDrops += 1;
    }
    this.temperature = cool(temperature, this.spec.cooling, this.spec.minTemperature);
    return {
      ...NO_METHOD_FIELDS,
      moves: { ...this.stats.counts },
      acceptance: this.stats.summary(),
      temperature,
      epsilon,
      epsilonDropped: dropped,
    };
  }

  async saveState(): Promise<MethodState> {
    const scalars: z.input<typeof ssaState> = {
      temperature: this.temperature,
      epsilon: this.epsilon,
      epsilonDrops: this.epsilonDrops,
    };
    return { scalars, tensors: [] };
  }

  loadState(state: MethodState): void {
    ({
      temperature: this.temperature,
      epsilon: this.epsilon,
      epsilonDrops: this.epsilonDrops,
    } = parseScalars(ssaState, state, 'SSA'));
  }

  dispose(): void {
    this.acceptance.dispose();
  }
}

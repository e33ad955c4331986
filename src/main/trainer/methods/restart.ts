// 3. SGD with cold restarts (Algorithm 5): when the training-loss estimate falls below
// restartEpsilon, re-draw all weights from the run's RNG and reset the optimizer state. The
// estimate is on the spec's loss scale (loss-scale.ts): by default the published code's,
// Σ minibatch-mean CE / examples, so ε = 1e-4 at batch 64 means a mean CE below 0.0064.
// "Cold": the learning rate is not touched (a `schedule`, SGDR's warm restarts included, runs on
// by the epoch, independent of the cold restarts). The loop keeps the best-on-validation weights
// across restarts, which is the method's output.
import type { RestartEvent } from '../../../shared/records';
import type { MethodSpecOf } from '../../../shared/spec';
import type { Batch } from '../data/batches';
import { z } from 'zod';
import {
  NO_METHOD_FIELDS,
  parseScalars,
  type MethodContext,
  type MethodEpochFields,
  type MethodState,
  type TrainEstimate,
  type TrainingMethod,
} from './method';
import { restartEstimate } from './loss-scale';
import { epochLr } from './schedule';
import { SgdStepper } from './sgd-step';

/** The restart count; the momentum buffers travel as tensors (SgdStepper). */
const restartState = z.strictObject({ restarts: z.number().int().min(0) });

export class RestartMethod implements TrainingMethod {
  readonly stepper: SgdStepper;
  private restarts = 0;
  private epochEvents: RestartEvent[] = [];
  private epoch = 0;
  /** The rate of this epoch: constant unless the spec gives a schedule, which restarts do not touch. */
  private lr: number;
  /** A step whose estimate is left to `settle` (MethodContext.asyncReads). */
  private checkDue: number | null = null;

  constructor(
    private readonly ctx: MethodContext,
    private readonly spec: MethodSpecOf<'restart'>,
  ) {
    this.stepper = new SgdStepper(ctx, spec);
    this.lr = spec.lr;
  }

  beginEpoch(epoch: number): void {
    this.epoch = epoch;
    this.epochEvents = [];
    this.lr = epochLr(this.spec, epoch);
  }

  step(batch: Batch, step: number): void {
    this.stepper.step(batch, this.lr);
    const every = this.spec.checkEvery;
    if (every !== 'epoch' && step % every === 0) {
      if (this.ctx.asyncReads && this.ctx.estimateTrainAsync) this.checkDue = step;
      else this.maybeRestart(restartEstimate(this.ctx.estimateTrain(), this.spec.lossScale), step);
    }
  }

  /** The estimate a step left to read back: the same draws and decision, right after that step. */
  async settle(): Promise<void> {
    const step = this.checkDue;
    if (step === null) return;
    this.checkDue = null;
    this.maybeRestart(restartEstimate(await this.ctx.estimateTrainAsync!(), this.spec.lossScale), step);
  }

  endEpoch(_epoch: number, train: TrainEstimate): MethodEpochFields {
    if (this.spec.checkEvery === 'epoch')
      this.maybeRestart(restartEstimate(train, this.spec.lossScale), null);
    return {
      ...NO_METHOD_FIELDS,
      lr: this.lr,
      restarts: this.restarts,
      restartEvents: this.epochEvents,
    };
  }

  /** Restart exactly when the estimate (on the spec's scale, as recorded) is below ε. */
  private maybeRestart(estimate: number, step: number | null): void {
    if (!(estimate < this.spec.restartEpsilon)) return;
    this.ctx.reinitialize();
    this.stepper.reset();
    this.restarts += 1;
    this.epochEvents.push({ epoch: this.epoch, step, estimate });
  }

  async saveState(): Promise<MethodState> {
    const scalars: z.input<typeof restartState> = { restarts: this.restarts };
    return { scalars, tensors: await this.stepper.saveTensors() };
  }

  loadState(state: MethodState): void {
    this.restarts = parseScalars(restartState, state, 'restart').restarts;
    this.stepper.loadTensors(state.tensors);
  }

  dispose(): void {
    this.stepper.dispose();
  }
}

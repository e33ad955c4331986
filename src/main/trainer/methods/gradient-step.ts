// One gradient step for every gradient method: a forward and backward pass, then the method's
// update rule (update-rules.ts). Shared by sgd, scheduled-sgd, restart and the adaptive methods.
import * as tf from '@tensorflow/tfjs-core';
import { crossEntropy } from '../objective';
import type { Batch } from '../data/batches';
import { RunningStats } from '../models';
import type { MethodContext, SavedTensor } from './method';
import type { UpdateRule } from './update-rules';

export class GradientStepper {
  /** Batch-norm: a step normalises with the minibatch's statistics and keeps them (PyTorch's train mode). */
  private readonly runningStats: RunningStats;
  private readonly dropoutSeed: (() => number) | undefined;

  constructor(
    private readonly ctx: MethodContext,
    readonly rule: UpdateRule,
  ) {
    this.runningStats = new RunningStats(ctx.net);
    if (ctx.net.hasDropout) {
      const rng = ctx.rng('dropout');
      this.dropoutSeed = () => rng.uint32();
    }
  }

  /** One forward + backward pass and one update; no host read-back. */
  step(batch: Batch, lr: number): void {
    const { ctx } = this;
    tf.tidy(() => {
      const pass = this.runningStats.capture(0, { dropoutSeed: this.dropoutSeed });
      const { grads } = tf.valueAndGrads((...ws: tf.Tensor[]) =>
        crossEntropy(ctx.net.apply(ws, batch.x, true, pass), batch.y),
      )(ctx.params);
      this.rule.apply(ctx.params, grads, lr);
    });
    this.runningStats.commit(0);
    ctx.counters.forward += 1;
    ctx.counters.backward += 1;
    ctx.counters.updates += 1;
  }

  /** Forget the optimizer's buffers and step count (a cold restart resets the optimizer state). */
  reset(): void {
    this.rule.reset();
  }

  /** The optimizer's buffers, for a checkpoint (none before the first step or right after a reset). */
  saveTensors(): Promise<SavedTensor[]> {
    return this.rule.saveTensors();
  }

  loadTensors(tensors: readonly SavedTensor[]): void {
    this.rule.loadTensors(tensors, this.ctx.params);
  }

  /** True while optimizer buffers exist: lets tests see that a restart cleared them. */
  hasState(): boolean {
    return this.rule.hasState();
  }

  dispose(): void {
    this.rule.reset();
  }
}

// Plain (momentum) SGD with PyTorch's semantics, shared by sgd, scheduled-sgd and restart: one
// forward and backward pass, then the update of backend/sgd-update.ts.
import * as tf from '@tensorflow/tfjs-core';
import { crossEntropy } from '../objective';
import type { Batch } from '../data/batches';
import { RunningStats } from '../models';
import type { MethodContext, SavedTensor } from './method';
import { sgdUpdate } from '../backend/sgd-update';

export interface SgdOptions {
  momentum: number;
  nesterov: boolean;
  weightDecay: number;
}

export class SgdStepper {
  private velocity: tf.Variable[] | null = null;
  /** Batch-norm: a step normalises with the minibatch's statistics and keeps them (PyTorch's train mode). */
  private readonly runningStats: RunningStats;
  private readonly dropoutSeed: (() => number) | undefined;

  constructor(
    private readonly ctx: MethodContext,
    private readonly options: SgdOptions,
  ) {
    this.runningStats = new RunningStats(ctx.net);
    if (ctx.net.hasDropout) {
      const rng = ctx.rng('dropout');
      this.dropoutSeed = () => rng.uint32();
    }
  }

  /** One forward + backward pass and one update; no host read-back. */
  step(batch: Batch, lr: number): void {
    const { ctx, options } = this;
    const { momentum, nesterov, weightDecay } = options;
    if (momentum > 0 && !this.velocity) {
      this.velocity = tf.tidy(() => ctx.params.map((p) => tf.variable(tf.zerosLike(p), false)));
    }
    tf.tidy(() => {
      const pass = this.runningStats.capture(0, { dropoutSeed: this.dropoutSeed });
      const { grads } = tf.valueAndGrads((...ws: tf.Tensor[]) =>
        crossEntropy(ctx.net.apply(ws, batch.x, true, pass), batch.y),
      )(ctx.params);
      ctx.params.forEach((w, i) =>
        sgdUpdate(w, grads[i]!, this.velocity?.[i] ?? null, { lr, momentum, nesterov, weightDecay }),
      );
    });
    this.runningStats.commit(0);
    ctx.counters.forward += 1;
    ctx.counters.backward += 1;
    ctx.counters.updates += 1;
  }

  /** Forget the momentum buffers (a cold restart resets the optimizer state). */
  reset(): void {
    if (this.velocity) tf.dispose(this.velocity);
    this.velocity = null;
  }

  /** The momentum buffers, for a checkpoint (none before the first step or right after a reset). */
  saveTensors(): SavedTensor[] {
    return (this.velocity ?? []).map((v, i) => ({
      name: `velocity.${i}`,
      shape: [...v.shape],
      values: v.dataSync() as Float32Array,
    }));
  }

  loadTensors(tensors: readonly SavedTensor[]): void {
    this.reset();
    const buffers = tensors.filter((t) => t.name.startsWith('velocity.'));
    if (buffers.length === 0) return;
    if (buffers.length !== this.ctx.params.length) {
      throw new Error(
        `checkpoint has ${buffers.length} momentum buffers for ${this.ctx.params.length} parameters`,
      );
    }
    this.velocity = tf.tidy(() => buffers.map((b) => tf.variable(tf.tensor(b.values, b.shape), false)));
  }

  /** True while momentum buffers exist: lets tests see that a restart cleared them. */
  hasState(): boolean {
    return this.velocity !== null;
  }

  dispose(): void {
    this.reset();
  }
}

// The one Metropolis acceptance of SSA and SGD-SA (Algorithms 6 and 7): a method proposes one or
// two candidate weight sets with their objectives on the minibatch, and this keeps the better
// candidate if it does not worsen the objective, or else with probability exp(−Δ/T), Δ on the
// spec's loss scale (loss-scale.ts). It also keeps the batch-norm running statistics of the
// weights the step ends with, and counts the update.
//
// Placed on the host (one read-back of the objectives per minibatch, the decision in float64) or
// on the device (tf.where, read back once per chunk: device-metropolis.ts), with the same
// decisions from the same random stream either way.
import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../../../shared/rng';
import type { RunningStats, SlotChoice } from '../models';
import { DeviceMetropolis } from './device-metropolis';
import { onScale } from './loss-scale';
import type { MethodContext } from './method';
import { metropolis, type MoveStats } from './metropolis';

/**
 * One step's move, as tensors the acceptance disposes. `objectives[0]` is at the current weights,
 * `objectives[k + 1]` at `candidates[k]`; each pass's running statistics were captured in the slot
 * of the same index. Of two candidates the first is proposed unless the second is strictly better.
 */
export interface Proposal {
  objectives: tf.Scalar[];
  candidates: tf.Tensor[][];
}

export class MetropolisAcceptance {
  /** Set when the decision is taken on the device. */
  private readonly device: DeviceMetropolis | null;
  /** A host decision left to `settle` (MethodContext.asyncReads), with what it needs. */
  private pending: { proposal: Proposal; divisor: number; temperature: number } | null = null;

  constructor(
    private readonly ctx: MethodContext,
    private readonly rng: Rng,
    private readonly stats: MoveStats,
    private readonly runningStats: RunningStats,
  ) {
    this.device =
      ctx.decisions === 'device' ? new DeviceMetropolis(rng, stats, ctx.counters, ctx.deviceChunk) : null;
  }

  /** Keep a candidate or the current weights, at temperature T; Δ is divided by `divisor` first. */
  judge(proposal: Proposal, divisor: number, temperature: number): void {
    if (!this.device && this.ctx.asyncReads) {
      // The host needs the objectives: decided in settle, right after this step.
      this.pending = { proposal, divisor, temperature };
      return;
    }
    try {
      if (this.device) this.judgeOnDevice(proposal, divisor, temperature);
      else {
        // One read-back for every objective: the host decides, the device computes.
        const values = tf.tidy(() => tf.stack(proposal.objectives));
        const f = values.dataSync() as Float32Array;
        values.dispose();
        this.decideOnHost(f, proposal.candidates, divisor, temperature);
      }
    } finally {
      disposeProposal(proposal);
    }
  }

  /**
   * What a step left to read back: a host decision, or a device chunk whose uniforms are used up;
   * with `endOfEpoch`, every pending device record. Reads asynchronously; the same decisions.
   */
  async settle(temperature: number, endOfEpoch: boolean): Promise<void> {
    if (this.device) {
      if (endOfEpoch || this.device.full) await this.device.flushAsync(temperature);
      return;
    }
    const pending = this.pending;
    if (pending === null) return;
    this.pending = null;
    const { proposal } = pending;
    try {
      const values = tf.tidy(() => tf.stack(proposal.objectives));
      const f = (await values.data()) as Float32Array;
      values.dispose();
      this.decideOnHost(f, proposal.candidates, pending.divisor, pending.temperature);
    } finally {
      disposeProposal(proposal);
    }
  }

  /** The host rule on the read-back objectives `f` (float64 arithmetic). */
  private decideOnHost(
    f: Float32Array,
    candidates: tf.Tensor[][],
    divisor: number,
    temperature: number,
  ): void {
    const k = candidates.length > 1 && !(f[1]! <= f[2]!) ? 1 : 0;
    const decision = metropolis((f[k + 1]! - f[0]!) / divisor, temperature, this.rng);
    this.stats.record(decision);
    const accepted = decision.kind !== 'rejectedWorse';
    if (accepted) {
      this.ctx.params.forEach((w, i) => w.assign(candidates[k]![i]!));
      this.ctx.counters.updates += 1;
    }
    // Running statistics from the weights the step ends with only (METHODS.md).
    this.runningStats.commit(accepted ? k + 1 : 0);
  }

  /** The same rule as tensor ops: no read-back in this step (device-metropolis.ts). */
  private judgeOnDevice({ objectives, candidates }: Proposal, divisor: number, temperature: number): void {
    const device = this.device!;
    tf.tidy(() => {
      const [current, first, second] = objectives;
      // The better candidate, chosen on the device: `useFirst` unless the second is strictly better.
      const useFirst = second ? tf.lessEqual(first!, second) : null;
      const candidate = useFirst ? tf.where(useFirst, first!, second!) : first!;
      const taken = device.decide(onScale(current!, divisor), onScale(candidate, divisor), temperature);
      this.ctx.params.forEach((w, i) => {
        const proposed = useFirst
          ? tf.where(useFirst, candidates[0]![i]!, candidates[1]![i]!)
          : candidates[0]![i]!;
        w.assign(tf.where(taken, proposed, w));
      });
      const kept: SlotChoice = useFirst ? { if: useFirst, then: 1, else: 2 } : 1;
      this.runningStats.commit({ if: taken, then: kept, else: 0 });
    });
  }

  /** Read the device's pending records into the statistics (the epoch's end); no-op on the host. */
  flush(temperature: number): void {
    this.device?.flush(temperature);
  }

  dispose(): void {
    if (this.pending) disposeProposal(this.pending.proposal);
    this.pending = null;
    this.device?.dispose();
  }
}

function disposeProposal(proposal: Proposal): void {
  tf.dispose(proposal.objectives);
  tf.dispose(proposal.candidates);
}

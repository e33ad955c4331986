// Snapshot ensembles (Huang et al., "Snapshot Ensembles: Train 1, get M for free"; the thesis's
// Fig. 2.3): keep the weights a run reaches just before each restart (a cold restart of the
// restart method, or the end of an SGDR cycle), and score the ensemble of the last M of them
// on validation by their averaged softmax. The snapshots are taken, not trained: the run's
// own weights and output (its best-on-validation weights) are untouched.
import * as tf from '@tensorflow/tfjs-core';
import type { EnsembleResult, ValidationResult } from '../../shared/records';
import { DEFAULT_SNAPSHOT_ENSEMBLE, type MethodSpec } from '../../shared/spec';
import { disposeBatch, gatherBatch, sequentialBatches, type DeviceSplit } from './data/batches';
import { sgdrCycle } from './methods/schedule';
import type { SavedTensor } from './methods';
import { bindBuffers, type Network } from './models';

/** One member of an ensemble: parameters and, with batch-norm, the running statistics they were validated with. */
export interface EnsembleMember {
  params: readonly tf.Tensor[];
  buffers: readonly tf.Variable[];
}

/**
 * Loss and accuracy of the averaged softmax of `members` over `split`, in inference mode: the
 * loss is the cross-entropy of the averaged probabilities, `lossThesis` on the thesis code's
 * scale (Σ minibatch-mean CE / examples), as `evaluateBatches` reports a single network.
 */
export async function evaluateEnsemble(
  net: Network,
  members: readonly EnsembleMember[],
  split: DeviceSplit,
  batchSize: number,
): Promise<ValidationResult> {
  if (members.length === 0) throw new Error('an ensemble needs at least one member');
  const nets = members.map((m) => (net.buffers.length > 0 ? bindBuffers(net, [...m.buffers]) : net));
  let examples = 0;
  const sums = tf.tidy(() => {
    let weightedLoss: tf.Tensor = tf.scalar(0);
    let meanLossSum: tf.Tensor = tf.scalar(0);
    let correct: tf.Tensor = tf.scalar(0);
    for (const indices of sequentialBatches(split.count, batchSize)) {
      const batch = gatherBatch(split, indices);
      let probs: tf.Tensor = tf.zerosLike(batch.y);
      members.forEach((m, k) => {
        probs = tf.add(probs, tf.softmax(nets[k]!.apply(m.params as tf.Tensor[], batch.x, false)));
      });
      probs = tf.div(probs, members.length);
      // log of a probability that underflowed to 0 would be -∞; float32's smallest normal bounds it.
      const logP = tf.log(tf.maximum(probs, 1.1754944e-38));
      const ce = tf.neg(tf.mean(tf.sum(tf.mul(batch.y, logP), 1)));
      weightedLoss = tf.add(weightedLoss, tf.mul(ce, batch.size));
      meanLossSum = tf.add(meanLossSum, ce);
      correct = tf.add(correct, tf.sum(tf.cast(tf.equal(tf.argMax(probs, 1), batch.labels), 'float32')));
      examples += batch.size;
      disposeBatch(batch);
    }
    return tf.stack([weightedLoss, meanLossSum, correct]);
  });
  // Read back asynchronously: webgpu cannot read synchronously in Node.
  const [weighted, meanSum, right] = (await sums.data()) as Float32Array;
  sums.dispose();
  return { loss: weighted! / examples, accuracy: right! / examples, lossThesis: meanSum! / examples };
}

/** Whether a run keeps a snapshot ensemble: the restart method, and any method on an SGDR schedule. */
export function keepsSnapshots(m: MethodSpec): boolean {
  return m.id === 'restart' || ('schedule' in m && m.schedule?.kind === 'sgdr');
}

/** SGDR restarts the rate after `epoch` when the epoch is the last of its cycle. */
export function endsSgdrCycle(m: MethodSpec, epoch: number): boolean {
  if (!('schedule' in m) || m.schedule?.kind !== 'sgdr') return false;
  const { tCur, tI } = sgdrCycle(m.schedule.t0, m.schedule.tMult, epoch);
  return tCur === tI - 1;
}

/** The snapshots of one run (the last `size` of them) and the ensemble's latest score. */
export class SnapshotEnsemble {
  private members: { params: tf.Tensor[]; buffers: tf.Variable[]; epoch: number }[] = [];
  private scored: EnsembleResult | null = null;

  constructor(
    private readonly net: Network,
    readonly size: number = DEFAULT_SNAPSHOT_ENSEMBLE,
  ) {}

  get count(): number {
    return this.members.length;
  }

  /** Copy the weights as they are now (before a restart re-draws or re-warms them). */
  take(params: readonly tf.Tensor[], buffers: readonly tf.Tensor[], epoch: number): void {
    this.members.push({
      params: params.map((p) => tf.keep(p.clone())),
      buffers: tf.tidy(() => buffers.map((b) => tf.variable(b.clone(), false))),
      epoch,
    });
    while (this.members.length > this.size) {
      const old = this.members.shift()!;
      tf.dispose([...old.params, ...old.buffers]);
    }
    this.scored = null;
  }

  /** The ensemble's validation result; scored again only after a new snapshot. Null before the first. */
  async result(split: DeviceSplit, batchSize: number): Promise<EnsembleResult | null> {
    if (this.members.length === 0) return null;
    this.scored ??= {
      ...(await evaluateEnsemble(this.net, this.members, split, batchSize)),
      snapshots: this.members.length,
      snapshotEpochs: this.members.map((m) => m.epoch),
    };
    return this.scored;
  }

  /** For a checkpoint: every member's parameters then buffers, in order, and their epochs. */
  async saved(
    save: (specs: readonly { name: string }[], t: readonly tf.Tensor[]) => Promise<SavedTensor[]>,
  ): Promise<{ epochs: number[]; tensors: SavedTensor[] }> {
    const tensors: SavedTensor[] = [];
    for (const m of this.members) {
      tensors.push(...(await save(this.net.params, m.params)), ...(await save(this.net.buffers, m.buffers)));
    }
    return { epochs: this.members.map((m) => m.epoch), tensors };
  }

  /** As a checkpoint left it. */
  static resumed(
    net: Network,
    size: number,
    saved: { epochs: number[]; tensors: readonly SavedTensor[] } | undefined,
  ): SnapshotEnsemble {
    const e = new SnapshotEnsemble(net, size);
    if (!saved) return e;
    const per = net.params.length + net.buffers.length;
    saved.epochs.forEach((epoch, k) => {
      const group = saved.tensors.slice(k * per, (k + 1) * per);
      if (group.length !== per) throw new Error(`the checkpoint's snapshot ${k + 1} is incomplete`);
      tf.tidy(() => {
        const t = group.map((s) => tf.tensor(s.values, s.shape));
        e.take(t.slice(0, net.params.length), t.slice(net.params.length), epoch);
      });
    });
    return e;
  }

  dispose(): void {
    for (const m of this.members) tf.dispose([...m.params, ...m.buffers]);
    this.members = [];
  }
}

// The output of every method (Algorithms 2, 5, 6, 7, last line): the weights that scored best on
// validation at the end of some epoch, with the batch-norm running statistics they were
// validated with, and the minimum validation losses the tables report.
import * as tf from '@tensorflow/tfjs-core';
import type { ValidationResult } from '../../shared/records';
import type { ModelId } from '../../shared/ids';
import type { Checkpoint } from './checkpoint';
import type { InputShape, Network } from './models';
import type { SavedTensor } from './methods';
import { writeWeightsFile } from './weights-file';

export interface BestSoFar {
  best: { accuracy: number; loss: number } | null;
  bestEpoch: number | null;
  minValLoss: number | null;
  minValLossThesis: number | null;
}

export class BestWeights implements BestSoFar {
  best: { accuracy: number; loss: number } | null = null;
  bestEpoch: number | null = null;
  minValLoss: number | null = null;
  minValLossThesis: number | null = null;
  /** Best-on-validation parameters (kept tensors), null before the first epoch. */
  weights: tf.Tensor[] | null = null;
  /** Their batch-norm running statistics; null for a network without batch-norm. */
  buffers: tf.Variable[] | null = null;

  constructor(private readonly net: Network) {}

  /** As a checkpoint left them. */
  static resumed(net: Network, resume: Checkpoint | undefined): BestWeights {
    const b = new BestWeights(net);
    if (!resume) return b;
    const { state, bestWeights } = resume;
    if (bestWeights.length > 0) {
      b.weights = bestWeights.slice(0, net.params.length).map((w) => tf.keep(tf.tensor(w.values, w.shape)));
      if (net.buffers.length > 0) {
        b.buffers = tf.tidy(() =>
          bestWeights.slice(net.params.length).map((t) => tf.variable(tf.tensor(t.values, t.shape), false)),
        );
      }
    }
    b.best = state.best ? { accuracy: state.best.accuracy, loss: state.best.loss } : null;
    b.bestEpoch = state.best?.epoch ?? null;
    b.minValLoss = state.minValLoss;
    b.minValLossThesis = state.minValLossThesis;
    return b;
  }

  /**
   * Take this epoch's validation result into account; true when these weights are the best so
   * far (higher accuracy, or the same accuracy at a lower loss), in which case they are copied.
   */
  consider(
    epoch: number,
    val: ValidationResult,
    params: readonly tf.Tensor[],
    buffers: readonly tf.Tensor[],
  ) {
    const { best } = this;
    const isBest =
      best === null ||
      val.accuracy > best.accuracy ||
      (val.accuracy === best.accuracy && val.loss < best.loss);
    if (isBest) {
      if (this.weights) tf.dispose(this.weights);
      this.weights = params.map((p) => tf.keep(p.clone()));
      if (this.net.buffers.length > 0) {
        if (this.buffers) tf.dispose(this.buffers);
        this.buffers = tf.tidy(() => buffers.map((b) => tf.variable(b.clone(), false)));
      }
      this.best = { accuracy: val.accuracy, loss: val.loss };
      this.bestEpoch = epoch;
    }
    this.minValLoss = this.minValLoss === null ? val.loss : Math.min(this.minValLoss, val.loss);
    this.minValLossThesis =
      this.minValLossThesis === null ? val.lossThesis : Math.min(this.minValLossThesis, val.lossThesis);
    return isBest;
  }

  /** For a checkpoint: the parameters, then the batch-norm buffers (none before the first epoch). */
  async saved(
    save: (specs: readonly { name: string }[], tensors: readonly tf.Tensor[]) => Promise<SavedTensor[]>,
  ): Promise<SavedTensor[]> {
    return this.weights
      ? [
          ...(await save(this.net.params, this.weights)),
          ...(await save(this.net.buffers, this.buffers ?? [])),
        ]
      : [];
  }

  /** The checkpoint's record of the best epoch. */
  get bestState(): Checkpoint['state']['best'] {
    return this.best && this.bestEpoch !== null ? { ...this.best, epoch: this.bestEpoch } : null;
  }

  dispose(): void {
    if (this.weights) tf.dispose(this.weights);
    if (this.buffers) tf.dispose(this.buffers);
    this.weights = null;
    this.buffers = null;
  }
}

/**
 * The run's output file (docs/weights-format.md): the best weights with the batch-norm running
 * statistics they were validated with, so that loading them gives the recorded validation result.
 */
export async function writeBestWeights(
  path: string,
  model: ModelId,
  data: { input: InputShape; numClasses: number },
  outcome: {
    net: Pick<Network, 'params' | 'buffers'>;
    bestWeights: readonly tf.Tensor[];
    bestBuffers: readonly tf.Tensor[] | null;
    bestEpoch: number | null;
    best: { accuracy: number; loss: number } | null;
  },
): Promise<void> {
  // Read back asynchronously: webgpu cannot read synchronously in Node.
  const saved = (specs: readonly { name: string }[], tensors: readonly tf.Tensor[]): Promise<SavedTensor[]> =>
    Promise.all(
      tensors.map(async (t, i) => ({
        name: specs[i]!.name,
        shape: [...t.shape],
        values: (await t.data()) as Float32Array,
      })),
    );
  const [params, buffers] = [
    await saved(outcome.net.params, outcome.bestWeights),
    await saved(outcome.net.buffers, outcome.bestBuffers ?? []),
  ];
  writeWeightsFile(path, {
    meta: {
      format: 'annealab-weights',
      version: 1,
      model,
      input: { height: data.input.height, width: data.input.width, channels: data.input.channels },
      numClasses: data.numClasses,
      dtype: 'float32',
      byteOrder: 'little-endian',
      kind: 'best',
      epoch: outcome.bestEpoch,
      validation: outcome.best,
      buffers: 'included',
      notes: [],
    },
    params,
    buffers,
  });
}

// SSA's candidate pair for a minibatch: w + Δ and w − Δ with Δ ~ N(0, ε²) for every weight,
// drawn from the run's 'ssa-moves' stream. On the wasm backend one kernel draws Δ and writes both
// candidates where the tensors live (backend/simd/kernels.ts); elsewhere Δ is drawn in JS
// (Rng.fillNormal), uploaded, then added and subtracted. Both give the same numbers, so a run
// does not depend on which one drew its moves. It lives with the backends so that SSA itself never
// asks which backend runs.
import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { Rng } from '../../../shared/rng';
import { normalMovesSimd } from './simd/kernels';

export type MoveGenerator = 'wasm' | 'js';

export class SymmetricMoves {
  /** Host buffer for Δ on the JS path, made on first use: one fill per step, a view per weight. */
  private noise: { all: Float32Array; views: Float32Array[] } | null = null;

  constructor(
    private readonly params: readonly tf.Tensor[],
    private readonly rng: Rng,
    private readonly generator: MoveGenerator = tf.getBackend() === 'wasm' ? 'wasm' : 'js',
  ) {}

  /** [w + Δ per weight, w − Δ per weight]: new tensors, the caller's to dispose. */
  draw(std: number): [tf.Tensor[], tf.Tensor[]] {
    if (this.generator === 'wasm') {
      const { plus, minus } = normalMovesSimd(tf.backend() as BackendWasm, this.params, std, this.rng);
      const tensor = (t: tf.TensorInfo) => tf.engine().makeTensorFromTensorInfo(t);
      return [plus.map(tensor), minus.map(tensor)];
    }
    const noise = (this.noise ??= this.hostBuffer());
    this.rng.fillNormal(noise.all, std);
    return tf.tidy(() => {
      const deltas = noise.views.map((d, i) => tf.tensor(d, this.params[i]!.shape));
      return [
        this.params.map((w, i) => tf.add(w, deltas[i]!)),
        this.params.map((w, i) => tf.sub(w, deltas[i]!)),
      ];
    });
  }

  private hostBuffer(): { all: Float32Array; views: Float32Array[] } {
    const all = new Float32Array(this.params.reduce((n, p) => n + p.size, 0));
    let offset = 0;
    return { all, views: this.params.map((p) => all.subarray(offset, (offset += p.size))) };
  }
}

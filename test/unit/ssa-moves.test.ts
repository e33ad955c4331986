// SSA's moves on the wasm backend come from our own wasm generator; they must be exactly the
// moves the JS generator (Rng.fillNormal + tf.add / tf.sub) gives, and leave the stream where
// it leaves it, or a run would depend on which backend drew its moves.
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../src/shared/rng';
import { initBackend } from '../../src/main/trainer/backend/select';
import { SymmetricMoves } from '../../src/main/trainer/backend/symmetric-moves';
import type { MoveGenerator } from '../../src/main/trainer/backend/symmetric-moves';
import { values } from '../helpers/values';

// Enough values that the ziggurat's slow paths run many times (≈ 1.5 % of draws take a wedge,
// ≈ 0.03 % the tail beyond R), in tensors of odd sizes, one of them empty.
const SHAPES = [[300, 401], [7], [0, 3], [5, 5, 3, 11]];
const R = 3.6541528853610088;

beforeAll(async () => {
  await initBackend('wasm');
});

function draw(generator: MoveGenerator, stds: number[]) {
  const rng = Rng.fromSeed(42, 'ssa-moves');
  const params = SHAPES.map((shape, i) =>
    tf.tensor(
      values(
        shape.reduce((a, b) => a * b, 1),
        i + 1,
      ),
      shape,
    ),
  );
  const moves = new SymmetricMoves(params, rng, generator);
  const draws = stds.map((std) => {
    const [plus, minus] = moves.draw(std);
    const out = {
      plus: plus.map((t) => (t.dataSync() as Float32Array).slice()),
      minus: minus.map((t) => (t.dataSync() as Float32Array).slice()),
    };
    tf.dispose([...plus, ...minus]);
    return out;
  });
  const weights = params.map((p) => (p.dataSync() as Float32Array).slice());
  tf.dispose(params);
  return { draws, weights, state: rng.getState() };
}

const sameBits = (a: Float32Array, b: Float32Array): boolean =>
  a.length === b.length && Buffer.compare(Buffer.from(a.buffer), Buffer.from(b.buffer)) === 0;

describe('SSA moves on wasm', () => {
  it('are bit for bit the JS generator’s, and leave the stream in the same state', () => {
    const before = tf.memory().numTensors;
    const stds = [0.05, 0.05, 1e-3];
    const wasm = draw('wasm', stds);
    const js = draw('js', stds);
    expect(tf.memory().numTensors).toBe(before);
    expect(wasm.state).toEqual(js.state);
    for (let d = 0; d < stds.length; d++) {
      for (let t = 0; t < SHAPES.length; t++) {
        expect(sameBits(wasm.draws[d]!.plus[t]!, js.draws[d]!.plus[t]!)).toBe(true);
        expect(sameBits(wasm.draws[d]!.minus[t]!, js.draws[d]!.minus[t]!)).toBe(true);
      }
    }
    // The draws did exercise the tail beyond R (the rarest path), and w ± Δ are symmetric.
    const big = wasm.draws[0]!.plus[0]!.filter((p, i) => Math.abs(p - wasm.weights[0]![i]!) > R * 0.05);
    expect(big.length).toBeGreaterThan(0);
    const w = wasm.weights[0]!;
    const { plus, minus } = wasm.draws[0]!;
    expect(Math.abs(plus[0]![10]! - w[10]! - (w[10]! - minus[0]![10]!))).toBeLessThan(1e-6);
  });

  it('are N(0, ε²): mean ≈ 0 and standard deviation ≈ ε over 120,000 draws', () => {
    const { draws, weights } = draw('wasm', [0.2]);
    const deltas = Array.from(draws[0]!.plus[0]!, (p, i) => p - weights[0]![i]!);
    const mean = deltas.reduce((a, b) => a + b, 0) / deltas.length;
    const sd = Math.sqrt(deltas.reduce((a, b) => a + (b - mean) ** 2, 0) / deltas.length);
    expect(Math.abs(mean)).toBeLessThan((4 * 0.2) / Math.sqrt(deltas.length));
    expect(Math.abs(sd - 0.2)).toBeLessThan(0.002);
  });
});

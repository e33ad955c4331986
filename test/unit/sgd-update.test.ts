// On wasm, an SGD step's update is one SIMD kernel per weight tensor (sgdUpdate in
// backend/simd/wat.ts). It must give exactly what the tf ops of backend/sgd-update.ts give on
// other backends, for every combination of options, so that runs do not change with it.
import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/main/trainer/backend/select';
import { sgdUpdateSimd } from '../../src/main/trainer/backend/simd/kernels';
import { sgdUpdate } from '../../src/main/trainer/backend/sgd-update';
import { values } from '../helpers/values';

beforeAll(async () => {
  await initBackend('wasm');
});

/** The update as plain tf ops: g ← g + λw; v ← βv + g; d ← nesterov ? g + βv : v; w ← w − ηd. */
function withOps(w: tf.Tensor, g: tf.Tensor, v: tf.Tensor | null, o: Options): [tf.Tensor, tf.Tensor | null] {
  if (o.weightDecay > 0) g = tf.add(g, tf.mul(w, o.weightDecay));
  let vNext: tf.Tensor | null = null;
  if (v) {
    vNext = tf.add(tf.mul(v, o.momentum), g);
    g = o.nesterov ? tf.add(g, tf.mul(vNext, o.momentum)) : vNext;
  }
  return [tf.sub(w, tf.mul(g, o.lr)), vNext];
}

interface Options {
  lr: number;
  momentum: number;
  nesterov: boolean;
  weightDecay: number;
}

const bits = (t: tf.Tensor) => Array.from(new Uint32Array((t.dataSync() as Float32Array).slice().buffer));

describe('the SGD update kernel on wasm', () => {
  const options: Options[] = [
    { lr: 0.1, momentum: 0, nesterov: false, weightDecay: 0 },
    { lr: 0.01, momentum: 0.9, nesterov: false, weightDecay: 0 },
    { lr: 0.01, momentum: 0.9, nesterov: true, weightDecay: 0 },
    { lr: 0.05, momentum: 0, nesterov: false, weightDecay: 5e-4 },
    { lr: 0.003, momentum: 0.5, nesterov: true, weightDecay: 1e-4 },
  ];
  for (const o of options) {
    // Sizes around whole vectors of four: the scalar tail and the empty cases too.
    it(`η ${o.lr}, β ${o.momentum}${o.nesterov ? ' Nesterov' : ''}, λ ${o.weightDecay}: bit for bit the tf ops`, () => {
      tf.tidy(() => {
        for (const n of [0, 1, 3, 4, 7, 1001]) {
          const w = tf.tensor(values(n, 1), [n]);
          const g = tf.tensor(values(n, 2), [n]);
          const v = o.momentum > 0 ? tf.tensor(values(n, 3), [n]) : null;
          const [wWant, vWant] = withOps(w, g, v, o);
          const got = sgdUpdateSimd(tf.backend() as BackendWasm, w, g, v, o);
          expect(bits(tf.engine().makeTensorFromTensorInfo(got.w))).toEqual(bits(wWant));
          if (vWant) expect(bits(tf.engine().makeTensorFromTensorInfo(got.v!))).toEqual(bits(vWant));
          else expect(got.v).toBeNull();
          // …and it moved the weights (unless there were none).
          if (n > 0) expect(bits(wWant)).not.toEqual(bits(w));
        }
      });
    });
  }
});

describe('sgdUpdate, the one function the methods call', () => {
  const o: Options = { lr: 0.003, momentum: 0.5, nesterov: true, weightDecay: 1e-4 };
  /** w and v after three updates on the current backend, as bits. */
  function threeSteps(momentum: boolean) {
    // Variables outlive tidy; the tensors they start from do not.
    const w = tf.tidy(() => tf.variable(tf.tensor(values(1001, 1), [1001])));
    const v = momentum ? tf.tidy(() => tf.variable(tf.tensor(values(1001, 3), [1001]))) : null;
    for (let k = 0; k < 3; k++) {
      const g = tf.tensor(values(1001, 10 + k), [1001]);
      sgdUpdate(w, g, v, o);
      g.dispose();
    }
    const out = { w: bits(w), v: v ? bits(v) : null };
    tf.dispose([w, ...(v ? [v] : [])]);
    return out;
  }

  it('gives the same bits on wasm (SIMD) and on cpu (tf ops), and leaks no tensor', async () => {
    for (const momentum of [false, true]) {
      const before = tf.memory().numTensors;
      const wasm = threeSteps(momentum);
      expect(tf.memory().numTensors).toBe(before);
      await tf.setBackend('cpu');
      try {
        const cpu = threeSteps(momentum);
        expect(cpu.w).toEqual(wasm.w);
        expect(cpu.v).toEqual(wasm.v);
      } finally {
        await tf.setBackend('wasm');
      }
    }
  });
});

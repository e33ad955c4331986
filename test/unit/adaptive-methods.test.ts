// Adam, AdamW, RMSprop and Adagrad: PyTorch's defaults, steps computed by hand, steps computed by
// PyTorch itself, and their state through a checkpoint.
import * as tf from '@tensorflow/tfjs-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { EpochRecord } from '../../src/shared/records';
import { validateSpec } from '../../src/shared/spec';
import { readCheckpoint, writeCheckpoint, type Checkpoint } from '../../src/main/trainer/checkpoint';
import { trainRun, type RunPlan } from '../../src/main/trainer/loop';
import { createMethod } from '../../src/main/trainer/methods';
import { updateRuleFor, type GradientSpec } from '../../src/main/trainer/methods/update-rules';
import { crossEntropy } from '../../src/main/trainer/objective';
import { disposeBatch } from '../../src/main/trainer/data/batches';
import {
  methodSpec,
  sameWeights,
  syntheticData,
  tinyContext,
  tinySpec,
  SUITE_BACKENDS,
  useBackend,
  type TinyContext,
} from '../helpers/tiny-training';

let t: TinyContext;
afterEach(() => t?.dispose());

describe('adaptive methods: the spec', () => {
  it("fills PyTorch 1.13's defaults", () => {
    const r = validateSpec({
      name: 'x',
      dataset: { id: 'mnist' },
      models: ['mlp'],
      methods: [{ id: 'adam' }, { id: 'adamw' }, { id: 'rmsprop' }, { id: 'adagrad' }],
    });
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    const [adam, adamw, rmsprop, adagrad] = r.spec.methods;
    expect(adam).toEqual({
      id: 'adam',
      lr: 1e-3,
      betas: [0.9, 0.999],
      eps: 1e-8,
      weightDecay: 0,
      amsgrad: false,
    });
    expect(adamw).toEqual({ ...adam, id: 'adamw', weightDecay: 1e-2 });
    expect(rmsprop).toEqual({
      id: 'rmsprop',
      lr: 1e-2,
      alpha: 0.99,
      eps: 1e-8,
      weightDecay: 0,
      momentum: 0,
      centered: false,
    });
    expect(adagrad).toEqual({
      id: 'adagrad',
      lr: 1e-2,
      lrDecay: 0,
      eps: 1e-10,
      weightDecay: 0,
      initialAccumulatorValue: 0,
    });
  });

  it('refuses bad values by path', () => {
    const r = validateSpec({
      name: 'x',
      dataset: { id: 'mnist' },
      models: ['mlp'],
      methods: [
        { id: 'adam', betas: [0.9, 1] },
        { id: 'rmsprop', alpha: -1 },
        { id: 'adagrad', eps: 'tiny' },
      ],
    });
    expect(!r.ok && r.problems).toEqual([
      { path: 'methods[0].betas[1]', message: 'must be in [0, 1)' },
      { path: 'methods[1].alpha', message: 'must be >= 0' },
      { path: 'methods[2].eps', message: 'must be a number' },
    ]);
  });
});

/**
 * The fixed problem of the PyTorch reference: softmax regression of 4 points in 2-D onto 3
 * classes, W 2×3 and b 3, mean cross-entropy.
 */
const X = [
  [0.5, -1.0],
  [1.5, 0.25],
  [-0.75, 2.0],
  [0.1, -0.3],
];
const Y = [0, 2, 1, 2];
const W0 = [0.2, -0.1, 0.05, -0.3, 0.4, 0.15];
const B0 = [0.01, -0.02, 0.03];

/**
 * W (row-major) and b after each of three steps, from PyTorch 1.13.0 (Debian's python3-torch),
 * float32 on the CPU, made once with:
 *
 *   X, Y, W0, B0 as above; W = W0.clone().requires_grad_(); B likewise
 *   opt = torch.optim.<Optimizer>([W, B], **kwargs)
 *   3 × { opt.zero_grad(); F.cross_entropy(X @ W + B, Y).backward(); opt.step(); record W, B }
 *
 * printed with 9 significant digits (every float32 round-trips); the script is
 * test/fixtures/pytorch-optim-reference.py.
 */
const PYTORCH: Record<string, { spec: Record<string, unknown>; steps: [number[], number[]][] }> = {
  // Adam(lr=0.01)
  adam: {
    spec: { id: 'adam', lr: 0.01 },
    steps: [
      [
        [0.189999998, -0.109999999, 0.0600000024, -0.310000002, 0.409999996, 0.140000001],
        [0.0, -0.0299999975, 0.0399999991],
      ],
      [
        [0.180011779, -0.119995013, 0.0699935406, -0.319998443, 0.419993907, 0.130016416],
        [-0.00998750702, -0.0399972647, 0.0499925055],
      ],
      [
        [0.170044214, -0.129981592, 0.0799760297, -0.32999438, 0.429977596, 0.120061517],
        [-0.0199531503, -0.0499898531, 0.0599720664],
      ],
    ],
  },
  // Adam(lr=0.3, betas=(0.8, 0.5), weight_decay=0.1, amsgrad=True): large enough steps that the
  // second moment falls at step 3, so AMSGrad's maximum differs from it (by 0.16 in PyTorch)
  'adam-l2-amsgrad': {
    spec: { id: 'adam', lr: 0.3, betas: [0.8, 0.5], weightDecay: 0.1, amsgrad: true },
    steps: [
      [
        [-0.0999999791, -0.399999976, 0.349999994, -0.600000024, 0.699999988, -0.149999976],
        [-0.289999992, -0.319999963, 0.329999924],
      ],
      [
        [-0.198652267, -0.62977773, 0.553808153, -0.907107592, 0.915415108, -0.2104211],
        [-0.325991482, -0.535739958, 0.483169734],
      ],
      [
        [-0.152623653, -0.771519065, 0.662534714, -1.16959965, 1.04328859, -0.11336796],
        [-0.212721854, -0.622848213, 0.509842992],
      ],
    ],
  },
  // AdamW(lr=0.01): decoupled weight decay 1e-2
  adamw: {
    spec: { id: 'adamw', lr: 0.01 },
    steps: [
      [
        [0.18998, -0.109990001, 0.059995003, -0.309969991, 0.409960002, 0.139984995],
        [-1.00024045e-6, -0.029997997, 0.0399969965],
      ],
      [
        [0.179972813, -0.119974025, 0.0699825436, -0.319937468, 0.419912934, 0.129987404],
        [-0.00998849515, -0.0399922654, 0.0499854982],
      ],
      [
        [0.169987336, -0.129948616, 0.0799580365, -0.329901457, 0.429854661, 0.120019481],
        [-0.0199531075, -0.049980849, 0.0599600486],
      ],
    ],
  },
  // RMSprop() with its defaults (lr=1e-2)
  rmsprop: {
    spec: { id: 'rmsprop' },
    steps: [
      [
        [0.100000151, -0.199999958, 0.149999961, -0.399999946, 0.49999997, 0.0500001162],
        [-0.0899998918, -0.119999871, 0.129999936],
      ],
      [
        [0.0485327914, -0.263748825, 0.211232543, -0.469257683, 0.562612712, 0.00472182035],
        [-0.140520334, -0.186686754, 0.189158022],
      ],
      [
        [0.0171612091, -0.312307388, 0.256536633, -0.525152266, 0.61059159, -0.0181301292],
        [-0.17027247, -0.237512156, 0.230771214],
      ],
    ],
  },
  // RMSprop(lr=0.01, alpha=0.9, momentum=0.9, centered=True, weight_decay=0.05)
  'rmsprop-centered-momentum': {
    spec: { id: 'rmsprop', lr: 0.01, alpha: 0.9, momentum: 0.9, centered: true, weightDecay: 0.05 },
    steps: [
      [
        [0.166666687, -0.133333325, 0.0833333284, -0.333333343, 0.433333337, 0.116666682],
        [-0.0233333204, -0.053333316, 0.0633333251],
      ],
      [
        [0.112974137, -0.187958151, 0.137773052, -0.388451517, 0.487772167, 0.0635416359],
        [-0.0767464265, -0.108134568, 0.117562115],
      ],
      [
        [0.0474912152, -0.257286221, 0.20636037, -0.459695131, 0.556520581, 0.000187707774],
        [-0.14105913, -0.177997217, 0.185233325],
      ],
    ],
  },
  // Adagrad() with its defaults (lr=1e-2)
  adagrad: {
    spec: { id: 'adagrad' },
    steps: [
      [
        [0.189999998, -0.109999999, 0.0600000024, -0.310000002, 0.409999996, 0.140000001],
        [0.0, -0.0299999993, 0.0399999991],
      ],
      [
        [0.183065251, -0.1170085, 0.0669915155, -0.317050457, 0.416995794, 0.133110374],
        [-0.0069275694, -0.0370356441, 0.0469799601],
      ],
      [
        [0.177473098, -0.12269935, 0.0726598054, -0.322797179, 0.422670662, 0.127577886],
        [-0.0125100715, -0.0427610576, 0.0526322275],
      ],
    ],
  },
  // Adagrad(lr=0.1, lr_decay=0.1, initial_accumulator_value=0.1, weight_decay=0.05)
  'adagrad-decay': {
    spec: { id: 'adagrad', lr: 0.1, lrDecay: 0.1, initialAccumulatorValue: 0.1, weightDecay: 0.05 },
    steps: [
      [
        [0.176483586, -0.156045675, 0.116688833, -0.345942527, 0.462562829, 0.119156227],
        [-0.0179377403, -0.0454522595, 0.0782585144],
      ],
      [
        [0.158019915, -0.196300507, 0.1627222, -0.381844938, 0.505711377, 0.0985589623],
        [-0.0385790467, -0.0667340979, 0.114077479],
      ],
      [
        [0.143200606, -0.227340415, 0.197339699, -0.411207974, 0.538297176, 0.0839259103],
        [-0.0543696284, -0.0847472623, 0.141926482],
      ],
    ],
  },
};

describe.each(SUITE_BACKENDS)('on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  describe('adaptive methods against PyTorch 1.13 (three steps of a fixed softmax regression)', () => {
    for (const [name, ref] of Object.entries(PYTORCH)) {
      it(`${name}: W and b after each step equal PyTorch's to float32 rounding`, () => {
        const spec = methodSpec(ref.spec) as GradientSpec;
        const rule = updateRuleFor(spec);
        const x = tf.tensor2d(X);
        const y = tf.oneHot(tf.tensor1d(Y, 'int32'), 3).toFloat() as tf.Tensor2D;
        const params = [tf.variable(tf.tensor2d(W0, [2, 3])), tf.variable(tf.tensor1d(B0))];
        for (const [k, [w, b]] of ref.steps.entries()) {
          tf.tidy(() => {
            const grads = tf.grads((W: tf.Tensor, B: tf.Tensor) =>
              crossEntropy(tf.add(tf.matMul(x, W as tf.Tensor2D), B) as tf.Tensor2D, y),
            )(params);
            rule.apply(params, grads, spec.lr);
          });
          // A few float32 ulps: PyTorch fuses some multiply-adds that tfjs rounds twice.
          expectClose(params[0]!.dataSync(), w, 2e-7, `${name} W, step ${k + 1}`);
          expectClose(params[1]!.dataSync(), b, 2e-7, `${name} b, step ${k + 1}`);
        }
        rule.reset();
        tf.dispose([x, y, ...params]);
      });
    }
  });

  function expectClose(actual: ArrayLike<number>, expected: readonly number[], tol: number, what: string) {
    expect(actual.length, what).toBe(expected.length);
    const worst = Math.max(...expected.map((e, i) => Math.abs(actual[i]! - e)));
    expect(worst, what).toBeLessThan(tol);
  }

  describe('Adam by hand', () => {
    it("its first three steps on the tiny MLP equal PyTorch's formulas computed in plain JS", async () => {
      t = tinyContext();
      const lr = 0.01;
      const [beta1, beta2] = [0.9, 0.999];
      const eps = 1e-8;
      const lambda = 0.01;
      const m = createMethod(t.ctx, methodSpec({ id: 'adam', lr, weightDecay: lambda }));
      m.beginEpoch(1);
      // By hand, in doubles from the float32 weights and gradients the method sees.
      let w = t.weights().map((a) => Float64Array.from(a));
      const m1 = w.map((a) => new Float64Array(a.length));
      const v1 = w.map((a) => new Float64Array(a.length));
      for (let step = 1; step <= 3; step++) {
        const g = gradient(t);
        w = w.map((wi, i) =>
          wi.map((wj, j) => {
            const gj = g[i]![j]! + lambda * wj;
            m1[i]![j] = beta1 * m1[i]![j]! + (1 - beta1) * gj;
            v1[i]![j] = beta2 * v1[i]![j]! + (1 - beta2) * gj * gj;
            const mHat = m1[i]![j]! / (1 - beta1 ** step);
            const vHat = v1[i]![j]! / (1 - beta2 ** step);
            return wj - (lr * mHat) / (Math.sqrt(vHat) + eps);
          }),
        );
        const b = t.batch();
        m.step(b, step);
        disposeBatch(b);
        const got = t.weights();
        let worst = 0;
        got.forEach((gi, i) => gi.forEach((x, j) => (worst = Math.max(worst, Math.abs(x - w[i]![j]!)))));
        // Each step moves a weight by up to η = 0.01; the float32 arithmetic agrees to ~1e-8.
        expect(worst, `step ${step}`).toBeLessThan(1e-6);
        // The hand value continues from the method's own float32 weights.
        w = got.map((a) => Float64Array.from(a));
      }
      const saved = await m.saveState();
      expect(saved.scalars).toEqual({ step: 3 });
      const expAvg0 = saved.tensors.find((x) => x.name === 'expAvg.0')!.values;
      expect(Math.max(...Array.from(expAvg0, (x, j) => Math.abs(x - m1[0]![j]!)))).toBeLessThan(1e-7);
      expect(saved.tensors.map((x) => x.name.split('.')[0])).toEqual([
        ...t.ctx.params.map(() => 'expAvg'),
        ...t.ctx.params.map(() => 'expAvgSq'),
      ]);
      m.dispose();
    });
  });

  /** The gradient at the current weights on the batch the steps use (indices 0–31). */
  function gradient(c: TinyContext): Float32Array[] {
    return tf.tidy(() => {
      const b = c.batch();
      const g = tf.grads((...ws: tf.Tensor[]) => crossEntropy(c.ctx.net.apply(ws, b.x, true), b.y))(
        c.ctx.params,
      );
      disposeBatch(b);
      return g.map((x) => x.dataSync().slice() as Float32Array);
    });
  }

  describe('adaptive methods in checkpoints', () => {
    for (const spec of [
      { id: 'adam', amsgrad: true },
      { id: 'adamw' },
      { id: 'rmsprop', centered: true, momentum: 0.9 },
      { id: 'adagrad', lrDecay: 0.5, initialAccumulatorValue: 0.1 },
    ]) {
      it(`${spec.id}: a method resumed from the state after step 2 takes the same third step, bit for bit`, async () => {
        t = tinyContext();
        const step = (method: ReturnType<typeof createMethod>, s: number) => {
          const b = t.batch();
          method.step(b, s);
          disposeBatch(b);
        };
        const a = createMethod(t.ctx, methodSpec(spec));
        a.beginEpoch(1);
        step(a, 1);
        step(a, 2);
        const saved = await a.saveState();
        const after2 = t.weights();
        step(a, 3);
        const after3 = t.weights();
        // Back to the weights after step 2, and a fresh method given the saved state.
        tf.tidy(() => t.ctx.params.forEach((p, i) => p.assign(tf.tensor(after2[i]!, p.shape))));
        const b = createMethod(t.ctx, methodSpec(spec));
        b.loadState(saved);
        b.beginEpoch(1);
        step(b, 3);
        expect(sameWeights(t.weights(), after3)).toBe(true);
        expect(await b.saveState()).toEqual(await a.saveState());
        a.dispose();
        b.dispose();
      });
    }
  });

  describe('adaptive methods through the loop and a checkpoint file', () => {
    it('Adam with SGDR, resumed from the checkpoint file of epoch 2, ends with the numbers of the whole run', async () => {
      const method = { id: 'adam', lr: 0.01, schedule: { kind: 'sgdr', t0: 1, tMult: 2 } };
      const dir = mkdtempSync(join(tmpdir(), 'annealab-adam-'));
      try {
        const go = async (epochs: number, resume?: Checkpoint) => {
          const data = syntheticData();
          const records: EpochRecord[] = [];
          const plan: RunPlan = {
            experimentId: 'e',
            runId: 'r',
            spec: tinySpec([method], { epochs }),
            methodIndex: 0,
            model: 'mlp',
            seed: 7,
          };
          const outcome = await trainRun(
            plan,
            data,
            {
              onEpoch: async (r, checkpoint) => {
                records.push(r);
                writeCheckpoint(join(dir, `epoch-${r.epoch}.ckpt`), await checkpoint());
              },
            },
            resume,
          );
          tf.dispose([
            data.train.x,
            data.train.y,
            data.train.labels,
            data.test.x,
            data.test.y,
            data.test.labels,
          ]);
          tf.dispose(outcome.bestWeights ?? []);
          return records;
        };
        const whole = await go(4);
        // SGDR with T_0 = 1, T_mult = 2: cycles of 1, 2, 4 epochs; the rate per epoch.
        expect(whole.map((r) => r.lr)).toEqual([0.01, 0.01, 0.005, 0.01]);
        const saved = readCheckpoint(join(dir, 'epoch-2.ckpt'));
        // 2 epochs of 4 minibatches: Adam's step count and both moments travel in the file.
        expect(saved.state.method).toEqual({ step: 8 });
        expect(new Set(saved.methodTensors.map((t) => t.name.split('.')[0]))).toEqual(
          new Set(['expAvg', 'expAvgSq']),
        );
        const resumed = await go(4, saved);
        const strip = (r: EpochRecord) => ({ ...r, counters: { ...r.counters, seconds: 0 } });
        expect(resumed.map(strip)).toEqual(whole.slice(2).map(strip));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});

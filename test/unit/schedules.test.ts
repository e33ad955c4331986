// Learning-rate schedules of every gradient method: step (scheduled SGD's), cosine annealing and
// SGDR's warm restarts (the thesis's Eq. 2.1), per epoch, against the formulas and PyTorch.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { methodLabel, validateSpec } from '../../src/shared/spec';
import { createMethod } from '../../src/main/trainer/methods';
import { cosineLr, scheduleLr, sgdrCycle } from '../../src/main/trainer/methods/schedule';
import { disposeBatch } from '../../src/main/trainer/data/batches';
import { estimate, methodSpec, tinyContext, useCpu, type TinyContext } from '../helpers/tiny-training';

let t: TinyContext;
beforeAll(useCpu);
afterEach(() => t?.dispose());

/** The rate each epoch's record reports, from the real method over `epochs` epochs of one step. */
function recordedLrs(spec: unknown, epochs: number): number[] {
  t ??= tinyContext();
  const m = createMethod(t.ctx, methodSpec(spec));
  const lrs: number[] = [];
  for (let e = 1; e <= epochs; e++) {
    m.beginEpoch(e);
    const b = t.batch();
    m.step(b, 1);
    disposeBatch(b);
    lrs.push(m.endEpoch(e, estimate(1)).lr!);
  }
  m.dispose();
  return lrs;
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

describe('learning-rate schedules', () => {
  it('step on sgd is scheduled-sgd: the same rate every epoch', () => {
    t = tinyContext();
    const scheduled = recordedLrs({ id: 'scheduled-sgd', lr: 0.1, milestones: [2, 4], gamma: 0.5 }, 6);
    const step = recordedLrs(
      { id: 'sgd', lr: 0.1, schedule: { kind: 'step', milestones: [2, 4], gamma: 0.5 } },
      6,
    );
    expect(step).toEqual(scheduled);
    expect(step).toEqual([0.1, 0.1, 0.05, 0.05, 0.025, 0.025]);
  });

  it("cosine: CosineAnnealingLR's closed form, and PyTorch's rates past T_max", () => {
    // PyTorch 1.13: CosineAnnealingLR(SGD(lr=0.1), T_max=5, eta_min=0.01), stepped after each epoch.
    const pytorch = [
      0.1, 0.09140576474687263, 0.06890576474687263, 0.04109423525312736, 0.018594235253127367, 0.01,
      0.018594235253127367, 0.04109423525312739, 0.06890576474687267, 0.09140576474687269,
      0.10000000000000006, 0.09140576474687272,
    ];
    const ours = range(12).map((e) => scheduleLr(0.1, { kind: 'cosine', tMax: 5, etaMin: 0.01 }, e));
    ours.forEach((lr, i) => expect(lr).toBeCloseTo(pytorch[i]!, 14));
    expect(cosineLr(1, 0, 1, 4)).toBeCloseTo((1 + Math.cos(Math.PI / 4)) / 2, 15);
  });

  it("sgdr: Eq. 2.1 with T_cur counting epochs, and PyTorch's CosineAnnealingWarmRestarts", () => {
    // PyTorch 1.13: CosineAnnealingWarmRestarts(SGD(lr=0.1), T_0=3, T_mult=2, eta_min=0.001), per epoch.
    const pytorch = [
      0.1, 0.07525000000000001, 0.025750000000000012, 0.1, 0.09336825748732973, 0.07525000000000001, 0.0505,
      0.025750000000000012, 0.007631742512670284, 0.1, 0.09831332840130888, 0.09336825748732973,
    ];
    const ours = range(12).map((e) => scheduleLr(0.1, { kind: 'sgdr', t0: 3, tMult: 2, etaMin: 0.001 }, e));
    ours.forEach((lr, i) => expect(lr).toBeCloseTo(pytorch[i]!, 14));
    // Eq. 2.1 at epoch 20 of T_0 = 10, T_mult = 2: the second cycle (epochs 11–30), T_cur = 9, T_i = 20.
    expect(sgdrCycle(10, 2, 20)).toEqual({ tCur: 9, tI: 20 });
    const etaMax = 0.05;
    const etaMin = 0.001;
    expect(scheduleLr(etaMax, { kind: 'sgdr', t0: 10, tMult: 2, etaMin }, 20)).toBeCloseTo(
      etaMin + 0.5 * (etaMax - etaMin) * (1 + Math.cos((9 / 20) * Math.PI)),
      15,
    );
  });

  it('sgdr with T_0 = 10, T_mult = 2 restarts after epochs 10, 30 and 70', () => {
    const lrs = range(150).map((e) => scheduleLr(0.1, { kind: 'sgdr', t0: 10, tMult: 2, etaMin: 0 }, e));
    // A restart: the rate jumps back up to η_max; within a cycle it only falls.
    const restartedAt = range(149).filter((e) => lrs[e]! > lrs[e - 1]!);
    expect(restartedAt).toEqual([10, 30, 70]);
    for (const e of [1, 11, 31, 71]) expect(lrs[e - 1]).toBe(0.1);
    expect(lrs[9]).toBeCloseTo(0.1 * 0.5 * (1 + Math.cos((9 / 10) * Math.PI)), 15);
  });

  it('runs on restart (independent of its cold restarts) and on the adaptive methods, and the record has the rate', () => {
    t = tinyContext();
    const sgdr = { kind: 'sgdr', t0: 2, tMult: 1 };
    const restart = recordedLrs({ id: 'restart', lr: 0.01, restartEpsilon: 100, schedule: sgdr }, 4);
    expect(restart).toEqual([0.01, 0.005, 0.01, 0.005].map((x) => expect.closeTo(x, 15)));
    const adam = recordedLrs({ id: 'adam', schedule: { kind: 'cosine', tMax: 2 } }, 3);
    expect(adam).toEqual([1e-3, 5e-4, 0].map((x) => expect.closeTo(x, 15)));
  });
});

describe('schedules in the spec', () => {
  const spec = (methods: unknown[]) =>
    validateSpec({ name: 'x', dataset: { id: 'mnist' }, models: ['mlp'], methods, epochs: 30 });

  it('fills defaults, tMax from the epochs, and names the schedule in the label', () => {
    const r = spec([
      { id: 'sgd', schedule: { kind: 'cosine' } },
      { id: 'sgd', lr: 0.05, momentum: 0.9, schedule: { kind: 'sgdr' } },
      { id: 'adam', schedule: { kind: 'step' } },
    ]);
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    expect(r.spec.methods.map((m) => ('schedule' in m ? m.schedule : null))).toEqual([
      { kind: 'cosine', tMax: 30, etaMin: 0 },
      { kind: 'sgdr', t0: 10, tMult: 2, etaMin: 0 },
      { kind: 'step', milestones: [30, 70], gamma: 0.1 },
    ]);
    expect(r.spec.methods.map(methodLabel)).toEqual([
      'SGD (η = 0.1, cosine to 0 over 30)',
      'SGD with momentum (η = 0.05, β = 0.9, SGDR T₀ = 10, T_mult = 2)',
      'Adam (η = 0.001, ×0.1 at 30, 70)',
    ]);
  });

  it('refuses bad schedules by path', () => {
    const r = spec([
      { id: 'sgd', schedule: { kind: 'linear' } },
      { id: 'rmsprop', schedule: { kind: 'sgdr', tMult: 1.5 } },
      { id: 'scheduled-sgd', schedule: { kind: 'cosine' } },
    ]);
    expect(!r.ok && r.problems).toEqual([
      {
        path: 'methods[0].schedule.kind',
        message: 'must be an object whose "kind" is "step", "cosine", "sgdr"',
      },
      { path: 'methods[1].schedule.tMult', message: 'must be a whole number' },
      { path: 'methods[2]', message: 'unknown field "schedule"' },
    ]);
    // Checks across fields, once every field is valid on its own.
    const r2 = spec([
      { id: 'sgd', lr: 0.01, schedule: { kind: 'sgdr', etaMin: 0.01 } },
      { id: 'adagrad', schedule: { kind: 'step', milestones: [5, 5] } },
    ]);
    expect(!r2.ok && r2.problems).toEqual([
      { path: 'methods[0].schedule.etaMin', message: 'must be below lr (η_max = 0.01)' },
      { path: 'methods[1].schedule.milestones', message: 'must be strictly increasing' },
    ]);
  });
});

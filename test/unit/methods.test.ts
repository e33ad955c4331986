// The five methods, tested on a real tiny network so that a wrong method fails a test.
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../src/shared/rng';
import { createMethod, metropolisPlacement } from '../../src/main/trainer/methods';
import {
  cool,
  metropolis,
  MoveStats,
  SAMPLE_LIMIT,
  summarizeProbabilities,
} from '../../src/main/trainer/methods/metropolis';
import { RestartMethod } from '../../src/main/trainer/methods/restart';
import { GradientMethod } from '../../src/main/trainer/methods/gradient';
import { scheduledLr } from '../../src/main/trainer/methods/schedule';
import { SgdSaMethod } from '../../src/main/trainer/methods/sgd-sa';
import { SsaMethod } from '../../src/main/trainer/methods/ssa';
import { SymmetricMoves } from '../../src/main/trainer/backend/symmetric-moves';
import { initialValues } from '../../src/main/trainer/models';
import { crossEntropy } from '../../src/main/trainer/objective';
import { disposeBatch } from '../../src/main/trainer/data/batches';
import {
  estimate,
  methodSpec,
  sameWeights,
  tinyContext,
  SUITE_BACKENDS,
  useBackend,
  type TinyContext,
} from '../helpers/tiny-training';

let t: TinyContext;
afterEach(() => t?.dispose());

describe('Metropolis rule', () => {
  it('always takes a move that does not worsen, and draws nothing for it', () => {
    const rng = Rng.fromSeed(1, 'm');
    const before = rng.getState();
    expect(metropolis(0, 1, rng)).toEqual({ kind: 'better', probability: null });
    expect(metropolis(-0.5, 1e-9, rng)).toEqual({ kind: 'better', probability: null });
    expect(rng.getState()).toEqual(before);
  });

  it('accepts a worsening move with probability exp(-Δ/T)', () => {
    for (const [delta, temperature] of [
      [0.3, 1],
      [0.05, 0.1],
      [2, 1],
    ] as const) {
      const rng = Rng.fromSeed(42, `m${delta}`);
      const expected = Math.exp(-delta / temperature);
      let accepted = 0;
      const n = 20000;
      for (let i = 0; i < n; i++) {
        const d = metropolis(delta, temperature, rng);
        expect(d.probability).toBeCloseTo(expected, 12);
        if (d.kind === 'acceptedWorse') accepted++;
      }
      const sigma = Math.sqrt((expected * (1 - expected)) / n);
      expect(Math.abs(accepted / n - expected)).toBeLessThan(4 * sigma);
    }
  });

  it('refuses a NaN objective instead of accepting it silently', () => {
    expect(() => metropolis(NaN, 1, Rng.fromSeed(1))).toThrow(/NaN/);
  });

  it('cools geometrically down to the floor', () => {
    expect(cool(1, 0.97, 1e-10)).toBeCloseTo(0.97, 15);
    expect(cool(1e-10, 0.5, 1e-10)).toBe(1e-10);
  });

  it('summarises acceptance probabilities, with an even sample beyond the limit', () => {
    const ps = Array.from({ length: SAMPLE_LIMIT * 3 }, (_, i) => i / (SAMPLE_LIMIT * 3));
    const s = summarizeProbabilities(ps);
    expect(s.count).toBe(ps.length);
    expect(s.sampled).toBe(true);
    expect(s.sample).toHaveLength(SAMPLE_LIMIT);
    expect(s.min).toBe(0);
    expect(s.mean).toBeCloseTo(ps.reduce((a, b) => a + b) / ps.length, 12);
    expect(summarizeProbabilities([0.2, 0.4]).sample).toEqual([0.2, 0.4]);
    const stats = new MoveStats();
    stats.record({ kind: 'better', probability: null });
    stats.record({ kind: 'rejectedWorse', probability: 0.1 });
    expect(stats.counts).toEqual({ better: 1, acceptedWorse: 0, rejectedWorse: 1 });
    expect(stats.summary().sample).toEqual([0.1]);
  });
});

describe.each(SUITE_BACKENDS)('on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  describe('SGD and scheduled SGD', () => {
    it('scheduled learning rate per epoch follows the milestones (thesis: 0.1, 0.01, 0.001)', () => {
      const lrs = Array.from({ length: 100 }, (_, i) => scheduledLr(0.1, [30, 70], 0.1, i + 1));
      expect(lrs.slice(0, 30).every((x) => x === 0.1)).toBe(true);
      expect(lrs.slice(30, 70).every((x) => Math.abs(x - 0.01) < 1e-15)).toBe(true);
      expect(lrs.slice(70).every((x) => Math.abs(x - 0.001) < 1e-15)).toBe(true);
      t = tinyContext();
      const m = new GradientMethod(
        t.ctx,
        methodSpec({ id: 'scheduled-sgd', milestones: [2], gamma: 0.5, lr: 0.2 }) as never,
      );
      m.beginEpoch(2);
      expect(m.endEpoch(2, estimate(1, 0)).lr).toBe(0.2);
      m.beginEpoch(3);
      expect(m.endEpoch(3, estimate(1, 0)).lr).toBe(0.1);
    });

    it('updates with PyTorch momentum semantics: v ← βv + g, w ← w − ηv', () => {
      t = tinyContext();
      const lr = 0.05;
      const beta = 0.9;
      const m = createMethod(t.ctx, methodSpec({ id: 'sgd', lr, momentum: beta }));
      const grad = () =>
        tf.tidy(() => {
          const b = t.batch();
          const g = tf.grads((...ws: tf.Tensor[]) => crossEntropy(t.ctx.net.apply(ws, b.x, true), b.y))(
            t.ctx.params,
          );
          disposeBatch(b);
          return g.map((x) => x.dataSync().slice() as Float32Array);
        });
      const w0 = t.weights();
      const g0 = grad();
      const b1 = t.batch();
      m.step(b1, 1);
      disposeBatch(b1);
      const w1 = t.weights();
      const g1 = grad();
      const b2 = t.batch();
      m.step(b2, 2);
      disposeBatch(b2);
      const w2 = t.weights();
      w0.forEach((w, i) => {
        for (let j = 0; j < w.length; j += 97) {
          const expected1 = w[j]! - lr * g0[i]![j]!;
          expect(w1[i]![j]).toBeCloseTo(expected1, 5);
          const expected2 = w1[i]![j]! - lr * (beta * g0[i]![j]! + g1[i]![j]!);
          expect(w2[i]![j]).toBeCloseTo(expected2, 5);
        }
      });
      expect(t.ctx.counters).toEqual({ forward: 2, backward: 2, updates: 2 });
      m.dispose();
    });
  });

  describe('SGD with cold restarts', () => {
    const epsilon = 0.01;
    it('restarts exactly when the estimate is below restartEpsilon, re-drawing the weights and resetting momentum', () => {
      t = tinyContext(3);
      // On the mean-CE scale the estimate compared is the mean cross-entropy itself.
      const m = new RestartMethod(
        t.ctx,
        methodSpec({ id: 'restart', restartEpsilon: epsilon, lossScale: 'mean' }) as never,
      );
      m.beginEpoch(1);
      const b = t.batch();
      m.step(b, 1);
      disposeBatch(b);
      expect(m.stepper.hasState()).toBe(true);
      const trained = t.weights();

      // At ε itself: no restart (the rule is "below").
      const atEpsilon = m.endEpoch(1, estimate(epsilon, 1));
      expect(atEpsilon.restarts).toBe(0);
      expect(atEpsilon.restartEvents).toEqual([]);
      expect(sameWeights(t.weights(), trained)).toBe(true);
      expect(m.stepper.hasState()).toBe(true);

      // Just below: restart, with weights from the next draw of the run's init stream.
      m.beginEpoch(2);
      const below = m.endEpoch(2, estimate(epsilon * (1 - 1e-9), 1));
      expect(below.restarts).toBe(1);
      expect(below.restartEvents).toEqual([{ epoch: 2, step: null, estimate: epsilon * (1 - 1e-9) }]);
      expect(m.stepper.hasState()).toBe(false);
      const initRng = Rng.fromSeed(3, 'init');
      initialValues(t.ctx.net.params, initRng, 'pytorch'); // the run's first draw
      const fresh = initialValues(t.ctx.net.params, initRng, 'pytorch');
      expect(sameWeights(t.weights(), fresh)).toBe(true);
      expect(below.lr).toBe(0.001); // cold: the learning rate is not touched
      m.dispose();
    });

    it('on the thesis scale (the default) compares Σ minibatch-mean CE / examples: ε = 0.03 at batch 64 fires below a mean CE of 1.92', () => {
      // The estimates a run of batch 64 reports: its minibatches are full, so the thesis-scale
      // value is the mean CE / 64, and ε = 0.03 stands for a mean CE of 0.03 · 64 = 1.92.
      const at = (meanCe: number) => estimate(meanCe, 0, meanCe / 64);
      t = tinyContext();
      const thesis = new RestartMethod(t.ctx, methodSpec({ id: 'restart', restartEpsilon: 0.03 }) as never);
      expect(methodSpec({ id: 'restart' })).toMatchObject({ lossScale: 'thesis' });
      thesis.beginEpoch(1);
      expect(thesis.endEpoch(1, at(1.93)).restarts).toBe(0);
      thesis.beginEpoch(2);
      expect(thesis.endEpoch(2, at(1.92)).restarts).toBe(0); // exactly ε: "below" is strict
      thesis.beginEpoch(3);
      const fired = thesis.endEpoch(3, at(1.91));
      expect(fired.restarts).toBe(1);
      // The event records the value the rule compared, on its scale.
      expect(fired.restartEvents).toEqual([{ epoch: 3, step: null, estimate: 1.91 / 64 }]);
      thesis.dispose();

      // The same estimates on the mean scale: 1.91 is far above ε = 0.03, no restart.
      const mean = new RestartMethod(
        t.ctx,
        methodSpec({ id: 'restart', restartEpsilon: 0.03, lossScale: 'mean' }) as never,
      );
      for (const [epoch, ce] of [
        [1, 1.91],
        [2, 0.5],
        [3, 0.031],
      ] as const) {
        mean.beginEpoch(epoch);
        expect(mean.endEpoch(epoch, at(ce)).restarts).toBe(0);
      }
      mean.beginEpoch(4);
      expect(mean.endEpoch(4, at(0.029)).restarts).toBe(1);
      mean.dispose();
    });

    it('on the thesis scale, the estimate it compares inside an epoch is the real Σ means / examples', () => {
      t = tinyContext();
      // The tiny context estimates on 2 minibatches of 32: the thesis value is the mean CE / 32.
      const e = t.ctx.estimateTrain();
      expect(e.lossThesis).toBeCloseTo(e.loss / 32, 6);
      // A threshold between the two scales' values: the thesis scale restarts, the mean one not.
      const between = (e.loss + e.loss / 32) / 2;
      for (const [lossScale, expected] of [
        ['thesis', 1],
        ['mean', 0],
      ] as const) {
        const m = new RestartMethod(
          t.ctx,
          methodSpec({ id: 'restart', lr: 1e-9, restartEpsilon: between, checkEvery: 1, lossScale }) as never,
        );
        m.beginEpoch(1);
        const b = t.batch();
        m.step(b, 1);
        disposeBatch(b);
        expect(m.endEpoch(1, estimate(1e9, 0, 1e9)).restarts).toBe(expected);
        m.dispose();
      }
    });

    it('with checkEvery steps, estimates and restarts inside the epoch', () => {
      t = tinyContext();
      // An ε above any cross-entropy of 4 classes at init (~1.39) forces a restart at each check.
      const m = new RestartMethod(
        t.ctx,
        methodSpec({ id: 'restart', restartEpsilon: 100, checkEvery: 2 }) as never,
      );
      m.beginEpoch(1);
      for (let s = 1; s <= 4; s++) {
        const b = t.batch();
        m.step(b, s);
        disposeBatch(b);
      }
      const fields = m.endEpoch(1, estimate(1e9, 0));
      expect(fields.restartEvents!.map((e) => e.step)).toEqual([2, 4]);
      expect(fields.restarts).toBe(2);
      m.dispose();
    });
  });

  describe('SSA', () => {
    it('a rejected move restores the exact weights; an accepted one changes them', () => {
      t = tinyContext();
      // At T ≈ 0 every worsening move is rejected; ε large so that most moves worsen.
      const m = new SsaMethod(t.ctx, methodSpec({ id: 'ssa', epsilon: 0.5, temperature: 1e-12 }) as never);
      m.beginEpoch(1);
      const stepOnce = (s: number) => {
        const before = t.weights();
        const rejectedBefore = m.stats.counts.rejectedWorse;
        const b = t.batch(Array.from({ length: 32 }, (_, i) => (i * 3 + s) % 128));
        m.step(b, s);
        disposeBatch(b);
        return {
          rejected: m.stats.counts.rejectedWorse > rejectedBefore,
          unchanged: sameWeights(t.weights(), before),
        };
      };
      let rejected = 0;
      for (let s = 1; s <= 10; s++) {
        const r = stepOnce(s);
        if (r.rejected) rejected++;
        expect(r.unchanged).toBe(r.rejected);
      }
      expect(rejected).toBeGreaterThanOrEqual(3);
      // At a huge T every move is taken, worse or not.
      m.temperature = 1e12;
      for (let s = 11; s <= 14; s++) expect(stepOnce(s)).toEqual({ rejected: false, unchanged: false });
      expect(t.ctx.counters.backward).toBe(0);
      expect(t.ctx.counters.forward).toBe(3 * 14);
      expect(t.ctx.counters.updates).toBe(14 - rejected);
    });

    it('drops ε tenfold exactly when the better-move ratio is under the bound, and cools T', () => {
      t = tinyContext();
      const m = new SsaMethod(
        t.ctx,
        methodSpec({ id: 'ssa', epsilon: 0.01, acceptedBound: 0.6, cooling: 0.5 }) as never,
      );
      m.beginEpoch(1);
      m.stats.counts = { better: 6, acceptedWorse: 2, rejectedWorse: 2 }; // ratio 0.6: not under
      const e1 = m.endEpoch(1, estimate(1, 0));
      expect(e1).toMatchObject({ epsilon: 0.01, epsilonDropped: false, temperature: 1 });
      expect(m.epsilon).toBe(0.01);
      expect(m.temperature).toBe(0.5);
      m.beginEpoch(2);
      m.stats.counts = { better: 59, acceptedWorse: 21, rejectedWorse: 20 }; // ratio 0.59
      const e2 = m.endEpoch(2, estimate(1, 0));
      expect(e2).toMatchObject({ epsilon: 0.01, epsilonDropped: true, temperature: 0.5 });
      expect(m.epsilon).toBeCloseTo(0.001, 15);
      expect(m.temperature).toBe(0.25);
    });

    it('accepts fewer worsening moves as T falls', () => {
      t = tinyContext();
      // T: 1, 0.1, 0.01 across the three epochs; no ε drops, so the moves stay alike.
      const m = new SsaMethod(
        t.ctx,
        methodSpec({ id: 'ssa', epsilon: 0.05, acceptedBound: 0, cooling: 0.1 }) as never,
      );
      const rates: number[] = [];
      for (let epoch = 1; epoch <= 3; epoch++) {
        m.beginEpoch(epoch);
        for (let s = 0; s < 40; s++) {
          const b = t.batch(Array.from({ length: 32 }, (_, i) => (i * 5 + s * 7) % 128));
          m.step(b, s + 1);
          disposeBatch(b);
        }
        const { moves } = m.endEpoch(epoch, estimate(1, 0));
        rates.push(moves!.acceptedWorse / Math.max(1, moves!.acceptedWorse + moves!.rejectedWorse));
      }
      expect(rates[0]).toBeGreaterThan(rates[1]!);
      expect(rates[1]).toBeGreaterThan(rates[2]!);
    });

    it('with objective "accuracy", moves by accuracy', () => {
      t = tinyContext();
      const m = new SsaMethod(
        t.ctx,
        methodSpec({ id: 'ssa', objective: 'accuracy', epsilon: 0.5, temperature: 1e-12 }) as never,
      );
      m.beginEpoch(1);
      for (let s = 1; s <= 10; s++) {
        const b = t.batch();
        m.step(b, s);
        disposeBatch(b);
      }
      const { moves, acceptance } = m.endEpoch(1, estimate(1, 0));
      expect(moves!.better + moves!.acceptedWorse + moves!.rejectedWorse).toBe(10);
      // Accuracy on 32 examples moves in steps of 1/32: any worsening p is exp(-k/32/T) = 0 here.
      expect(acceptance!.max ?? 0).toBe(0);
    });
  });

  describe('SGD-SA', () => {
    it('a rejected step restores the exact weights', () => {
      t = tinyContext();
      // Rates that overshoot, at a temperature that never accepts a worse loss.
      const m = new SgdSaMethod(
        t.ctx,
        methodSpec({ id: 'sgd-sa', lrSet: [5, 50], temperature: 1e-12 }) as never,
      );
      m.beginEpoch(1);
      let rejected = 0;
      let changedOnAccept = 0;
      for (let s = 1; s <= 20; s++) {
        const before = t.weights();
        const rejectedBefore = m.stats.counts.rejectedWorse;
        const b = t.batch(Array.from({ length: 32 }, (_, i) => (i * 5 + s) % 128));
        m.step(b, s);
        disposeBatch(b);
        const wasRejected = m.stats.counts.rejectedWorse > rejectedBefore;
        const unchanged = sameWeights(t.weights(), before);
        if (wasRejected) {
          rejected++;
          expect(unchanged).toBe(true);
        } else if (!unchanged) changedOnAccept++;
      }
      expect(rejected).toBeGreaterThanOrEqual(1);
      expect(changedOnAccept).toBeGreaterThanOrEqual(1);
      expect(t.ctx.counters).toEqual({ forward: 40, backward: 20, updates: 20 - rejected });
    });

    it('draws learning rates uniformly from the set and records them', () => {
      t = tinyContext();
      const m = new SgdSaMethod(t.ctx, methodSpec({ id: 'sgd-sa', lrSet: 'H2' }) as never);
      m.beginEpoch(1);
      for (let s = 1; s <= 28; s++) {
        const b = t.batch();
        m.step(b, s);
        disposeBatch(b);
      }
      const { lrCounts, temperature } = m.endEpoch(1, estimate(1, 0));
      expect(Object.keys(lrCounts!)).toHaveLength(14);
      expect(Object.values(lrCounts!).reduce((a, b) => a + b)).toBe(28);
      expect(temperature).toBe(1);
      expect(m.temperature).toBeCloseTo(0.93, 15);
    });
  });

  describe('loss scale of the Metropolis rule (METHODS.md, "Loss scale")', () => {
    /** SGD-SA's one step with rate `lr` on `indices`, as the method would take it, by hand. */
    function handStep(c: TinyContext, indices: number[], lr: number) {
      return tf.tidy(() => {
        const b = c.batch(indices);
        const loss = (ws: readonly tf.Tensor[]) => crossEntropy(c.ctx.net.apply(ws, b.x, true), b.y);
        const { value, grads } = tf.valueAndGrads((...ws: tf.Tensor[]) => loss(ws))(c.ctx.params);
        const next = c.ctx.params.map((w, i) => tf.sub(w, tf.mul(grads[i]!, lr)));
        const [l0, l1] = tf.stack([value, loss(next)]).dataSync();
        disposeBatch(b);
        return { l0: l0!, l1: l1! };
      });
    }

    it('SGD-SA on a minibatch of 4: Δ on the thesis scale is exactly Δ_mean / 4', () => {
      const indices = [0, 1, 2, 3];
      const temperature = 0.5;
      const seen: Record<string, number> = {};
      for (const lossScale of ['thesis', 'mean'] as const) {
        t = tinyContext();
        // The first of these rates that overshoots, so that the step worsens the minibatch's loss.
        const steps = [1, 5, 20, 50, 200].map((lr) => ({ lr, ...handStep(t, indices, lr) }));
        const { lr, l0, l1 } = steps.find((x) => x.l1 > x.l0)!;
        const deltaMean = l1 - l0;
        expect(deltaMean).toBeGreaterThan(0);
        const m = new SgdSaMethod(
          t.ctx,
          methodSpec({ id: 'sgd-sa', lrSet: [lr], temperature, lossScale }) as never,
        );
        m.beginEpoch(1);
        const b = t.batch(indices);
        m.step(b, 1);
        disposeBatch(b);
        const { acceptance } = m.endEpoch(1, estimate(1));
        expect(acceptance!.sample).toHaveLength(1);
        const delta = lossScale === 'thesis' ? deltaMean / 4 : deltaMean;
        // The probability stored is the one the rule used: exp(−Δ/T) with Δ on the spec's scale.
        expect(acceptance!.sample[0]).toBe(Math.exp(-delta / temperature));
        seen[lossScale] = acceptance!.sample[0]!;
        m.dispose();
        t.dispose();
      }
      // The thesis scale is the hotter one: the same worsening is accepted more readily.
      expect(seen.thesis).toBeGreaterThan(seen.mean!);
      expect(Math.log(seen.thesis!) * 4).toBeCloseTo(Math.log(seen.mean!), 10);
    });

    it('SSA on a minibatch of 4: Δ on the thesis scale is exactly Δ_mean / 4; accuracy is not rescaled', () => {
      const indices = [4, 5, 6, 7];
      const temperature = 0.3;
      const epsilon = 0.3;
      let worsening = 0;
      // Fresh contexts with several seeds: one step each, the first move of the seed's stream.
      for (const seed of [11, 12, 13, 14, 15, 16]) {
        // The step by hand: the same first draw of the 'ssa-moves' stream, the better of w ± Δ.
        t = tinyContext(seed);
        const [plus, minus] = new SymmetricMoves(t.ctx.params, Rng.fromSeed(seed, 'ssa-moves'), 'js').draw(
          epsilon,
        );
        const [f0, fPlus, fMinus] = tf.tidy(() => {
          const b = t.batch(indices);
          const f = (ws: readonly tf.Tensor[]) => crossEntropy(t.ctx.net.apply(ws, b.x, true), b.y);
          const out = tf.stack([f(t.ctx.params), f(plus), f(minus)]).dataSync();
          disposeBatch(b);
          return out;
        });
        tf.dispose([...plus, ...minus]);
        t.dispose();
        const deltaMean = Math.min(fPlus!, fMinus!) - f0!;
        for (const lossScale of ['thesis', 'mean'] as const) {
          t = tinyContext(seed);
          const m = new SsaMethod(t.ctx, methodSpec({ id: 'ssa', epsilon, temperature, lossScale }) as never);
          m.beginEpoch(1);
          const b = t.batch(indices);
          m.step(b, 1);
          disposeBatch(b);
          const { moves, acceptance } = m.endEpoch(1, estimate(1));
          m.dispose();
          t.dispose();
          if (deltaMean <= 0) {
            expect(moves!.better).toBe(1);
            continue;
          }
          const delta = lossScale === 'thesis' ? deltaMean / 4 : deltaMean;
          expect(acceptance!.sample).toEqual([Math.exp(-delta / temperature)]);
        }
        if (deltaMean > 0) worsening++;
      }
      expect(worsening).toBeGreaterThanOrEqual(2);

      // With objective "accuracy" the rule compares fractions on both scales: identical runs.
      const accuracyRun = (lossScale: string) => {
        const c = tinyContext(11);
        const m = new SsaMethod(
          c.ctx,
          methodSpec({
            id: 'ssa',
            objective: 'accuracy',
            epsilon: 0.5,
            temperature: 0.05,
            lossScale,
          }) as never,
        );
        m.beginEpoch(1);
        for (let s = 1; s <= 12; s++) {
          const b = c.batch([(s * 4) % 128, (s * 4 + 1) % 128, (s * 4 + 2) % 128, (s * 4 + 3) % 128]);
          m.step(b, s);
          disposeBatch(b);
        }
        const fields = m.endEpoch(1, estimate(1));
        const weights = c.weights();
        m.dispose();
        c.dispose();
        return { fields, weights };
      };
      const accThesis = accuracyRun('thesis');
      const accMean = accuracyRun('mean');
      expect(accThesis.fields.moves!.acceptedWorse + accThesis.fields.moves!.rejectedWorse).toBeGreaterThan(
        0,
      );
      expect(accThesis.fields).toEqual(accMean.fields);
      expect(sameWeights(accThesis.weights, accMean.weights)).toBe(true);
    });
  });

  describe('method state in checkpoints', () => {
    for (const [spec, field] of [
      [{ id: 'ssa', cooling: 0.5 }, 'epsilon'],
      [{ id: 'sgd-sa', cooling: 0.5 }, 'temperature'],
      [{ id: 'restart' }, 'restarts'],
      [{ id: 'adam' }, 'step'],
      [{ id: 'adagrad' }, 'step'],
    ] as const) {
      it(`${spec.id}: the saved state round-trips, and one with "${field}" missing fails by name`, async () => {
        t = tinyContext();
        const m = createMethod(t.ctx, methodSpec(spec));
        m.beginEpoch(1);
        m.endEpoch(1, estimate(1));
        const saved = await m.saveState();
        const again = createMethod(t.ctx, methodSpec(spec));
        again.loadState(saved);
        expect(await again.saveState()).toEqual(saved);
        const broken = { ...saved, scalars: { ...saved.scalars } };
        delete broken.scalars[field];
        expect(() => again.loadState(broken)).toThrow(
          new RegExp(`state does not fit this method: ${field}:`),
        );
        m.dispose();
        again.dispose();
      });
    }

    it("refuses another method's state", async () => {
      t = tinyContext();
      const ssa = createMethod(t.ctx, methodSpec({ id: 'ssa' }));
      const sgd = createMethod(t.ctx, methodSpec({ id: 'sgd' }));
      const ssaState = await ssa.saveState();
      expect(() => sgd.loadState(ssaState)).toThrow(/SGD state does not fit this method/);
      ssa.dispose();
      sgd.dispose();
    });
  });

  describe('no tensor leaks', () => {
    for (const spec of [
      { id: 'sgd', momentum: 0.9, weightDecay: 1e-4, nesterov: true },
      { id: 'scheduled-sgd' },
      { id: 'restart', restartEpsilon: 100, checkEvery: 2 },
      { id: 'ssa' },
      { id: 'sgd-sa' },
      { id: 'adam', amsgrad: true, weightDecay: 0.1 },
      { id: 'adamw' },
      { id: 'rmsprop', centered: true, momentum: 0.9, weightDecay: 0.1 },
      { id: 'adagrad', weightDecay: 0.1 },
    ]) {
      it(`${spec.id}: tf.memory().numTensors is flat across steps`, () => {
        t = tinyContext();
        const m = createMethod(t.ctx, methodSpec(spec));
        m.beginEpoch(1);
        const counts: number[] = [];
        for (let s = 1; s <= 6; s++) {
          const b = t.batch();
          m.step(b, s);
          disposeBatch(b);
          counts.push(tf.memory().numTensors);
        }
        m.endEpoch(1, estimate(1, 0));
        // Compare like with like: a restart every 2 steps frees and re-creates momentum buffers.
        expect(new Set(counts.filter((_, i) => i % 2 === 1)).size).toBe(1);
        m.dispose();
      });
    }
  });

  describe('Metropolis decision on the device (tf.where, one read-back per chunk)', () => {
    /** `steps` minibatches of `epochs` epochs; the records, counters and weights after each epoch. */
    function train(spec: unknown, decisions: 'host' | 'device', epochs: number, steps: number) {
      const c = tinyContext(5);
      c.ctx.decisions = decisions;
      c.ctx.deviceChunk = 16;
      const m = createMethod(c.ctx, methodSpec(spec));
      const out = [];
      try {
        for (let epoch = 1; epoch <= epochs; epoch++) {
          m.beginEpoch(epoch);
          for (let s = 0; s < steps; s++) {
            const b = c.batch(Array.from({ length: 32 }, (_, i) => (i * 7 + s * 3 + epoch) % 128));
            m.step(b, s + 1);
            disposeBatch(b);
          }
          const fields = m.endEpoch(epoch, estimate(1, 0));
          out.push({
            fields,
            counters: { ...c.ctx.counters },
            metropolisStream: c.ctx.rng('metropolis').getState(),
            weights: c.weights(),
          });
        }
      } finally {
        m.dispose();
        c.dispose();
      }
      return out;
    }

    // Each method on both loss scales; on the thesis scale (Δ / 32 here) at a 32 times lower T,
    // so that every kind of move happens there too.
    for (const spec of [
      { id: 'ssa', epsilon: 0.05, temperature: 0.02, cooling: 0.5, acceptedBound: 0, lossScale: 'mean' },
      {
        id: 'ssa',
        epsilon: 0.05,
        temperature: 0.02 / 32,
        cooling: 0.5,
        acceptedBound: 0,
        lossScale: 'thesis',
      },
      { id: 'sgd-sa', lrSet: [0.05, 1, 8], temperature: 0.2, cooling: 0.5, lossScale: 'mean' },
      { id: 'sgd-sa', lrSet: [0.05, 1, 8], temperature: 0.2 / 32, cooling: 0.5, lossScale: 'thesis' },
    ]) {
      it(`${spec.id} (${spec.lossScale} scale): the same moves, probabilities, counters, random stream and weights as on the host`, () => {
        // 40 steps an epoch with a read-back every 16: two mid-epoch read-backs, one at the end.
        const host = train(spec, 'host', 2, 40);
        const device = train(spec, 'device', 2, 40);
        for (let e = 0; e < 2; e++) {
          const moves = host[e]!.fields.moves!;
          // The run must hold all three kinds of move for the comparison to mean something.
          expect(moves.better).toBeGreaterThan(0);
          expect(moves.acceptedWorse).toBeGreaterThan(0);
          expect(moves.rejectedWorse).toBeGreaterThan(0);
          expect(device[e]!.fields).toEqual(host[e]!.fields);
          expect(device[e]!.counters).toEqual(host[e]!.counters);
          expect(device[e]!.metropolisStream).toEqual(host[e]!.metropolisStream);
          expect(sameWeights(device[e]!.weights, host[e]!.weights)).toBe(true);
        }
      });
    }

    it('a rejected move leaves the exact weights; the counts arrive at the epoch end', () => {
      t = tinyContext();
      t.ctx.decisions = 'device';
      const m = new SsaMethod(t.ctx, methodSpec({ id: 'ssa', epsilon: 0.5, temperature: 1e-12 }) as never);
      m.beginEpoch(1);
      let unchanged = 0;
      for (let s = 1; s <= 12; s++) {
        const before = t.weights();
        const b = t.batch(Array.from({ length: 32 }, (_, i) => (i * 3 + s) % 128));
        m.step(b, s);
        disposeBatch(b);
        if (sameWeights(t.weights(), before)) unchanged++;
      }
      // Nothing read back yet: the statistics wait for the flush.
      expect(m.stats.total).toBe(0);
      const { moves } = m.endEpoch(1, estimate(1, 0));
      expect(unchanged).toBeGreaterThanOrEqual(3);
      expect(moves!.rejectedWorse).toBe(unchanged);
      expect(t.ctx.counters.updates).toBe(12 - unchanged);
      m.dispose();
    });

    it('a NaN objective is rejected on the device and reported at the read-back', () => {
      t = tinyContext();
      t.ctx.decisions = 'device';
      const m = createMethod(t.ctx, methodSpec({ id: 'sgd-sa', lrSet: [0.1] }));
      m.beginEpoch(1);
      // NaN in the output layer's bias, so that the objective is NaN on every backend: wasm's fused
      // matmul + ReLU (XNNPACK's clamp) turns NaN into 0, so NaN in a hidden layer never reaches it.
      const out = t.ctx.params[t.ctx.params.length - 1]!;
      out.assign(tf.fill(out.shape, NaN));
      const b = t.batch();
      m.step(b, 1);
      disposeBatch(b);
      expect(() => m.endEpoch(1, estimate(1, 0))).toThrow(/NaN/);
      m.dispose();
    });

    it('is chosen on the tensorflow backend only, unless ANNEALAB_METROPOLIS says otherwise', () => {
      expect(metropolisPlacement('tensorflow', {})).toBe('device');
      expect(metropolisPlacement('wasm', {})).toBe('host');
      expect(metropolisPlacement('cpu', { ANNEALAB_METROPOLIS: 'auto' })).toBe('host');
      expect(metropolisPlacement('wasm', { ANNEALAB_METROPOLIS: 'device' })).toBe('device');
      expect(metropolisPlacement('tensorflow', { ANNEALAB_METROPOLIS: 'host' })).toBe('host');
      expect(() => metropolisPlacement('wasm', { ANNEALAB_METROPOLIS: 'gpu' })).toThrow(
        /ANNEALAB_METROPOLIS is "gpu"; expected host, device or auto/,
      );
    });

    for (const id of ['ssa', 'sgd-sa']) {
      it(`${id}: tf.memory().numTensors is flat across steps and read-backs`, () => {
        t = tinyContext();
        t.ctx.decisions = 'device';
        const m = createMethod(t.ctx, methodSpec({ id }));
        const counts: number[] = [];
        for (let epoch = 1; epoch <= 3; epoch++) {
          m.beginEpoch(epoch);
          for (let s = 1; s <= 4; s++) {
            const b = t.batch();
            m.step(b, s);
            disposeBatch(b);
          }
          m.endEpoch(epoch, estimate(1, 0));
          counts.push(tf.memory().numTensors);
        }
        expect(new Set(counts).size).toBe(1);
        m.dispose();
      });
    }
  });
});

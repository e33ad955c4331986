// The gradient-against-random-move histogram (thesis Fig. 3.1, 3.2): recorded on request by a
// real run, leaving the run's own numbers untouched, and drawn as a figure.
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { EpochRecord } from '../../src/shared/records';
import { Rng } from '../../src/shared/rng';
import { buildFigure, figureApplies } from '../../src/shared/charts';
import { trainRun, type RunPlan } from '../../src/main/trainer/loop';
import { moveHistogram } from '../../src/main/trainer/move-histogram';
import { exportFigure } from '../../src/main/export';
import { makeRun } from '../fixtures/runs';
import { syntheticData, tinySpec, useCpu } from '../helpers/tiny-training';

beforeAll(useCpu);

async function run(method: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  const spec = tinySpec([method], { epochs: 3, ...extra });
  const records: EpochRecord[] = [];
  const plan: RunPlan = { experimentId: 'e', runId: 'r', spec, methodIndex: 0, model: 'mlp', seed: 3 };
  const outcome = await trainRun(plan, syntheticData(), { onEpoch: (r) => void records.push(r) });
  tf.dispose(outcome.bestWeights ?? []);
  return records;
}

describe('moveHistogram', () => {
  it('counts every weight once on symmetric common bins, and the move has std ε', () => {
    const rng = Rng.fromSeed(1, 'g');
    const gradient = Float32Array.from({ length: 20_000 }, () => 3 * rng.normal());
    const h = moveHistogram(gradient, { lr: 0.01, bins: 40, epsilon: 0.05 }, Rng.fromSeed(2, 'm'));
    expect(h.edges).toHaveLength(41);
    expect(h.edges[0]).toBeCloseTo(-h.edges[40]!, 12);
    expect(h.gradient.reduce((a, b) => a + b)).toBe(20_000);
    expect(h.move.reduce((a, b) => a + b)).toBe(20_000);
    expect(h.moveStats.std).toBeGreaterThan(0.05 * 0.97);
    expect(h.moveStats.std).toBeLessThan(0.05 * 1.03);
    expect(h.gradientStats.std).toBeGreaterThan(0.03 * 0.97);
    expect(h.gradientStats.std).toBeLessThan(0.03 * 1.03);
  });
});

describe('a run with moveHistogram', () => {
  it('records it at the epochs asked for, with the SSA run’s ε, and changes nothing else', async () => {
    const plain = await run({ id: 'ssa' });
    const asked = await run({ id: 'ssa' }, { moveHistogram: { epochs: [2], lr: 0.01, bins: 20 } });
    expect(asked.map((r) => Boolean(r.moveHistogram))).toEqual([false, true, false]);
    const h = asked[1]!.moveHistogram!;
    expect(h.epsilon).toBe(asked[1]!.epsilon);
    expect(h.lr).toBe(0.01);
    // The MLP on 8×8 inputs with 4 classes: 64·128 + 128 + 128·4 + 4 weights.
    expect(h.parameters).toBe(64 * 128 + 128 + 128 * 4 + 4);
    expect(h.gradient.reduce((a, b) => a + b)).toBe(h.parameters);
    expect(h.gradientStats.maxAbs).toBeGreaterThan(0);
    // Its own random stream and an inference-mode gradient: the run's numbers are unchanged.
    const strip = (r: EpochRecord) => ({ val: r.val, train: r.train, moves: r.moves, epsilon: r.epsilon });
    expect(asked.map(strip)).toEqual(plain.map(strip));
  });

  it('uses the option’s ε, else 0.01 for a gradient method', async () => {
    const [r] = await run({ id: 'sgd' }, { epochs: 1, moveHistogram: { epochs: [1] } });
    expect(r!.moveHistogram).toMatchObject({ epsilon: 0.01, lr: 0.01 });
    expect(r!.moveHistogram!.edges).toHaveLength(61);
    const [s] = await run({ id: 'sgd' }, { epochs: 1, moveHistogram: { epochs: [1], epsilon: 1e-4 } });
    expect(s!.moveHistogram!.epsilon).toBe(1e-4);
  });
});

describe('the move-histogram figure', () => {
  const h = moveHistogram(
    Float32Array.from([-1, 0, 0, 1, 2]),
    { lr: 0.1, bins: 4, epsilon: 0.1 },
    Rng.fromSeed(1),
  );
  const withHist = makeRun({
    methodIndex: 0,
    method: { id: 'ssa' },
    model: 'mlp',
    seed: 1,
    epochs: [{ valAcc: 0.5 }, { valAcc: 0.6 }],
  });
  withHist.epochs[0] = { ...withHist.epochs[0]!, moveHistogram: h };
  const without = makeRun({
    methodIndex: 0,
    method: { id: 'sgd' },
    model: 'mlp',
    seed: 1,
    epochs: [{ valAcc: 0.5 }],
  });

  it('applies only to runs that recorded one', () => {
    expect(figureApplies('move-histogram', [without])).toBe(false);
    expect(figureApplies('move-histogram', [without, withHist])).toBe(true);
  });

  it('draws both distributions as fractions of the weights, at the chosen epoch', () => {
    const option = buildFigure('move-histogram', [withHist], { epoch: 1 }) as {
      series: { data: [number, number][] }[];
    };
    expect(option.series).toHaveLength(2);
    for (const s of option.series) {
      // Each bin is a flat step of two points: the fractions over the bins sum to 1.
      const fractions = s.data.filter((_, i) => i % 2 === 0).map(([, y]) => y);
      expect(fractions.reduce((a, b) => a + b)).toBeCloseTo(1, 12);
    }
    const none = buildFigure('move-histogram', [withHist], { epoch: 2 }) as { title: { subtext: string } };
    expect(none.title.subtext).toBe('No run recorded a histogram at epoch 2.');
  });

  it('exports as SVG, and refuses runs without one, saying how to record it', () => {
    expect(exportFigure([withHist], 'move-histogram', 'svg')).toContain('<svg');
    expect(() => exportFigure([without], 'move-histogram', 'svg')).toThrow(
      /"moveHistogram": \{"epochs": \[1\]\}/,
    );
  });
});

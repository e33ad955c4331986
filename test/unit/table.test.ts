// The table model on fixed data: seeds, ties, missing and failed runs, significance,
// time-to-target and how columns are chosen.
import { describe, expect, it } from 'vitest';
import type { RunResult } from '../../src/shared/results';
import { mannWhitneyU, mean, pairedTTest, sampleStd, welchTTest } from '../../src/shared/stats';
import { buildComparisonTable, runValue, significanceMark } from '../../src/shared/table';
import { makeRun, type EpochSpec } from '../fixtures/runs';

const SGD = { id: 'sgd', lr: 0.1 } as const;
const MOMENTUM = { id: 'sgd', lr: 0.001, momentum: 0.9 } as const;
const SSA = { id: 'ssa' } as const;

/** A three-epoch run whose best values are `loss` and `acc`, reached at epoch 2. */
function run(o: {
  methodIndex: number;
  method: { id: 'sgd' | 'ssa' | 'sgd-sa' | 'restart' | 'scheduled-sgd' } & Record<string, unknown>;
  model?: string;
  dataset?: string;
  seed: number;
  loss: number;
  acc: number;
  status?: RunResult['status'];
  error?: string;
  experimentId?: string;
  experimentName?: string;
}): RunResult {
  const epochs: EpochSpec[] = [
    { valLoss: o.loss + 0.2, valAcc: o.acc - 0.1 },
    { valLoss: o.loss, valAcc: o.acc },
    { valLoss: o.loss + 0.05, valAcc: o.acc - 0.01 },
  ];
  return makeRun({
    methodIndex: o.methodIndex,
    method: o.method,
    model: o.model ?? 'lenet5',
    dataset: o.dataset ?? 'mnist',
    seed: o.seed,
    status: o.status ?? 'finished',
    error: o.error ?? null,
    epochs: o.status && o.status !== 'finished' ? epochs.slice(0, 1) : epochs,
    experimentId: o.experimentId ?? 'exp-1',
    experimentName: o.experimentName ?? 'lenet-mnist',
  });
}

describe('cells over seeds', () => {
  const runs = [
    run({ methodIndex: 0, method: SGD, seed: 1, loss: 0.3, acc: 0.9 }),
    run({ methodIndex: 0, method: SGD, seed: 2, loss: 0.34, acc: 0.91 }),
    run({ methodIndex: 0, method: SGD, seed: 3, loss: 0.32, acc: 0.89 }),
    run({ methodIndex: 1, method: SSA, seed: 1, loss: 0.8, acc: 0.7 }),
  ];
  const table = buildComparisonTable(runs, { stat: 'best', norm: 'mean' });

  it('summarises each method by mean, sample std and n of the per-seed best values', () => {
    const loss = table.rows[0]!.cells[0]!.loss!;
    expect(loss.perSeed).toEqual([0.3, 0.34, 0.32]);
    expect(loss.seeds).toEqual([1, 2, 3]);
    expect(loss.n).toBe(3);
    expect(loss.mean).toBeCloseTo(mean([0.3, 0.34, 0.32]), 15);
    expect(loss.std).toBeCloseTo(sampleStd([0.3, 0.34, 0.32]), 15);
    expect(table.rows[0]!.cells[0]!.accuracy!.mean).toBeCloseTo(0.9, 15);
    expect(table.seedsPerCell).toEqual({ min: 1, max: 3 });
    expect(table.caption).toContain('1–3 seeds per cell');
  });

  it('gives one seed no spread', () => {
    const ssa = table.rows[1]!.cells[0]!;
    expect(ssa.loss!.n).toBe(1);
    expect(ssa.loss!.std).toBeNull();
    expect(ssa.accuracy!.std).toBeNull();
  });

  it('reads best (min loss, max accuracy, independently) or the last epoch', () => {
    const epochs = runs[0]!.epochs;
    expect(runValue(epochs, 'loss', 'best', 'mean')).toBe(0.3);
    expect(runValue(epochs, 'accuracy', 'best', 'mean')).toBe(0.9);
    expect(runValue(epochs, 'loss', 'final', 'mean')).toBeCloseTo(0.35, 15);
    expect(runValue(epochs, 'accuracy', 'final', 'mean')).toBeCloseTo(0.89, 15);
    expect(runValue(epochs, 'loss', 'best', 'thesis')).toBeCloseTo(0.3 / 512, 15);
    const final = buildComparisonTable(runs, { stat: 'final', norm: 'mean' });
    expect(final.rows[0]!.cells[0]!.loss!.mean).toBeCloseTo(mean([0.35, 0.39, 0.37]), 12);
    expect(final.caption).toContain('after the last epoch');
  });

  it('takes the best over finite epochs only, so a diverged epoch is not the minimum', () => {
    const r = makeRun({
      methodIndex: 0,
      method: SGD,
      model: 'lenet5',
      seed: 1,
      epochs: [
        { valLoss: 0.5, valAcc: 0.8 },
        { valLoss: NaN, valAcc: 0.1 },
      ],
    });
    expect(runValue(r.epochs, 'loss', 'best', 'mean')).toBe(0.5);
    expect(runValue(r.epochs, 'loss', 'final', 'mean')).toBeNaN();
  });
});

describe('best marks', () => {
  it('marks ties both best', () => {
    const table = buildComparisonTable(
      [
        run({ methodIndex: 0, method: SGD, seed: 1, loss: 0.3, acc: 0.9 }),
        run({ methodIndex: 1, method: MOMENTUM, seed: 1, loss: 0.3, acc: 0.85 }),
        run({ methodIndex: 2, method: SSA, seed: 1, loss: 0.5, acc: 0.9 }),
      ],
      { stat: 'best', norm: 'mean' },
    );
    const best = (m: 'loss' | 'accuracy') => table.rows.map((r) => r.cells[0]![m]!.isBest);
    expect(best('loss')).toEqual([true, true, false]);
    expect(best('accuracy')).toEqual([true, false, true]);
  });

  it('calls values that print alike a tie, so no bold sits beside an identical number', () => {
    const table = buildComparisonTable(
      [
        run({ methodIndex: 0, method: SGD, seed: 1, loss: 0.30001, acc: 0.90001 }),
        run({ methodIndex: 1, method: SSA, seed: 1, loss: 0.30004, acc: 0.90004 }),
      ],
      { stat: 'best', norm: 'mean' },
    );
    expect(table.rows.map((r) => r.cells[0]!.loss!.isBest)).toEqual([true, true]);
    expect(table.rows.map((r) => r.cells[0]!.accuracy!.isBest)).toEqual([true, true]);
  });

  it('does not mark a value that has nothing to be compared with', () => {
    const table = buildComparisonTable([run({ methodIndex: 0, method: SGD, seed: 1, loss: 0.3, acc: 0.9 })], {
      stat: 'best',
      norm: 'mean',
    });
    expect(table.rows[0]!.cells[0]!.loss!.isBest).toBe(false);
  });
});

describe('missing and left-out runs', () => {
  const runs = [
    run({ methodIndex: 0, method: SGD, model: 'lenet5', seed: 1, loss: 0.3, acc: 0.9 }),
    run({ methodIndex: 0, method: SGD, model: 'lenet5', seed: 2, loss: 0.31, acc: 0.91 }),
    run({ methodIndex: 0, method: SGD, model: 'convnet', seed: 1, loss: 0.2, acc: 0.95 }),
    // SSA on convnet never ran at all; its seed 2 on lenet5 failed.
    run({ methodIndex: 1, method: SSA, model: 'lenet5', seed: 1, loss: 0.8, acc: 0.7 }),
    run({
      methodIndex: 1,
      method: SSA,
      model: 'lenet5',
      seed: 2,
      loss: 0.1,
      acc: 0.99,
      status: 'failed',
      error: 'out of memory',
    }),
    // Every run of momentum SGD was stopped.
    run({
      methodIndex: 2,
      method: MOMENTUM,
      model: 'lenet5',
      seed: 1,
      loss: 0.2,
      acc: 0.9,
      status: 'cancelled',
    }),
    run({
      methodIndex: 2,
      method: MOMENTUM,
      model: 'convnet',
      seed: 1,
      loss: 0.2,
      acc: 0.9,
      status: 'interrupted',
    }),
  ];
  const table = buildComparisonTable(runs, { stat: 'best', norm: 'mean' });

  it('leaves out runs that did not finish and counts only the finished ones', () => {
    const ssa = table.rows[1]!.cells[0]!;
    expect(ssa.loss!.n).toBe(1);
    expect(ssa.loss!.mean).toBe(0.8);
    expect(table.excluded.map((x) => [x.label, x.column, x.seed, x.status])).toEqual([
      ['SSA (ε = 0.01, T = 1, α = 0.97)', 'LeNet-5', 2, 'failed'],
      ['SGD with momentum (η = 0.001, β = 0.9)', 'LeNet-5', 1, 'cancelled'],
      ['SGD with momentum (η = 0.001, β = 0.9)', 'LeNet-like', 1, 'interrupted'],
    ]);
  });

  it('says so in a note, with the reason', () => {
    const note = table.notes.find((n) => n.kind === 'excluded')!;
    expect(note.text).toContain('3 runs that did not finish');
    expect(note.text).toContain('seed 2 (failed: out of memory)');
    expect(note.text).toContain('cancelled');
    expect(note.text).toContain('interrupted');
  });

  it('gives a method × network with no finished run empty cells, never a zero', () => {
    expect(table.rows[1]!.cells[1]).toEqual({ loss: null, accuracy: null });
    expect(table.rows[2]!.cells.every((g) => g.loss === null && g.accuracy === null)).toBe(true);
    expect(table.notes.some((n) => n.kind === 'missing')).toBe(true);
  });

  it('keeps the row of a method whose runs all failed', () => {
    expect(table.rows.map((r) => r.label)).toContain('SGD with momentum (η = 0.001, β = 0.9)');
  });

  it('has no notes when nothing is missing', () => {
    const clean = buildComparisonTable(runs.slice(0, 2), { stat: 'best', norm: 'mean' });
    expect(clean.notes).toEqual([]);
    expect(clean.excluded).toEqual([]);
  });
});

describe('significance against a baseline', () => {
  const sgd = [0.3, 0.31, 0.29, 0.3];
  const ssa = [0.5, 0.52, 0.47, 0.55];
  const mom = [0.305, 0.3, 0.31, 0.29];
  const runs = [
    ...sgd.map((l, i) => run({ methodIndex: 0, method: SGD, seed: i + 1, loss: l, acc: 0.9 + l / 10 })),
    ...ssa.map((l, i) => run({ methodIndex: 1, method: SSA, seed: i + 1, loss: l, acc: 0.7 + l / 10 })),
    ...mom.map((l, i) => run({ methodIndex: 2, method: MOMENTUM, seed: i + 1, loss: l, acc: 0.9 + l / 10 })),
  ];

  it("puts Welch's p-value of the per-seed values in each cell, none in the baseline's row", () => {
    const table = buildComparisonTable(runs, { stat: 'best', norm: 'mean', baseline: 'SGD (η = 0.1)' });
    expect(table.baseline?.label).toBe('SGD (η = 0.1)');
    expect(table.rows[0]!.isBaseline).toBe(true);
    expect(table.rows[0]!.cells[0]!.loss!.pValue).toBeUndefined();
    const p = table.rows[1]!.cells[0]!.loss!.pValue!;
    expect(p).toBeCloseTo(welchTTest(ssa, sgd).pValue, 15);
    expect(p).toBeLessThan(0.01);
    expect(significanceMark(p)).toBe('**');
    expect(significanceMark(table.rows[2]!.cells[0]!.loss!.pValue)).toBe('');
    const note = table.notes.find((n) => n.kind === 'significance')!;
    expect(note.text).toContain("* p < 0.05, ** p < 0.01: two-sided Welch's t-test");
    expect(note.text).toContain('against SGD (η = 0.1)');
  });

  it('accepts the baseline as an ASCII label, a unique method id or a row number, and refuses an unknown or ambiguous one', () => {
    expect(
      buildComparisonTable(runs, { stat: 'best', norm: 'mean', baseline: 'sgd (eta = 0.1)' }).baseline?.label,
    ).toBe('SGD (η = 0.1)');
    expect(buildComparisonTable(runs, { stat: 'best', norm: 'mean', baseline: 'ssa' }).baseline?.label).toBe(
      'SSA (ε = 0.01, T = 1, α = 0.97)',
    );
    expect(() => buildComparisonTable(runs, { stat: 'best', norm: 'mean', baseline: 'sgd' })).toThrow(
      /matches 2 methods/,
    );
    expect(buildComparisonTable(runs, { stat: 'best', norm: 'mean', baseline: '2' }).baseline?.label).toBe(
      'SSA (ε = 0.01, T = 1, α = 0.97)',
    );
    expect(() => buildComparisonTable(runs, { stat: 'best', norm: 'mean', baseline: '4' })).toThrow(
      /baseline row 4 does not exist: the table has rows 1 to 3/,
    );
    expect(() => buildComparisonTable(runs, { stat: 'best', norm: 'mean', baseline: 'adam' })).toThrow(
      /none of the methods: "SGD \(η = 0.1\)"/,
    );
  });

  it('uses Mann–Whitney U on request, and warns when the seeds are too few for it to mark anything', () => {
    const few = runs.filter((r) => r.seed <= 3);
    const table = buildComparisonTable(few, {
      stat: 'best',
      norm: 'mean',
      baseline: 'ssa',
      test: 'mannwhitney',
    });
    const p = table.rows[0]!.cells[0]!.loss!.pValue!;
    expect(p).toBeCloseTo(mannWhitneyU(sgd.slice(0, 3), ssa.slice(0, 3)).pValue, 15);
    expect(p).toBeCloseTo(0.1, 12); // complete separation, 3 vs 3
    expect(table.notes.find((n) => n.kind === 'test-power')?.text).toContain('With 3 and 3 seeds');
  });

  it('pairs the seeds for the paired t-test, in whatever order the runs come, and says so', () => {
    // Reversed order and one extra seed on one side: the test must pair seed with seed, not i with i.
    const shuffled = [...runs.slice(4, 8)].reverse();
    const extra = run({ methodIndex: 0, method: SGD, seed: 9, loss: 0.9, acc: 0.99 });
    const table = buildComparisonTable([...runs.slice(0, 4), extra, ...shuffled], {
      stat: 'best',
      norm: 'mean',
      baseline: 'SGD (η = 0.1)',
      test: 'paired',
    });
    const p = table.rows[1]!.cells[0]!.loss!.pValue!;
    expect(p).toBeCloseTo(pairedTTest(ssa, sgd).pValue, 15);
    expect(p).not.toBeCloseTo(welchTTest(ssa, [...sgd, 0.9]).pValue, 6);
    expect(table.notes.find((n) => n.kind === 'significance')!.text).toMatch(
      /two-sided paired t-test .* seed by seed .* fewer than 2 seeds in common are not tested/,
    );
  });

  it('leaves a cell untested when a side has one seed', () => {
    const table = buildComparisonTable(
      [...runs.slice(0, 4), run({ methodIndex: 1, method: SSA, seed: 1, loss: 0.5, acc: 0.7 })],
      { stat: 'best', norm: 'mean', baseline: 'SGD (η = 0.1)' },
    );
    expect(table.rows[1]!.cells[0]!.loss!.pValue).toBeNull();
  });
});

describe('time to target', () => {
  const mk = (seed: number, accs: number[], methodIndex = 0) =>
    makeRun({
      methodIndex,
      method: methodIndex === 0 ? SGD : SSA,
      model: 'lenet5',
      seed,
      epochs: accs.map((a, i) => ({
        valLoss: 1 - a,
        valAcc: a,
        seconds: (i + 1) * 2 * seed,
        forward: (i + 1) * 300,
        backward: methodIndex === 0 ? (i + 1) * 100 : 0,
      })),
    });

  it('counts epochs, seconds and passes to the first epoch at or above the target, over the seeds that reach it', () => {
    const table = buildComparisonTable(
      [mk(1, [0.5, 0.9, 0.95]), mk(2, [0.6, 0.8, 0.9]), mk(3, [0.5, 0.6, 0.7]), mk(1, [0.2, 0.3, 0.4], 1)],
      { stat: 'best', norm: 'mean', timeToTarget: 0.9 },
    );
    const ttt = table.rows[0]!.cells[0]!.timeToTarget!;
    expect(ttt.n).toBe(3);
    expect(ttt.reached).toBe(2);
    expect(ttt.epochs!.mean).toBe(2.5);
    expect(ttt.seconds!.mean).toBe((2 * 2 * 1 + 3 * 2 * 2) / 2);
    expect(ttt.forward!.mean).toBe(750);
    expect(ttt.backward!.mean).toBe(250);
    const never = table.rows[1]!.cells[0]!.timeToTarget!;
    expect(never.reached).toBe(0);
    expect(never.epochs).toBeNull();
  });

  it('refuses a target given in percent', () => {
    expect(() =>
      buildComparisonTable([mk(1, [0.5])], { stat: 'best', norm: 'mean', timeToTarget: 90 }),
    ).toThrow(/fraction/);
  });
});

describe('columns and rows', () => {
  it('makes one column per dataset when one model ran on several datasets', () => {
    const table = buildComparisonTable(
      [
        run({ methodIndex: 0, method: SGD, dataset: 'mnist', seed: 1, loss: 0.3, acc: 0.9 }),
        run({ methodIndex: 0, method: SGD, dataset: 'fashion-mnist', seed: 1, loss: 0.5, acc: 0.8 }),
      ],
      { stat: 'best', norm: 'mean' },
    );
    expect(table.columnKind).toBe('dataset');
    expect(table.columns.map((c) => c.title)).toEqual(['MNIST', 'Fashion-MNIST']);
  });

  it('names both when models and datasets both vary', () => {
    const table = buildComparisonTable(
      [
        run({ methodIndex: 0, method: SGD, model: 'lenet5', dataset: 'mnist', seed: 1, loss: 0.3, acc: 0.9 }),
        run({
          methodIndex: 0,
          method: SGD,
          model: 'vgg16',
          dataset: 'fashion-mnist',
          seed: 1,
          loss: 0.5,
          acc: 0.8,
        }),
      ],
      { stat: 'best', norm: 'mean' },
    );
    expect(table.columns.map((c) => c.title)).toEqual(['LeNet-5 (MNIST)', 'VGG16 (Fashion-MNIST)']);
  });

  it('joins the same method of several experiments into one row, in spec order', () => {
    const table = buildComparisonTable(
      [
        run({
          methodIndex: 1,
          method: SGD,
          seed: 1,
          loss: 0.3,
          acc: 0.9,
          experimentId: 'a',
          experimentName: 'A',
        }),
        run({
          methodIndex: 0,
          method: SSA,
          seed: 1,
          loss: 0.6,
          acc: 0.7,
          experimentId: 'a',
          experimentName: 'A',
        }),
        run({
          methodIndex: 0,
          method: SGD,
          seed: 2,
          loss: 0.32,
          acc: 0.88,
          experimentId: 'b',
          experimentName: 'B',
        }),
      ],
      { stat: 'best', norm: 'mean' },
    );
    expect(table.rows.map((r) => r.label)).toEqual(['SSA (ε = 0.01, T = 1, α = 0.97)', 'SGD (η = 0.1)']);
    expect(table.rows[1]!.cells[0]!.loss!.seeds).toEqual([1, 2]);
    expect(table.experiments.map((e) => e.name)).toEqual(['A', 'B']);
    expect(table.caption.startsWith('A, B: minimum validation loss')).toBe(true);
  });

  it('keeps apart two methods of one experiment that print the same label', () => {
    const table = buildComparisonTable(
      [
        run({ methodIndex: 0, method: SGD, seed: 1, loss: 0.3, acc: 0.9 }),
        run({ methodIndex: 1, method: { ...SGD, weightDecay: 1e-4 }, seed: 1, loss: 0.25, acc: 0.92 }),
      ],
      { stat: 'best', norm: 'mean' },
    );
    // Named by the parameter that differs, not by a position the reader cannot see.
    expect(table.rows.map((r) => r.label)).toEqual([
      'SGD (η = 0.1) · weightDecay 0',
      'SGD (η = 0.1) · weightDecay 0.0001',
    ]);
  });

  it('counts a seed that appears twice for one method and network once, and says which run it kept', () => {
    const table = buildComparisonTable(
      [
        run({ methodIndex: 0, method: SGD, seed: 1, loss: 0.3, acc: 0.9, experimentId: 'a' }),
        run({ methodIndex: 0, method: SGD, seed: 1, loss: 0.31, acc: 0.9, experimentId: 'b' }),
      ],
      { stat: 'best', norm: 'mean' },
    );
    expect(table.rows[0]!.cells[0]!.loss!.n).toBe(1);
    expect(table.rows[0]!.cells[0]!.loss!.mean).toBe(0.3);
    const note = table.notes.find((n) => n.kind === 'duplicate-seed')?.text;
    expect(note).toContain('seed 1 ran twice');
    expect(note).toMatch(/lenet-mnist \(run run-\d+\) is counted and lenet-mnist \(run run-\d+\) left out/);
  });
});

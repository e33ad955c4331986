// No silent pooling: the table model and the charts keep differently configured runs apart,
// label them by what differs, count a seed once, and test each row against the baseline
// trained the same way.
import { describe, expect, it } from 'vitest';
import type { RunConfig, RunResult } from '../../src/shared/results';
import { buildFigure, seriesGroups, aggregateByEpoch } from '../../src/shared/charts';
import { welchTTest } from '../../src/shared/stats';
import {
  backendClassOf,
  buildComparisonTable,
  configurationKey,
  groupRuns,
  methodChoices,
  renderLatex,
  renderText,
  selectMethods,
} from '../../src/shared/table';
import { makeRun, type EpochSpec } from '../fixtures/runs';

const SGD = { id: 'sgd', lr: 0.1 } as const;
const SSA = { id: 'ssa' } as const;
const MOMENTUM = { id: 'sgd', lr: 0.001, momentum: 0.9 } as const;

const BASE: RunConfig = {
  dataset: { id: 'mnist', trainSize: 1000, testSize: 500, seed: 0 },
  epochs: 3,
  batchSize: 64,
  dropLast: false,
  estimateBatches: 10,
  augment: false,
  init: 'pytorch',
  backend: 'auto',
};

function config(o: Partial<Omit<RunConfig, 'dataset'>> & { trainSize?: number | null } = {}): RunConfig {
  const { trainSize, ...rest } = o;
  return {
    ...BASE,
    ...rest,
    dataset: { ...BASE.dataset, ...(trainSize !== undefined ? { trainSize } : {}) },
  };
}

/** A run whose best validation loss is `loss` (at its last epoch) over `config.epochs` epochs. */
function run(o: {
  experiment: string;
  methodIndex: number;
  method: { id: 'sgd' | 'ssa' } & Record<string, unknown>;
  seed: number;
  loss: number;
  config?: RunConfig;
  backend?: string;
  model?: string;
  status?: RunResult['status'];
}): RunResult {
  const epochs = o.config?.epochs ?? 3;
  const curve: EpochSpec[] = Array.from({ length: epochs }, (_, i) => ({
    valLoss: o.loss + (epochs - 1 - i) * 0.1,
    valAcc: 0.5 + (0.4 * (i + 1)) / epochs,
  }));
  return makeRun({
    experimentId: o.experiment,
    experimentName: o.experiment,
    methodIndex: o.methodIndex,
    method: o.method,
    model: o.model ?? 'lenet5',
    seed: o.seed,
    batchSize: o.config?.batchSize ?? 64,
    status: o.status ?? 'finished',
    config: o.config,
    backend: o.backend,
    epochs: o.status && o.status !== 'finished' ? [] : curve,
  });
}

/** Experiment A: 3 epochs on 1,000 images; B: 12 epochs on 8,000 — the case. */
function twoExperiments(): RunResult[] {
  const a = config({ epochs: 3, trainSize: 1000 });
  const b = config({ epochs: 12, trainSize: 8000 });
  return [
    ...[1, 2, 3].flatMap((seed) => [
      run({ experiment: 'A', methodIndex: 0, method: SGD, seed, loss: 0.5 + seed / 100, config: a }),
      run({ experiment: 'A', methodIndex: 1, method: SSA, seed, loss: 0.6 + seed / 100, config: a }),
    ]),
    ...[1, 2, 3].flatMap((seed) => [
      run({ experiment: 'B', methodIndex: 0, method: SGD, seed, loss: 0.1 + seed / 100, config: b }),
      run({ experiment: 'B', methodIndex: 1, method: SSA, seed, loss: 0.2 + seed / 100, config: b }),
    ]),
  ];
}

describe('differently configured experiments', () => {
  const table = buildComparisonTable(twoExperiments(), { stat: 'best', norm: 'mean' });

  it('become separate rows, labelled by what differs, never one pooled cell', () => {
    expect(table.rows.map((r) => r.label)).toEqual([
      'SGD (η = 0.1) · epochs 3, train 1,000',
      'SSA (ε = 0.01, T = 1, α = 0.97) · epochs 3, train 1,000',
      'SGD (η = 0.1) · epochs 12, train 8,000',
      'SSA (ε = 0.01, T = 1, α = 0.97) · epochs 12, train 8,000',
    ]);
    // Each cell holds its own experiment's three seeds and only those.
    const losses = table.rows.map((r) => r.cells[0]!.loss!);
    expect(losses.map((c) => c.n)).toEqual([3, 3, 3, 3]);
    expect(losses[0]!.perSeed.map((v) => +v.toFixed(6))).toEqual([0.51, 0.52, 0.53]);
    expect(losses[2]!.perSeed.map((v) => +v.toFixed(6))).toEqual([0.11, 0.12, 0.13]);
    expect(table.rows[0]!.differs).toEqual([
      { name: 'epochs', value: '3' },
      { name: 'train', value: '1,000' },
    ]);
  });

  it('says in a note what differs and that nothing is averaged across it', () => {
    expect(table.settings).toEqual({ differing: ['epochs', 'train'], inColumns: [] });
    const note = table.notes.find((n) => n.kind === 'configurations')?.text;
    expect(note).toContain('differ in epochs, train');
    expect(note).toContain('nothing is averaged');
    expect(table.notes.some((n) => n.kind === 'duplicate-seed')).toBe(false);
  });

  it('says in every format where the best marks apply', () => {
    expect(renderText(table)).toContain('• best in its column among rows of the same settings.');
    expect(renderLatex(table)).toContain('Best per column among rows of the same settings in bold.');
  });

  it('marks the best value among rows trained alike, not across configurations', () => {
    const best = table.rows.map((r) => r.cells[0]!.loss!.isBest);
    // SGD wins in both blocks; without blocks only the 12-epoch SGD would be marked.
    expect(best).toEqual([true, false, true, false]);
  });

  it('tests each row against the baseline trained with the same settings', () => {
    const t = buildComparisonTable(twoExperiments(), { stat: 'best', norm: 'mean', baseline: 'sgd' });
    expect(t.rows.map((r) => r.isBaseline)).toEqual([true, false, true, false]);
    const ssa3 = t.rows[1]!.cells[0]!.loss!;
    const sgd3 = t.rows[0]!.cells[0]!.loss!;
    expect(ssa3.pValue).toBeCloseTo(welchTTest(ssa3.perSeed, sgd3.perSeed).pValue, 12);
    const ssa12 = t.rows[3]!.cells[0]!.loss!;
    const sgd12 = t.rows[2]!.cells[0]!.loss!;
    expect(ssa12.pValue).toBeCloseTo(welchTTest(ssa12.perSeed, sgd12.perSeed).pValue, 12);
    expect(t.notes.find((n) => n.kind === 'significance')?.text).toContain(
      'against SGD (η = 0.1) with the same settings',
    );
  });

  it('names only the settings that differ', () => {
    const runs = [
      run({
        experiment: 'A',
        methodIndex: 0,
        method: SGD,
        seed: 1,
        loss: 0.5,
        config: config({ epochs: 3 }),
      }),
      run({
        experiment: 'B',
        methodIndex: 0,
        method: SGD,
        seed: 1,
        loss: 0.4,
        config: config({ epochs: 5 }),
      }),
    ];
    const t = buildComparisonTable(runs, { stat: 'best', norm: 'mean' });
    expect(t.rows.map((r) => r.label)).toEqual(['SGD (η = 0.1) · epochs 3', 'SGD (η = 0.1) · epochs 5']);
  });

  it('keeps apart every setting that defines a run: batch, subset, augmentation, init, backend class', () => {
    const variants: [RunConfig, string | undefined, string][] = [
      [config({ batchSize: 128 }), undefined, 'batch 128'],
      [config({ trainSize: null }), undefined, 'train all'],
      [{ ...BASE, dataset: { ...BASE.dataset, seed: 7 } }, undefined, 'subset seed 7'],
      [config({ augment: true }), undefined, 'augmentation on'],
      [config({ init: 'glorot' }), undefined, 'init glorot'],
      [config({ dropLast: true }), undefined, 'drop last on'],
      [BASE, 'tensorflow', 'backend GPU'],
    ];
    for (const [other, backend, named] of variants) {
      const runs = [
        run({
          experiment: 'A',
          methodIndex: 0,
          method: SGD,
          seed: 1,
          loss: 0.5,
          config: BASE,
          backend: 'wasm',
        }),
        run({ experiment: 'B', methodIndex: 0, method: SGD, seed: 2, loss: 0.4, config: other, backend }),
      ];
      const t = buildComparisonTable(runs, { stat: 'best', norm: 'mean' });
      expect(t.rows, named).toHaveLength(2);
      expect(t.rows[1]!.label, named).toContain(named);
    }
  });

  it('pools cpu and wasm (one backend class) and the same configuration across experiments', () => {
    const runs = [
      run({
        experiment: 'A',
        methodIndex: 0,
        method: SGD,
        seed: 1,
        loss: 0.5,
        config: BASE,
        backend: 'wasm',
      }),
      run({
        experiment: 'A',
        methodIndex: 0,
        method: SGD,
        seed: 2,
        loss: 0.52,
        config: BASE,
        backend: 'wasm',
      }),
      run({
        experiment: 'B',
        methodIndex: 0,
        method: SGD,
        seed: 3,
        loss: 0.54,
        config: BASE,
        backend: 'cpu',
      }),
    ];
    const t = buildComparisonTable(runs, { stat: 'best', norm: 'mean' });
    expect(t.rows.map((r) => r.label)).toEqual(['SGD (η = 0.1)']);
    expect(t.rows[0]!.cells[0]!.loss!.seeds).toEqual([1, 2, 3]);
    expect(backendClassOf('tensorflow', 'CPU (libtensorflow)')).toBe('cpu');
    expect(backendClassOf('tensorflow', 'NVIDIA H200 (CUDA)')).toBe('gpu');
    expect(backendClassOf('webgpu')).toBe('gpu');
    expect(backendClassOf('auto')).toBeNull();
    expect(t.notes.some((n) => n.kind === 'configurations')).toBe(false);
  });
});

describe('duplicate seeds', () => {
  it('never reach a cell: the first finished run of a seed is counted, the others named in a note', () => {
    const runs = [
      run({ experiment: 'A', methodIndex: 0, method: SGD, seed: 1, loss: 0.5, config: BASE }),
      run({ experiment: 'A', methodIndex: 0, method: SGD, seed: 2, loss: 0.6, config: BASE }),
      // The same experiment submitted again: seed 1 once more, and a seed 2 still queued.
      run({ experiment: 'A2', methodIndex: 0, method: SGD, seed: 1, loss: 0.9, config: BASE }),
      run({
        experiment: 'A2',
        methodIndex: 0,
        method: SGD,
        seed: 2,
        loss: 0.9,
        config: BASE,
        status: 'queued',
      }),
      run({ experiment: 'A2', methodIndex: 0, method: SGD, seed: 3, loss: 0.7, config: BASE }),
    ];
    const t = buildComparisonTable(runs, { stat: 'best', norm: 'mean' });
    const cell = t.rows[0]!.cells[0]!.loss!;
    expect(cell.seeds).toEqual([1, 2, 3]);
    expect(cell.perSeed.map((v) => +v.toFixed(6))).toEqual([0.5, 0.6, 0.7]);
    const notes = t.notes.filter((n) => n.kind === 'duplicate-seed').map((n) => n.text);
    expect(notes).toHaveLength(2);
    expect(notes[0]).toMatch(
      /seed 1 ran twice; A \(run run-\d+\) is counted and A2 \(run run-\d+\) left out/,
    );
    expect(notes[1]).toMatch(/seed 2 ran twice; A \(run run-\d+\) is counted and A2/);
    // The queued duplicate is not also listed as a run that did not finish.
    expect(t.excluded).toEqual([]);
  });

  it('prefers a finished run over an earlier one that failed', () => {
    const runs = [
      run({
        experiment: 'A',
        methodIndex: 0,
        method: SGD,
        seed: 1,
        loss: 0.5,
        config: BASE,
        status: 'failed',
      }),
      run({ experiment: 'B', methodIndex: 0, method: SGD, seed: 1, loss: 0.4, config: BASE }),
    ];
    const t = buildComparisonTable(runs, { stat: 'best', norm: 'mean' });
    expect(t.rows[0]!.cells[0]!.loss!.perSeed.map((v) => +v.toFixed(6))).toEqual([0.4]);
  });
});

/** A small deterministic generator (fixed seed), so the property below is reproducible. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('property: every cell is one configuration', () => {
  it('holds for random mixtures of settings, methods and seeds', () => {
    const rand = lcg(20261202);
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)]!;
    for (let trial = 0; trial < 30; trial++) {
      const runs: RunResult[] = [];
      const configs: string[] = [];
      const n = 5 + Math.floor(rand() * 20);
      for (let i = 0; i < n; i++) {
        const c = config({
          epochs: pick([2, 3]),
          trainSize: pick([1000, 2000]),
          batchSize: pick([64, 128]),
          augment: pick([false, true]),
        });
        const method = pick([SGD, SSA, MOMENTUM]);
        const model = pick(['lenet5', 'mlp']);
        const probe = run({
          experiment: pick(['A', 'B', 'C']),
          methodIndex: 0,
          method,
          seed: 1,
          loss: 0,
          config: c,
          model,
        });
        const key = configurationKey(probe);
        let id = configs.indexOf(key);
        if (id < 0) id = configs.push(key) - 1;
        // The loss's integer part names the configuration, so a cell's values show where they came from.
        const seed = 1 + Math.floor(rand() * 4);
        runs.push(
          run({
            experiment: probe.experimentId,
            methodIndex: 0,
            method,
            seed,
            loss: id + seed / 10,
            config: c,
            model,
          }),
        );
      }
      const t = buildComparisonTable(runs, { stat: 'best', norm: 'mean' });
      expect(new Set(t.rows.map((r) => r.label)).size).toBe(t.rows.length);
      let counted = 0;
      for (const row of t.rows) {
        for (const group of row.cells) {
          const cell = group.loss;
          if (!cell) continue;
          counted += cell.n;
          expect(new Set(cell.perSeed.map(Math.floor)).size).toBe(1);
          expect(new Set(cell.seeds).size).toBe(cell.seeds.length);
        }
      }
      // Every distinct (configuration, seed) is counted exactly once.
      const distinct = new Set(runs.map((r) => `${configurationKey(r)}|${r.seed}`));
      expect(counted).toBe(distinct.size);
    }
  });
});

describe('charts', () => {
  it('draw one mean curve per configuration, named like the table rows', () => {
    const runs = twoExperiments();
    const groups = seriesGroups(runs, {});
    expect(groups.map((g) => g.name)).toEqual([
      'SGD (η = 0.1) · epochs 3, train 1,000',
      'SSA (ε = 0.01, T = 1, α = 0.97) · epochs 3, train 1,000',
      'SGD (η = 0.1) · epochs 12, train 8,000',
      'SSA (ε = 0.01, T = 1, α = 0.97) · epochs 12, train 8,000',
    ]);
    for (const g of groups) expect(new Set(g.runs.map((r) => r.experimentId)).size).toBe(1);
    const option = buildFigure('val-loss', runs, { bands: false });
    const names = (option.series as { name?: string }[]).map((s) => s.name).filter(Boolean);
    expect(new Set(names)).toEqual(new Set(groups.map((g) => g.name)));
  });

  it('refuse to average differently configured runs into one curve', () => {
    const runs = twoExperiments().filter((r) => r.method === 'sgd');
    expect(() => aggregateByEpoch(runs, (e) => e.val.loss, 'epoch')).toThrow(/differing configurations/);
    const one = groupRuns(runs).methods[0]!.runs;
    expect(aggregateByEpoch(one, (e) => e.val.loss, 'epoch')).toHaveLength(3);
  });
});

describe('method choices', () => {
  it('name each method once whatever its settings, and each resolves as a baseline', () => {
    const runs = twoExperiments();
    const choices = methodChoices(runs);
    expect(choices).toEqual(['SGD (η = 0.1)', 'SSA (ε = 0.01, T = 1, α = 0.97)']);
    for (const c of choices) {
      const t = buildComparisonTable(runs, { stat: 'best', norm: 'mean', baseline: c });
      expect(t.baseline?.label).toBe(c);
      expect(t.rows.filter((r) => r.isBaseline)).toHaveLength(2);
    }
  });

  it('tell apart two methods of one label by the parameter that differs', () => {
    const runs = [
      run({ experiment: 'A', methodIndex: 0, method: SGD, seed: 1, loss: 0.5, config: BASE }),
      run({
        experiment: 'A',
        methodIndex: 1,
        method: { ...SGD, weightDecay: 1e-4 },
        seed: 1,
        loss: 0.4,
        config: BASE,
      }),
    ];
    expect(methodChoices(runs)).toEqual([
      'SGD (η = 0.1) · weightDecay 0',
      'SGD (η = 0.1) · weightDecay 0.0001',
    ]);
    expect(() =>
      buildComparisonTable(runs, { stat: 'best', norm: 'mean', baseline: 'SGD (η = 0.1)' }),
    ).toThrow(
      /matches 2 methods \("SGD \(η = 0\.1\) · weightDecay 0", "SGD \(η = 0\.1\) · weightDecay 0\.0001"\)/,
    );
  });
});

describe('baseline missing under some settings', () => {
  it('leaves those rows untested and says so, rather than testing across settings', () => {
    const runs = twoExperiments().filter((r) => !(r.experimentId === 'B' && r.method === 'sgd'));
    const t = buildComparisonTable(runs, { stat: 'best', norm: 'mean', baseline: 'sgd' });
    const ssa12 = t.rows.find(
      (r) => r.label.startsWith('SSA') && r.label.endsWith('epochs 12, train 8,000'),
    )!;
    expect(ssa12.cells[0]!.loss!.pValue).toBeNull();
    expect(t.notes.map((n) => n.text).join('\n')).toContain(
      'Not tested, since no run of the baseline SGD (η = 0.1) has their settings: SSA (ε = 0.01, T = 1, α = 0.97) · epochs 12, train 8,000.',
    );
  });
});

describe('selectMethods', () => {
  it('keeps the chosen methods with their duplicate seeds, so the table still notes them', () => {
    const runs = [
      run({ experiment: 'A', methodIndex: 0, method: SGD, seed: 1, loss: 0.5, config: BASE }),
      run({ experiment: 'A', methodIndex: 1, method: SSA, seed: 1, loss: 0.6, config: BASE }),
      run({ experiment: 'B', methodIndex: 0, method: SGD, seed: 1, loss: 0.9, config: BASE }),
    ];
    const chosen = selectMethods(runs, ['sgd']);
    expect(chosen.map((r) => r.method)).toEqual(['sgd', 'sgd']);
    const t = buildComparisonTable(chosen, { stat: 'best', norm: 'mean' });
    expect(t.notes.filter((n) => n.kind === 'duplicate-seed')).toHaveLength(1);
    expect(selectMethods(runs, [])).toHaveLength(3);
    expect(() => selectMethods(runs, ['adam'])).toThrow(/method "adam" is none of the methods/);
  });
});

describe('settings that go with the columns', () => {
  it('are named in the column titles and split no row, when each network ran with one value', () => {
    const runs = [
      ...[1, 2].map((seed) =>
        run({
          experiment: 'A',
          methodIndex: 0,
          method: SGD,
          seed,
          loss: 0.5,
          model: 'lenet5',
          config: config({ epochs: 3 }),
        }),
      ),
      ...[1, 2].map((seed) =>
        run({
          experiment: 'B',
          methodIndex: 0,
          method: SGD,
          seed,
          loss: 0.4,
          model: 'mlp',
          config: config({ epochs: 12 }),
        }),
      ),
    ];
    const t = buildComparisonTable(runs, { stat: 'best', norm: 'mean' });
    expect(t.rows.map((r) => r.label)).toEqual(['SGD (η = 0.1)']);
    expect(t.columns.map((c) => c.title)).toEqual(['LeNet-5 · epochs 3', 'MLP · epochs 12']);
    expect(t.rows[0]!.cells.map((c) => c.loss!.n)).toEqual([2, 2]);
    expect(t.notes.find((n) => n.kind === 'configurations')?.text).toContain('its own column');
  });

  it('split rows instead as soon as one network ran with two values', () => {
    const runs = [
      run({
        experiment: 'A',
        methodIndex: 0,
        method: SGD,
        seed: 1,
        loss: 0.5,
        model: 'lenet5',
        config: config({ epochs: 3 }),
      }),
      run({
        experiment: 'B',
        methodIndex: 0,
        method: SGD,
        seed: 1,
        loss: 0.4,
        model: 'mlp',
        config: config({ epochs: 12 }),
      }),
      run({
        experiment: 'C',
        methodIndex: 0,
        method: SGD,
        seed: 1,
        loss: 0.3,
        model: 'mlp',
        config: config({ epochs: 3 }),
      }),
    ];
    const t = buildComparisonTable(runs, { stat: 'best', norm: 'mean' });
    expect(t.columns.map((c) => c.title)).toEqual(['LeNet-5', 'MLP']);
    expect(t.rows.map((r) => r.label)).toEqual(['SGD (η = 0.1) · epochs 3', 'SGD (η = 0.1) · epochs 12']);
    expect(t.rows.map((r) => r.cells.map((c) => c.loss?.n ?? 0))).toEqual([
      [1, 1],
      [0, 1],
    ]);
  });
});

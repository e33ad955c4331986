// The renderer's Pinia stores against a fake bridge: what they ask the host, how they follow
// its events, and what they derive for the views.
import { createPinia, setActivePinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Bridge, QueueSnapshot, RunView } from '../../src/shared/contract';
import type { EpochRecord } from '../../src/shared/records';
import { setBridge } from '../../src/renderer/api';
import { useCompareStore } from '../../src/renderer/stores/compare';
import { useDatasetsStore } from '../../src/renderer/stores/datasets';
import { useExperimentsStore } from '../../src/renderer/stores/experiments';
import { runFraction, useQueueStore } from '../../src/renderer/stores/queue';
import { useRunStore } from '../../src/renderer/stores/run';
import { useUiStore } from '../../src/renderer/stores/ui';
import type { RunResult } from '../../src/shared/results';
// The recorded MNIST experiment of test/fixtures, read the way a browser bundle would (no fs:
// these tests are type-checked as renderer code).
import fixture from '../fixtures/mnist-small.runs.jsonl?raw';

/** As test/fixtures/mnist-small.ts: the stored records without the fields they share with their run. */
function mnistSmallRuns(): RunResult[] {
  return fixture
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const run = JSON.parse(line) as RunResult;
      const { experimentId, runId, method, label, model, seed } = run;
      return {
        ...run,
        epochs: run.epochs.map((e) => ({
          ...e,
          type: 'epoch' as const,
          experimentId,
          runId,
          method,
          label,
          model,
          seed,
        })),
      };
    });
}

interface Fake extends Bridge {
  calls: [string, any][];
  emit(name: string, payload: unknown): void;
}

function fakeBridge(handlers: Record<string, (input: any) => unknown>): Fake {
  const calls: [string, any][] = [];
  const listeners = new Map<string, Set<(p: unknown) => void>>();
  return {
    calls,
    invoke: (async (name: string, input: unknown) => {
      calls.push([name, input]);
      const h = handlers[name];
      if (!h) throw new Error(`no fake for ${name}`);
      return h(input);
    }) as Bridge['invoke'],
    on: ((name: string, l: (p: unknown) => void) => {
      const set = listeners.get(name) ?? new Set();
      listeners.set(name, set);
      set.add(l);
      return () => set.delete(l);
    }) as Bridge['on'],
    emit(name, payload) {
      for (const l of listeners.get(name) ?? []) l(payload);
    },
  };
}

function runView(over: Partial<RunView>): RunView {
  return {
    id: 'r1',
    experimentId: 'e1',
    experimentName: 'exp',
    position: 0,
    methodIndex: 0,
    method: 'sgd',
    label: 'SGD (η = 0.1)',
    model: 'mlp',
    seed: 1,
    status: 'queued',
    error: null,
    environment: null,
    summary: null,
    notes: [],
    createdAt: '2025-01-01T00:00:00Z',
    startedAt: null,
    finishedAt: null,
    queueOrder: 1,
    attempts: 0,
    checkpointEpoch: null,
    cancelRequested: false,
    progress: null,
    epochsDone: 0,
    epochs: 4,
    batchSize: 64,
    etaSeconds: null,
    ...over,
  };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

beforeEach(() => setActivePinia(createPinia()));
afterEach(() => setBridge(null));

describe('the queue store', () => {
  const snapshot = (): QueueSnapshot => ({
    paused: false,
    concurrency: { setting: null, effective: 2 },
    executor: { self: true, role: 'test', pid: 1 },
    runs: [
      runView({
        id: 'a',
        status: 'running',
        progress: { epoch: 2, step: 5, steps: 10, epochs: 4, stepsPerSecond: 20, at: '' },
      }),
      runView({ id: 'b', status: 'queued', queueOrder: 2 }),
      runView({ id: 'c', status: 'queued', queueOrder: 3 }),
      runView({ id: 'd', status: 'failed', queueOrder: 0 }),
    ],
  });

  it('loads the snapshot and derives running, queued and paused', async () => {
    setBridge(fakeBridge({ 'queue.list': snapshot }));
    const q = useQueueStore();
    await q.refresh();
    expect(q.running.map((r) => r.id)).toEqual(['a']);
    expect(q.queued.map((r) => r.id)).toEqual(['b', 'c']);
    expect(q.paused).toBe(false);
    expect(q.executor).toEqual({ self: true, role: 'test', pid: 1 });
  });

  it('sends the controls with the right inputs and refetches', async () => {
    const bridge = fakeBridge({
      'queue.list': snapshot,
      'queue.pause': () => ({ ok: true }),
      'queue.resume': () => ({ ok: true }),
      'queue.setConcurrency': () => ({ ok: true }),
      'queue.cancel': () => ({ outcome: 'requested' }),
      'queue.retry': () => ({ ok: true }),
      'queue.move': () => ({ ok: true }),
    });
    setBridge(bridge);
    const q = useQueueStore();
    await q.refresh();
    await q.pause();
    await q.resume();
    await q.setConcurrency(3);
    await q.setConcurrency(null);
    await q.cancel('a');
    await q.retry('d');
    await q.retry('d', true);
    await q.move('c', -1);
    await q.move('b', -1); // already first among the queued: nothing to send
    const sent = bridge.calls.filter(([n]) => n !== 'queue.list');
    expect(sent).toEqual([
      ['queue.pause', {}],
      ['queue.resume', {}],
      ['queue.setConcurrency', { value: 3 }],
      ['queue.setConcurrency', { value: null }],
      ['queue.cancel', { runId: 'a' }],
      ['queue.retry', { runId: 'd', resume: false }],
      ['queue.retry', { runId: 'd', resume: true }],
      ['queue.move', { runId: 'c', index: 0 }],
    ]);
    expect(bridge.calls.filter(([n]) => n === 'queue.list').length).toBe(9);
  });

  it('moves the progress bar with each progress event', async () => {
    const bridge = fakeBridge({ 'queue.list': snapshot });
    setBridge(bridge);
    const q = useQueueStore();
    await q.init();
    const a = () => q.runs.find((r) => r.id === 'a')!;
    expect(runFraction(a())).toBeCloseTo((1 * 10 + 5) / 40);
    bridge.emit('runner', {
      type: 'progress',
      runId: 'a',
      experimentId: 'e1',
      epoch: 3,
      step: 10,
      steps: 10,
      epochs: 4,
    });
    expect(runFraction(a())).toBeCloseTo(30 / 40);
    expect(a().progress!.stepsPerSecond).toBe(20);
    bridge.emit('runner', { type: 'epoch', runId: 'a', epoch: 3 });
    expect(a().epochsDone).toBe(3);
    expect(runFraction(runView({ status: 'finished' }))).toBe(1);
    expect(runFraction(runView({ status: 'cancelled', epochsDone: 1, epochs: 4 }))).toBe(0.25);
    q.stop();
  });
});

describe('the run store', () => {
  it('appends epochs and logs as the runner reports them', async () => {
    const base = mnistSmallRuns()[0]!;
    const result = { ...base, epochs: base.epochs.slice(0, 1) };
    const bridge = fakeBridge({
      'runs.get': () => ({
        run: runView({ id: result.runId, status: 'running', epochsDone: 1 }),
        experiment: { id: result.experimentId, name: result.experimentName, spec: {} },
        result,
      }),
    });
    setBridge(bridge);
    const s = useRunStore();
    await s.open(result.runId);
    expect(s.detail!.result.epochs).toHaveLength(1);
    const next: EpochRecord = { ...base.epochs[1]!, runId: result.runId };
    bridge.emit('runner', next);
    bridge.emit('runner', next); // a repeat is not a new epoch
    expect(s.detail!.result.epochs.map((e) => e.epoch)).toEqual([1, 2]);
    expect(s.detail!.run.epochsDone).toBe(2);
    bridge.emit('runner', { type: 'log', runId: result.runId, message: 'Converting mnist' });
    bridge.emit('runner', { type: 'log', runId: 'someone-else', message: 'not mine' });
    expect(s.log.map((l) => l.text)).toEqual([expect.stringContaining('epoch 2'), 'Converting mnist']);
    bridge.emit('runner', { type: 'run-failed', runId: result.runId, reason: 'out of memory' });
    expect(s.log.at(-1)).toMatchObject({ text: 'failed: out of memory', kind: 'error' });
    await tick();
    expect(bridge.calls.filter(([n]) => n === 'runs.get').length).toBe(2);
  });

  it('reports a run that does not exist', async () => {
    setBridge(
      fakeBridge({
        'runs.get': () => {
          throw new Error('no run "zz"');
        },
      }),
    );
    const s = useRunStore();
    await s.open('zz');
    expect(s.error).toBe('no run "zz"');
  });
});

describe('the compare store', () => {
  it('builds the thesis table from the shared model and follows the options', async () => {
    const runs = mnistSmallRuns();
    const bridge = fakeBridge({
      'results.get': () => runs,
      'export.table': () => ({ filename: 'x.tex', mime: 'application/x-tex', content: '', encoding: 'utf8' }),
      'export.figure': () => ({
        filename: 'x.svg',
        mime: 'image/svg+xml',
        content: '<svg/>',
        encoding: 'utf8',
      }),
    });
    setBridge(bridge);
    const c = useCompareStore();
    await c.setExperiments([runs[0]!.experimentId]);
    expect(bridge.calls[0]).toEqual(['results.get', { experimentIds: [runs[0]!.experimentId] }]);
    const labels = [...new Set(runs.map((r) => r.label))];
    expect(c.table!.rows.map((r) => r.label)).toEqual(labels);
    expect(c.table!.options.stat).toBe('best');
    c.stat = 'final';
    c.baseline = labels[0]!;
    expect(c.table!.options.stat).toBe('final');
    expect(c.table!.rows[0]!.isBaseline).toBe(true);

    // Choosing runs narrows the table, the curves and the exports.
    const first = runs[0]!;
    for (const r of runs) if (r.runId !== first.runId) c.toggleRun(r.runId, false);
    expect(c.selected.map((r) => r.runId)).toEqual([first.runId]);
    c.toggleRun(first.runId, true);
    c.smoothing = 0.5;
    expect(c.plotted[0]!.epochs.at(-1)!.val.accuracy).not.toBe(first.epochs.at(-1)!.val.accuracy);

    await c.exportTable('latex');
    await c.exportFigure('val-loss', 'png');
    const [, tableInput] = bridge.calls.find(([n]) => n === 'export.table')!;
    expect(tableInput).toMatchObject({ format: 'latex', options: { stat: 'final', baseline: labels[0] } });
    const [, figureInput] = bridge.calls.find(([n]) => n === 'export.figure')!;
    expect(figureInput).toMatchObject({
      kind: 'val-loss',
      format: 'png',
      options: { smoothing: 0.5, x: 'epoch' },
    });
  });

  it('adds live epochs to the curves', async () => {
    const runs = mnistSmallRuns().map((r) => ({ ...r, epochs: r.epochs.slice(0, 1) }));
    const full = mnistSmallRuns();
    const bridge = fakeBridge({ 'results.get': () => runs });
    setBridge(bridge);
    const c = useCompareStore();
    c.init();
    await c.setExperiments([runs[0]!.experimentId]);
    bridge.emit('runner', full[0]!.epochs[1]!);
    expect(c.results[0]!.epochs).toHaveLength(2);
  });
});

describe('the experiments, datasets and ui stores', () => {
  it('refetches experiments once for a burst of queue changes', async () => {
    const bridge = fakeBridge({ 'experiments.list': () => [] });
    setBridge(bridge);
    const e = useExperimentsStore();
    await e.init();
    for (let i = 0; i < 5; i++) bridge.emit('queue.changed', { reason: 'x' });
    await new Promise((r) => setTimeout(r, 400));
    expect(bridge.calls.filter(([n]) => n === 'experiments.list').length).toBe(2);
  });

  it('caches dataset previews and reports a failed import', async () => {
    const bridge = fakeBridge({
      'datasets.list': () => [{ id: 'mnist', builtin: true, cached: true, bytes: 10 }],
      'datasets.preview': ({ id }: { id: string }) => ({ id, classes: ['0'], samples: [] }),
      'datasets.import': () => {
        throw new Error('no such file: /nope');
      },
    });
    setBridge(bridge);
    const d = useDatasetsStore();
    await d.init();
    await d.select('mnist');
    await d.select('mnist');
    expect(bridge.calls.filter(([n]) => n === 'datasets.preview')).toEqual([
      ['datasets.preview', { id: 'mnist', samples: 96 }],
    ]);
    await expect(d.importPaths(['/nope'], 'x')).resolves.toBeNull();
    expect(d.importError).toBe('no such file: /nope');
    expect(d.importing).toBeNull();
  });

  it('turns failed actions into notices', async () => {
    const ui = useUiStore();
    await expect(ui.attempt('doing it', () => Promise.reject(new Error('boom')))).resolves.toBeUndefined();
    expect(ui.notices.map((n) => [n.kind, n.text])).toEqual([['error', 'doing it: boom']]);
    ui.toggleTheme();
    expect(['light', 'dark']).toContain(ui.theme);
  });
});
